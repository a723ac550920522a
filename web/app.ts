import { createEditor } from './editor.js';
import { EXAMPLES } from './examples.js';

/** What POST /run answers with a 200 (see /docs). */
interface RunResult {
  output: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  status: 'success' | 'runtime_error' | 'timeout' | 'memory_exceeded' | 'output_limit_exceeded';
  durationMs: number;
  truncated: boolean;
}

/** Every error answer of the service. */
interface ErrorBody {
  statusCode: number;
  message: string;
  error: string;
}

const STATUS_LABELS: Record<RunResult['status'], string> = {
  success: 'Success',
  runtime_error: 'Runtime error',
  timeout: 'Timed out',
  memory_exceeded: 'Memory exceeded',
  output_limit_exceeded: 'Output limit exceeded',
};

const KEY_STORAGE = 'safe-code-executor.api-key';
const DEFAULT_MAX_CODE_LENGTH = 5000;
/** The counter turns to a warning from this share of the limit on. */
const WARN_RATIO = 0.9;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

const ui = {
  editor: element('editor'),
  run: element<HTMLButtonElement>('run'),
  runLabel: element('run-label'),
  examples: element<HTMLSelectElement>('examples'),
  counter: element('counter'),
  stdin: element<HTMLTextAreaElement>('stdin'),
  stdinPanel: element<HTMLDetailsElement>('stdin-panel'),
  apiKey: element<HTMLInputElement>('api-key'),
  keyPanel: element<HTMLDetailsElement>('key-panel'),
  result: element('result'),
  placeholder: element('placeholder'),
  badge: element('status-badge'),
  exitCode: element('exit-code'),
  duration: element('duration'),
  quota: element('quota'),
  truncated: element('truncated'),
  message: element('message'),
  stdoutPane: element('stdout-pane'),
  stderrPane: element('stderr-pane'),
  stdout: element('stdout'),
  stderr: element('stderr'),
};

let maxCodeLength = DEFAULT_MAX_CODE_LENGTH;
let running = false;

/** Characters as the service counts them: Unicode code points. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function updateCounter(code: string): void {
  const length = codePoints(code);
  const state =
    length > maxCodeLength ? 'over' : length >= maxCodeLength * WARN_RATIO ? 'warn' : 'ok';
  ui.counter.textContent = `${length.toLocaleString('en')} / ${maxCodeLength.toLocaleString('en')}`;
  ui.counter.dataset.state = state;
  ui.counter.title =
    state === 'over'
      ? `${length - maxCodeLength} characters over the limit: the server will refuse this program`
      : state === 'warn'
        ? `close to the ${maxCodeLength}-character limit`
        : `characters used of the ${maxCodeLength} allowed`;
  ui.run.disabled = running || state === 'over' || length === 0;
}

const editor = createEditor(ui.editor, {
  code: EXAMPLES[0].code,
  label: 'Python code',
  onChange: updateCounter,
  onRun: () => void run(),
});

function setRunning(value: boolean): void {
  running = value;
  ui.run.setAttribute('aria-busy', String(value));
  ui.runLabel.textContent = value ? 'Running…' : 'Run';
  ui.result.setAttribute('aria-busy', String(value));
  updateCounter(editor.getCode());
}

function showPane(pane: HTMLElement, target: HTMLElement, text: string): void {
  target.textContent = text;
  pane.hidden = text === '';
}

function clearResult(): void {
  ui.placeholder.hidden = true;
  ui.message.hidden = true;
  ui.message.textContent = '';
  ui.truncated.hidden = true;
  showPane(ui.stdoutPane, ui.stdout, '');
  showPane(ui.stderrPane, ui.stderr, '');
  ui.exitCode.textContent = '';
  ui.duration.textContent = '';
}

function setBadge(kind: string, label: string): void {
  ui.badge.dataset.kind = kind;
  ui.badge.textContent = label;
  ui.badge.hidden = false;
}

function showResult(result: RunResult): void {
  setBadge(result.status, STATUS_LABELS[result.status]);
  ui.exitCode.textContent = result.exitCode === null ? 'killed' : `exit ${result.exitCode}`;
  ui.duration.textContent = formatDuration(result.durationMs);
  ui.truncated.hidden = !result.truncated;
  showPane(ui.stdoutPane, ui.stdout, result.stdout);
  showPane(ui.stderrPane, ui.stderr, result.stderr);
  if (result.stdout === '' && result.stderr === '') {
    showMessage('info', 'The program printed nothing.');
  }
  const explanation = explainStatus(result);
  if (explanation) showMessage('info', explanation);
}

function explainStatus(result: RunResult): string | undefined {
  switch (result.status) {
    case 'timeout':
      return 'The program ran past the time limit, so the sandbox stopped it.';
    case 'memory_exceeded':
      return 'The program used more memory than the sandbox allows, so it was stopped.';
    case 'success':
    case 'runtime_error':
    case 'output_limit_exceeded': // the truncation notice says it
      return undefined;
  }
}

function showMessage(kind: 'info' | 'error', text: string): void {
  ui.message.dataset.kind = kind;
  ui.message.textContent = text;
  ui.message.hidden = false;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function showQuota(response: Response): void {
  const limit = response.headers.get('RateLimit-Limit');
  const remaining = response.headers.get('RateLimit-Remaining');
  const reset = response.headers.get('RateLimit-Reset');
  if (limit === null || remaining === null) {
    ui.quota.textContent = '';
    return;
  }
  ui.quota.textContent =
    `${remaining} of ${limit} runs left` + (reset ? ` · resets in ${reset} s` : '');
}

/** Turns an error answer into a sentence a person can act on. */
function describeError(response: Response, body: Partial<ErrorBody> | undefined): string {
  const message = body?.message ?? response.statusText;
  const retry = response.headers.get('Retry-After');
  switch (response.status) {
    case 400:
      return `The server refused the program: ${message}.`;
    case 401:
      return ui.apiKey.value.trim() === ''
        ? 'This server needs an API key. Enter yours under “API key” and run again.'
        : 'The server did not accept your API key. Check it under “API key”.';
    case 413:
      return `The program is too large: ${message}.`;
    case 429:
      return `Slow down: ${message}.`;
    case 503:
      return `The sandbox is unavailable right now: ${message}.${retry ? ` Try again in ${retry} s.` : ''}`;
    default:
      return `The server answered ${response.status} ${response.statusText}: ${message}.`;
  }
}

async function run(): Promise<void> {
  if (running || ui.run.disabled) return;
  setRunning(true);
  clearResult();
  setBadge('running', 'Running');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = ui.apiKey.value.trim();
  if (key !== '') headers.authorization = `Bearer ${key}`;
  const stdin = ui.stdin.value;
  try {
    let response: Response;
    try {
      response = await fetch('/run', {
        method: 'POST',
        headers,
        body: JSON.stringify(
          stdin === '' ? { code: editor.getCode() } : { code: editor.getCode(), stdin },
        ),
      });
    } catch (error) {
      console.warn('POST /run failed', error);
      setBadge('error', 'Offline');
      showMessage('error', 'Could not reach the server. Check your connection and try again.');
      return;
    }
    showQuota(response);
    const body = (await response.json().catch(() => undefined)) as unknown;
    if (response.ok && isRunResult(body)) {
      showResult(body);
    } else if (response.ok) {
      setBadge('error', 'Unexpected answer');
      showMessage('error', 'The server sent an answer this page does not understand.');
    } else {
      setBadge('error', response.status === 429 ? 'Rate limited' : `Error ${response.status}`);
      showMessage('error', describeError(response, body as Partial<ErrorBody> | undefined));
      if (response.status === 401) {
        ui.keyPanel.open = true;
        ui.apiKey.focus();
      }
    }
  } finally {
    setRunning(false);
  }
}

function isRunResult(body: unknown): body is RunResult {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as RunResult).stdout === 'string' &&
    typeof (body as RunResult).stderr === 'string' &&
    (body as RunResult).status in STATUS_LABELS
  );
}

/** The code limit this server enforces, read from its OpenAPI document. */
async function loadLimits(): Promise<void> {
  try {
    const response = await fetch('/docs-json');
    if (!response.ok) return;
    const document = (await response.json()) as {
      components?: {
        schemas?: { RunRequestDto?: { properties?: { code?: { maxLength?: number } } } };
      };
    };
    const limit = document.components?.schemas?.RunRequestDto?.properties?.code?.maxLength;
    if (typeof limit === 'number' && limit > 0) {
      maxCodeLength = limit;
      updateCounter(editor.getCode());
    }
  } catch {
    // Keep the default; the server still enforces its own limit.
  }
}

function setUpExamples(): void {
  for (const example of EXAMPLES) {
    const option = document.createElement('option');
    option.value = example.id;
    option.textContent = example.title;
    ui.examples.append(option);
  }
  ui.examples.addEventListener('change', () => {
    const example = EXAMPLES.find((candidate) => candidate.id === ui.examples.value);
    if (!example) return;
    editor.setCode(example.code);
    ui.stdin.value = example.stdin ?? '';
    if (example.stdin) ui.stdinPanel.open = true;
    editor.focus();
  });
}

function setUpApiKey(): void {
  // Enter in the key field runs nothing and reloads nothing.
  element<HTMLFormElement>('key-form').addEventListener('submit', (event) =>
    event.preventDefault(),
  );
  ui.apiKey.value = localStorage.getItem(KEY_STORAGE) ?? '';
  if (ui.apiKey.value !== '') ui.keyPanel.open = true;
  ui.apiKey.addEventListener('input', () => {
    const key = ui.apiKey.value.trim();
    if (key === '') localStorage.removeItem(KEY_STORAGE);
    else localStorage.setItem(KEY_STORAGE, key);
  });
}

ui.run.addEventListener('click', () => void run());
// Ctrl/Cmd+Enter runs from anywhere on the page, the stdin box included.
document.addEventListener('keydown', (event) => {
  // The editor handles its own Mod-Enter and marks the event handled.
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.defaultPrevented) {
    event.preventDefault();
    void run();
  }
});
setUpExamples();
setUpApiKey();
updateCounter(editor.getCode());
void loadLimits();
document.documentElement.dataset.ready = 'true';

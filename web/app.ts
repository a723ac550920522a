import { createEditor } from './editor.js';
import { examplesOf, type Example } from './examples.js';
import {
  interactiveUrl,
  LiveRun,
  type LiveRunEnd,
  type ResultMessage,
  type RunEndStatus,
  type RunResult,
} from './live-run.js';
import { OutputConsole } from './output-console.js';
import { OutputFiles } from './output-files.js';

/** Every error answer of the service. */
interface ErrorBody {
  statusCode: number;
  message: string;
  error: string;
}

/** A refusal to run, from POST /run's answer or the WebSocket's error message. */
interface Refusal {
  statusCode: number;
  /** HTTP's reason phrase, when there is one (a WebSocket refusal has none). */
  statusText?: string;
  message: string;
  /** Seconds. */
  retryAfter?: string;
}

/** A language of GET /runtimes, as far as the page uses it. */
interface Runtime {
  language: string;
  label: string;
  version: string;
  /** false: its image is not built on this server, so it cannot run here; null: unknown. */
  imagePresent: boolean | null;
}

/** The program to run, as the page sends it by either way. */
interface RunRequest {
  code: string;
  /** Absent when GET /runtimes could not be read: the server's default, Python. */
  language?: string;
  /** The Standard input box: all the input, given up front ('' when empty). */
  stdin: string;
  apiKey: string;
}

const STATUS_LABELS: Record<RunEndStatus, string> = {
  success: 'Success',
  runtime_error: 'Runtime error',
  timeout: 'Timed out',
  memory_exceeded: 'Memory exceeded',
  output_limit_exceeded: 'Output limit exceeded',
  compile_error: 'Compile error',
  cancelled: 'Stopped',
  internal_error: 'Internal error',
};

/** The statuses of a program that ran (POST /run's `status`). */
const RESULT_STATUSES = new Set<string>([
  'success',
  'runtime_error',
  'timeout',
  'memory_exceeded',
  'output_limit_exceeded',
  'compile_error',
] satisfies RunResult['status'][]);

const KEY_STORAGE = 'safe-code-executor.api-key';
/** The language of a page that could not read GET /runtimes, and the server's default. */
const DEFAULT_LANGUAGE = 'python';
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
  language: element<HTMLSelectElement>('language'),
  languageNote: element('language-note'),
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
  compileTime: element('compile-time'),
  duration: element('duration'),
  quota: element('quota'),
  truncated: element('truncated'),
  message: element('message'),
  consolePane: element('console-pane'),
  console: element('console'),
  filesPane: element('files-pane'),
  files: element('files'),
  filesTruncated: element('files-truncated'),
  inputLine: element<HTMLFormElement>('input-line'),
  input: element<HTMLInputElement>('console-input'),
  endInput: element<HTMLButtonElement>('end-input'),
  stop: element<HTMLButtonElement>('stop'),
  stopLabel: element('stop-label'),
};

const output = new OutputConsole(ui.console);
const outputFiles = new OutputFiles({
  pane: ui.filesPane,
  list: ui.files,
  truncated: ui.filesTruncated,
});

let maxCodeLength = DEFAULT_MAX_CODE_LENGTH;
let running = false;
let language = DEFAULT_LANGUAGE;
/** GET /runtimes was read: the server takes `language`, and the selector lists its languages. */
let runtimesKnown = false;
/** The code of the example last loaded: while the editor holds just that, it is not the user's. */
let loadedCode = examplesOf(DEFAULT_LANGUAGE)[0]?.code ?? '';

/** The run in flight over the WebSocket, and what the user may still do to it. */
let live:
  | {
      run: LiveRun;
      /** The program still takes typed input (not given up front, not ended, not stopped). */
      inputOpen: boolean;
      /** Its input came from the Standard input box. */
      inputGiven: boolean;
      stopping: boolean;
    }
  | undefined;

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
  code: loadedCode,
  language,
  onChange: updateCounter,
  onRun: () => void run(),
});

function setRunning(value: boolean): void {
  running = value;
  ui.run.setAttribute('aria-busy', String(value));
  ui.runLabel.textContent = value ? 'Running…' : 'Run';
  updateCounter(editor.getCode());
}

function clearResult(): void {
  ui.placeholder.hidden = true;
  ui.message.hidden = true;
  ui.message.textContent = '';
  ui.truncated.hidden = true;
  output.clear();
  ui.consolePane.hidden = true;
  // The last run's files go, and their blob: URLs are released.
  outputFiles.clear();
  ui.exitCode.textContent = '';
  ui.compileTime.textContent = '';
  ui.duration.textContent = '';
}

function setBadge(kind: string, label: string): void {
  ui.badge.dataset.kind = kind;
  ui.badge.textContent = label;
  ui.badge.hidden = false;
}

/** The console shows output while there is some to show, or while a run may still print. */
function updateConsole(): void {
  ui.consolePane.hidden = output.isEmpty && live === undefined;
}

/**
 * The input line under the console: open while the live run takes typed input; Stop while a
 * run is live. A control that had the focus and goes disabled hands it on, so keyboard users
 * keep their place: to Stop while the run lasts, then to the output.
 */
function updateInputLine(): void {
  const focused = document.activeElement;
  const hadFocus = focused instanceof HTMLElement && ui.inputLine.contains(focused);
  const inputOpen = live?.inputOpen ?? false;
  ui.input.disabled = !inputOpen;
  ui.endInput.disabled = !inputOpen;
  ui.stop.disabled = live === undefined;
  ui.stop.setAttribute('aria-disabled', String(live?.stopping ?? false));
  ui.stopLabel.textContent = live?.stopping ? 'Stopping…' : 'Stop';
  ui.input.placeholder =
    live === undefined
      ? 'Input, while a program runs'
      : inputOpen
        ? 'Type a line, then Enter'
        : live.inputGiven
          ? 'Input came from the Standard input box'
          : 'Input ended';
  if (hadFocus && (focused as HTMLInputElement | HTMLButtonElement).disabled) {
    if (!ui.stop.disabled) ui.stop.focus();
    else if (!ui.consolePane.hidden) ui.console.focus();
    else ui.run.focus();
  }
}

/** Sends the typed line, with its newline, and echoes it as a terminal would. */
function sendLine(): void {
  if (!live?.inputOpen) return;
  const line = `${ui.input.value}\n`;
  live.run.sendInput(line);
  output.append('stdin', line);
  ui.input.value = '';
}

/** Ctrl+D or "End input": what is typed goes as it is (as in a terminal), then end of file. */
function endInput(): void {
  if (!live?.inputOpen) return;
  const rest = ui.input.value;
  if (rest !== '') {
    live.run.sendInput(rest);
    output.append('stdin', rest);
  }
  live.run.closeInput();
  live.inputOpen = false;
  ui.input.value = '';
  output.note('(end of input)');
  updateInputLine();
}

function stop(): void {
  if (!live || live.stopping) return;
  live.run.kill();
  live.stopping = true;
  live.inputOpen = false;
  updateInputLine();
}

function showResult(result: RunResult): void {
  setBadge(result.status, STATUS_LABELS[result.status]);
  const compiled = result.compileMs !== undefined;
  const ran = result.status !== 'compile_error';
  ui.exitCode.textContent = !ran
    ? 'not run'
    : result.exitCode === null
      ? 'killed'
      : `exit ${result.exitCode}`;
  // A compiled language's two times apart: the compilation's, then the program's own.
  ui.compileTime.textContent = compiled ? `compiled in ${formatDuration(result.compileMs!)}` : '';
  ui.duration.textContent = !ran
    ? ''
    : compiled
      ? `ran in ${formatDuration(result.durationMs)}`
      : formatDuration(result.durationMs);
  ui.truncated.hidden = !result.truncated;
  const shown = output.output;
  if (shown.stdout !== result.stdout || shown.stderr !== result.stderr) {
    // What the console received differs from what the service recorded (a run retried after
    // its worker died sends its output again): the record is what the program printed.
    const hadOutput = !output.isEmpty;
    output.clear();
    if (hadOutput) output.note('(the output as the server recorded it: stdout, then stderr)');
    output.append('stdout', result.stdout);
    output.append('stderr', result.stderr);
  }
  outputFiles.show(result.files, result.filesTruncated);
  if (result.stdout === '' && result.stderr === '') {
    const written = result.files?.length ?? 0;
    showMessage(
      'info',
      written === 0
        ? 'The program printed nothing.'
        : `The program printed nothing; it wrote ${written === 1 ? 'a file' : `${written} files`}, below.`,
    );
  }
  const explanation = explainStatus(result);
  if (explanation) showMessage('info', explanation);
}

function showRunEnd(message: ResultMessage): void {
  if (message.result) {
    showResult(message.result);
    return;
  }
  setBadge(message.status === 'cancelled' ? 'cancelled' : 'error', STATUS_LABELS[message.status]);
  if (message.status === 'cancelled') {
    showMessage('info', 'The program was stopped before it ended.');
  } else {
    const why = message.error?.message ?? 'no reason was given';
    showMessage('error', `The service could not run the program: ${why}.`);
  }
}

function explainStatus(result: RunResult): string | undefined {
  switch (result.status) {
    case 'timeout':
      return 'The program ran past the time limit, so the sandbox stopped it.';
    case 'memory_exceeded':
      return 'The program used more memory than the sandbox allows, so it was stopped.';
    case 'compile_error':
      return 'The program did not compile, so it never ran: the output is what the compiler said.';
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

/** Turns a refusal into a sentence a person can act on. */
function describeRefusal({ statusCode, statusText, message, retryAfter }: Refusal): string {
  switch (statusCode) {
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
      return `The sandbox is unavailable right now: ${message}.${retryAfter ? ` Try again in ${retryAfter} s.` : ''}`;
    default:
      return `The server answered ${statusCode}${statusText ? ` ${statusText}` : ''}: ${message}.`;
  }
}

function showRefusal(refusal: Refusal): void {
  setBadge('error', refusal.statusCode === 429 ? 'Rate limited' : `Error ${refusal.statusCode}`);
  showMessage('error', describeRefusal(refusal));
  if (refusal.statusCode === 401) {
    ui.keyPanel.open = true;
    ui.apiKey.focus();
  }
}

function showUnreachable(): void {
  setBadge('error', 'Offline');
  showMessage('error', 'Could not reach the server. Check your connection and try again.');
}

async function run(): Promise<void> {
  if (running || ui.run.disabled) return;
  const request: RunRequest = {
    code: editor.getCode(),
    ...(runtimesKnown ? { language } : {}),
    stdin: ui.stdin.value,
    apiKey: ui.apiKey.value.trim(),
  };
  setRunning(true);
  clearResult();
  setBadge('running', 'Running');
  try {
    const end = await runLive(request);
    switch (end.kind) {
      case 'result':
        showRunEnd(end.message);
        break;
      case 'refused':
        showRefusal({
          statusCode: end.error.statusCode,
          message: end.error.message,
          retryAfter: end.error.retryAfter?.toString(),
        });
        break;
      case 'lost':
        setBadge('error', 'Connection lost');
        showMessage(
          'error',
          `The connection to the server was lost before the program ended (${end.reason}); the server stops a program whose connection closes. Run it again.`,
        );
        break;
      case 'unreachable':
        // No WebSocket here (the server is down, or a proxy between does not pass WebSockets):
        // the program runs in one go, over plain HTTP.
        await runOverHttp(request);
        break;
    }
  } finally {
    updateConsole();
    setRunning(false);
  }
}

/**
 * Runs the program over the interactive WebSocket: output as it comes, typed input, Stop.
 * Its quota is not shown: the socket carries no RateLimit-* headers, and the last HTTP
 * answer's count would be out of date after this run.
 */
async function runLive(request: RunRequest): Promise<LiveRunEnd> {
  ui.quota.textContent = '';
  const inputGiven = request.stdin !== '';
  const liveRun = new LiveRun(
    interactiveUrl(location),
    {
      code: request.code,
      ...(request.language === undefined ? {} : { language: request.language }),
      ...(inputGiven ? { stdin: request.stdin } : {}),
      ...(request.apiKey !== '' ? { apiKey: request.apiKey } : {}),
    },
    {
      onOutput: (stream, data) => output.append(stream, data),
      onRefusal: (error) => output.note(`(not sent: ${error.message})`, 'error'),
    },
  );
  // The box holds all the input, as with POST /run: the program reads it, then end of file.
  if (inputGiven) liveRun.closeInput();
  live = { run: liveRun, inputOpen: !inputGiven, inputGiven, stopping: false };
  updateConsole();
  updateInputLine();
  try {
    return await liveRun.ended;
  } finally {
    live = undefined;
    updateInputLine();
  }
}

/** POST /run: the answer once the program has ended, with the rate limit's headers. */
async function runOverHttp(request: RunRequest): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (request.apiKey !== '') headers.authorization = `Bearer ${request.apiKey}`;
  ui.result.setAttribute('aria-busy', 'true');
  try {
    let response: Response;
    try {
      response = await fetch('/run', {
        method: 'POST',
        headers,
        body: JSON.stringify({
          code: request.code,
          ...(request.language === undefined ? {} : { language: request.language }),
          ...(request.stdin === '' ? {} : { stdin: request.stdin }),
        }),
      });
    } catch (error) {
      console.warn('POST /run failed', error);
      showUnreachable();
      return;
    }
    showQuota(response);
    const body = (await response.json().catch(() => undefined)) as unknown;
    if (response.ok && isRunResult(body)) {
      output.note('(no live connection to the server, so the program ran without typed input)');
      output.append('stdout', body.stdout);
      output.append('stderr', body.stderr);
      showResult(body);
    } else if (response.ok) {
      setBadge('error', 'Unexpected answer');
      showMessage('error', 'The server sent an answer this page does not understand.');
    } else {
      const error = body as Partial<ErrorBody> | undefined;
      showRefusal({
        statusCode: response.status,
        statusText: response.statusText,
        message: error?.message ?? response.statusText,
        retryAfter: response.headers.get('Retry-After') ?? undefined,
      });
    }
  } finally {
    ui.result.setAttribute('aria-busy', 'false');
  }
}

function isRunResult(body: unknown): body is RunResult {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as RunResult).stdout === 'string' &&
    typeof (body as RunResult).stderr === 'string' &&
    RESULT_STATUSES.has((body as RunResult).status)
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

/** Loads an example into the editor (and its input into the stdin box). */
function loadExample(example: Example | undefined): void {
  loadedCode = example?.code ?? '';
  editor.setCode(loadedCode);
  ui.stdin.value = example?.stdin ?? '';
  if (example?.stdin) ui.stdinPanel.open = true;
}

/** The Examples menu lists the chosen language's examples. */
function listExamples(): void {
  const examples = examplesOf(language);
  ui.examples.replaceChildren(ui.examples.options[0]);
  ui.examples.selectedIndex = 0;
  for (const example of examples) {
    const option = document.createElement('option');
    option.value = example.id;
    option.textContent = example.title;
    ui.examples.append(option);
  }
  ui.examples.disabled = examples.length === 0;
}

function setUpExamples(): void {
  listExamples();
  ui.examples.addEventListener('change', () => {
    const example = examplesOf(language).find((candidate) => candidate.id === ui.examples.value);
    if (!example) return;
    loadExample(example);
    ui.languageNote.hidden = true;
    editor.focus();
  });
}

/**
 * Another language: the editor highlights it and the Examples menu lists its programs. Code
 * that is an untouched example (or nothing) gives way to the new language's first example;
 * code the user typed or pasted stays, for they may have pasted it before choosing its
 * language, and no choice of the menu should destroy work. A note says where the examples are.
 */
function chooseLanguage(chosen: string): void {
  language = chosen;
  editor.setLanguage(language);
  listExamples();
  const code = editor.getCode();
  const untouched = code.trim() === '' || code === loadedCode;
  if (untouched) loadExample(examplesOf(language)[0]);
  const name = ui.language.selectedOptions[0]?.dataset.name ?? language;
  ui.languageNote.textContent = `Your code was kept. ${name} examples are in the Examples menu.`;
  ui.languageNote.hidden = untouched || examplesOf(language).length === 0;
}

/** Fills the language selector from GET /runtimes; without it the page runs Python only. */
async function loadRuntimes(): Promise<void> {
  let runtimes: Runtime[];
  try {
    const response = await fetch('/runtimes');
    if (!response.ok) return;
    const body = (await response.json()) as unknown;
    if (!Array.isArray(body) || !body.every(isRuntime)) return;
    runtimes = body;
  } catch {
    return; // Python only, as the page's own option says
  }
  if (!runtimes.some((runtime) => runtime.language === DEFAULT_LANGUAGE)) return;
  const options = runtimes.map((runtime) => {
    const option = document.createElement('option');
    option.value = runtime.language;
    option.dataset.name = runtime.label;
    option.textContent = `${runtime.label} ${runtime.version}`;
    if (runtime.imagePresent === false) {
      option.disabled = true;
      option.textContent += ' (image not built)';
      option.title = `${runtime.label} cannot run here: its image is not built on this server`;
    }
    return option;
  });
  ui.language.replaceChildren(...options);
  ui.language.value = language;
  runtimesKnown = true;
}

function isRuntime(value: unknown): value is Runtime {
  const runtime = value as Runtime;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof runtime.language === 'string' &&
    typeof runtime.label === 'string' &&
    typeof runtime.version === 'string'
  );
}

function setUpLanguages(): void {
  ui.language.addEventListener('change', () => chooseLanguage(ui.language.value));
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

function setUpInputLine(): void {
  // Enter submits the form: the line goes to the program; nothing reloads.
  ui.inputLine.addEventListener('submit', (event) => {
    event.preventDefault();
    sendLine();
  });
  ui.input.addEventListener('keydown', (event) => {
    if (event.key.toLowerCase() === 'd' && event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      endInput();
    }
  });
  ui.endInput.addEventListener('click', endInput);
  ui.stop.addEventListener('click', stop);
  updateInputLine();
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
setUpLanguages();
setUpExamples();
setUpApiKey();
setUpInputLine();
updateCounter(editor.getCode());
void loadLimits();
// Ready once the selector lists what the server runs (or knows it cannot).
void loadRuntimes().finally(() => {
  document.documentElement.dataset.ready = 'true';
});

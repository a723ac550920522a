// AppConfig's decorators need the metadata polyfill, as in main.ts.
import 'reflect-metadata';
import { loadAppConfig } from '../../src/config/app-config.js';
import { sandboxPolicyFrom } from '../../src/sandbox/sandbox-policy.js';
import type { RunResult } from '../../src/sandbox/run-result.js';

/**
 * The vocabulary of the attack catalogue (cases/, one file per category): what an attack
 * sends, what it may expect, and how its answer is judged. Shared by the hostile end-to-end
 * suite (hostile-suite.ts) and the experiments runner (experiments/), so both judge the same
 * programs the same way.
 */

export const CATEGORIES = [
  'cpu-time',
  'memory',
  'processes',
  'lifecycle',
  'files',
  'output',
  'network',
  'privilege',
  'kernel',
  'information',
  'api',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The limits the target service runs under, read from the same variables the service reads. */
export interface Limits {
  runtime: string;
  timeoutMs: number;
  /** The longest time limit a request may ask for (SANDBOX_MAX_TIMEOUT_MS). */
  maxTimeoutMs: number;
  memoryBytes: number;
  pidsLimit: number;
  outputLimitBytes: number;
  tmpfsBytes: number;
  openFilesLimit: number;
  maxCodeLength: number;
  maxStdinBytes: number;
  bodyLimitBytes: number;
}

export function limitsFrom(env: Record<string, string | undefined>): Limits {
  const config = loadAppConfig(env);
  const policy = sandboxPolicyFrom(config);
  return {
    runtime: policy.runtime,
    timeoutMs: policy.timeoutMs,
    maxTimeoutMs: config.SANDBOX_MAX_TIMEOUT_MS,
    memoryBytes: policy.memoryBytes,
    pidsLimit: policy.pidsLimit,
    outputLimitBytes: policy.outputLimitBytes,
    tmpfsBytes: policy.tmpfsBytes,
    openFilesLimit: policy.openFilesLimit,
    maxCodeLength: config.MAX_CODE_LENGTH,
    maxStdinBytes: config.MAX_STDIN_BYTES,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  };
}

export interface AttackContext {
  limits: Limits;
  /** Port of the service under attack, as seen from the host. */
  servicePort: number;
}

/** One HTTP request to POST /run, as raw as an attacker can make it. */
export interface AttackRequest {
  body: string | Buffer;
  headers: Record<string, string>;
  /** Hang up (abort the request) this many milliseconds after sending it. */
  hangUpAfterMs?: number;
}

/** What came back. `status` is 0 when the client hung up on purpose. */
export interface Exchange {
  status: number;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  elapsedMs: number;
}

/** Collects failed expectations; an attack passes when none failed. */
export class Verdict {
  readonly problems: string[] = [];

  ok(condition: boolean, what: string): void {
    if (!condition) this.problems.push(what);
  }

  equal(actual: unknown, expected: unknown, what: string): void {
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      this.problems.push(`${what}: expected ${JSON.stringify(expected)}, got ${short(actual)}`);
  }

  oneOf<T>(actual: T, allowed: readonly T[], what: string): void {
    if (!allowed.includes(actual))
      this.problems.push(
        `${what}: expected one of ${JSON.stringify(allowed)}, got ${short(actual)}`,
      );
  }

  atMost(actual: number, limit: number, what: string): void {
    if (!(actual <= limit)) this.problems.push(`${what}: ${actual} is over ${limit}`);
  }
}

export interface Attack {
  category: Category;
  /** Short name, unique within its category. */
  name: string;
  /** What the sandbox must do, in words (printed by the experiments runner). */
  expected: string;
  request(context: AttackContext): AttackRequest;
  /** A request sent first, whose effects the attack then looks for (e.g. leftovers of an earlier run). */
  before?(context: AttackContext): AttackRequest;
  judge(exchange: Exchange, verdict: Verdict, context: AttackContext): void;
}

export interface AttackOutcome {
  attack: Attack;
  exchange: Exchange;
  /** One line on what happened. */
  observed: string;
  problems: string[];
}

export const attackId = (attack: Attack): string => `${attack.category}/${attack.name}`;

// ---------------------------------------------------------------- writing attacks

export const MIB = 1024 * 1024;

/** An attack that sends one program (Python unless `options.language`) and judges its RunResult. */
export function program(
  category: Category,
  name: string,
  expected: string,
  code: string | ((context: AttackContext) => string),
  judge: (result: RunResult, verdict: Verdict, context: AttackContext) => void,
  options: {
    stdin?: string;
    before?: string;
    language?: string;
    /** The request's own time limit (`limits.timeoutMs`), from the limits in force. */
    timeoutMs?: (limits: Limits) => number;
  } = {},
): Attack {
  const source = (context: AttackContext) => (typeof code === 'string' ? code : code(context));
  return {
    category,
    name,
    expected,
    request: (context) =>
      runRequest(
        source(context),
        options.stdin,
        options.language,
        options.timeoutMs?.(context.limits),
      ),
    before: options.before === undefined ? undefined : () => runRequest(options.before ?? ''),
    judge: (exchange: Exchange, verdict: Verdict, context: AttackContext) => {
      const result = resultOf(exchange, verdict);
      if (result) judge(result, verdict, context);
    },
  };
}

/** Python prelude of probe programs: try each action, report "blocked: ..." or "ALLOWED: ...". */
export const PROBE = `
import json
report = {}
def attempt(name, action):
    try:
        value = action()
        report[name] = "ALLOWED: " + repr(value)[:100]
    except BaseException as error:
        report[name] = "blocked: " + type(error).__name__ + ": " + str(error)[:100]
`;
export const PRINT_REPORT = '\nprint(json.dumps(report))\n';

export function killedAtTimeLimit(
  result: RunResult,
  verdict: Verdict,
  context: AttackContext,
): void {
  verdict.equal(result.status, 'timeout', 'status');
  verdict.equal(result.exitCode, null, 'exitCode');
  verdict.ok(
    result.durationMs >= context.limits.timeoutMs,
    `ran until the time limit (${result.durationMs} ms)`,
  );
}

/** JSON body of POST /run for a program. */
export function runRequest(
  code: string,
  stdin?: string,
  language?: string,
  timeoutMs?: number,
): AttackRequest {
  return {
    body: JSON.stringify({
      code,
      ...(stdin === undefined ? {} : { stdin }),
      ...(language === undefined ? {} : { language }),
      ...(timeoutMs === undefined ? {} : { limits: { timeoutMs } }),
    }),
    headers: { 'content-type': 'application/json' },
  };
}

/** Sends one request; never throws for HTTP answers, only for transport failures. */
export async function send(baseUrl: string, request: AttackRequest): Promise<Exchange> {
  const controller = new AbortController();
  const started = performance.now();
  const hangUp =
    request.hangUpAfterMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(), request.hangUpAfterMs);
  try {
    const response = await fetch(`${baseUrl}/run`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
    });
    const text = await response.text();
    return { status: response.status, text, json: parseJson(text), elapsedMs: since(started) };
  } catch (error) {
    if (controller.signal.aborted)
      return { status: 0, text: '', json: undefined, elapsedMs: since(started) };
    throw error;
  } finally {
    clearTimeout(hangUp);
  }
}

/**
 * Sends an attack and judges the answer. Every answer must also be valid JSON and never a
 * 5xx (a hang-up on purpose has no answer to judge).
 */
export async function runAttack(
  baseUrl: string,
  attack: Attack,
  context: AttackContext,
): Promise<AttackOutcome> {
  if (attack.before) {
    const first = await send(baseUrl, attack.before(context));
    if (first.status >= 500 || first.status === 0)
      return {
        attack,
        exchange: first,
        observed: `preparing request answered ${first.status}`,
        problems: [`preparing request answered ${first.status}: ${first.text.slice(0, 200)}`],
      };
  }
  const exchange = await send(baseUrl, attack.request(context));
  const verdict = new Verdict();
  if (exchange.status !== 0) {
    verdict.ok(exchange.json !== undefined, 'the answer is valid JSON');
    verdict.ok(
      exchange.status < 500,
      `no 5xx (got ${exchange.status}: ${short(exchange.text, 200)})`,
    );
  }
  try {
    attack.judge(exchange, verdict, context);
  } catch (error) {
    verdict.problems.push(`could not judge the answer: ${String(error)}`);
  }
  return { attack, exchange, observed: describeExchange(exchange), problems: verdict.problems };
}

/** The RunResult of a 200 answer; records a problem and returns undefined otherwise. */
export function resultOf(exchange: Exchange, verdict: Verdict): RunResult | undefined {
  if (exchange.status !== 200 || typeof exchange.json !== 'object' || exchange.json === null) {
    verdict.problems.push(`expected a 200 with a run result, got ${exchange.status}`);
    return undefined;
  }
  return exchange.json as RunResult;
}

/**
 * The last line of stdout parsed as JSON: probe programs print one JSON report of what
 * they tried. Records a problem when there is none.
 */
export function reportOf<T>(result: RunResult, verdict: Verdict): T | undefined {
  const lines = result.stdout.trimEnd().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch {
    verdict.problems.push(
      `no JSON report on stdout (status ${result.status}, stderr ${short(result.stderr)})`,
    );
    return undefined;
  }
}

/**
 * Judges a probe report `{name: "blocked: ..." | "ALLOWED: ..."}`: every probe must be blocked,
 * except those in `allowedByDesign`, which must be allowed exactly as documented (so the day
 * they are blocked too, the test says the documentation is out of date).
 */
export function expectAllBlocked(
  report: Record<string, string> | undefined,
  verdict: Verdict,
  minimumProbes: number,
  allowedByDesign: readonly string[] = [],
): void {
  if (report === undefined) return;
  const entries = Object.entries(report);
  verdict.ok(
    entries.length >= minimumProbes,
    `${minimumProbes} probes ran (got ${entries.length})`,
  );
  for (const [probe, outcome] of entries) {
    if (allowedByDesign.includes(probe))
      verdict.ok(outcome.startsWith('ALLOWED'), `${probe} is allowed as documented (${outcome})`);
    else verdict.ok(outcome.startsWith('blocked'), `${probe} is blocked (${outcome})`);
  }
}

function describeExchange(exchange: Exchange): string {
  if (exchange.status === 0) return `client hung up after ${Math.round(exchange.elapsedMs)} ms`;
  const body = exchange.json as Partial<RunResult> & { message?: string };
  if (exchange.status !== 200 || typeof body !== 'object' || body === null)
    return `${exchange.status} ${short(body?.message ?? exchange.text)}`;
  const output = (body.output ?? '').replace(/\s+/g, ' ');
  return `${body.status} exit=${body.exitCode} ${body.durationMs} ms${body.truncated ? ' truncated' : ''} ${short(output, 60)}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function since(started: number): number {
  return performance.now() - started;
}

export function short(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

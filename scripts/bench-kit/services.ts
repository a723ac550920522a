/**
 * The built service (dist/src/main.js) as a child process of a bench, set up by its environment
 * like any deployment: a free port on 127.0.0.1, a rate limit no bench reaches (one client sends
 * every run here: neither its rate nor its runs in flight are the subject), warnings only in the
 * log. The service prints the address it listens on; that line says it is ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Subject } from './measure.js';
import { expectBenchOutput, BENCH_PROGRAM } from './sandbox.js';
import { stopChild, waitUntil, type Teardown } from './teardown.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.js');
/** Start-up includes building the sandbox image on an engine that lacks it. */
const START_WITHIN_MS = 120_000;

export interface StartedService {
  name: string;
  url: string;
  pid: number;
  /** SIGTERM and waits for the exit (the service removes its containers first); idempotent. */
  stop: () => Promise<void>;
}

/**
 * Starts the service with these settings on top of this process's environment (`undefined`
 * unsets one). With a teardown, it runs in its own process group and the teardown stops it.
 */
export async function startService(
  name: string,
  settings: Record<string, string | undefined>,
  teardown?: Teardown,
): Promise<StartedService> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    RATE_LIMIT: '1000000',
    LOG_LEVEL: 'warn',
  };
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const options = { env, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
  const child: ChildProcess = teardown
    ? teardown.spawn(name, process.execPath, [MAIN], options)
    : spawn(process.execPath, [MAIN], options);
  let output = '';
  const exited = once(child, 'exit');
  const stop = () => stopChild(child, name);
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    void exited.then(([code]) => reject(new Error(`${name} exited (${code}):\n${output}`)), reject);
    setTimeout(
      () => reject(new Error(`${name} did not listen within ${START_WITHIN_MS} ms:\n${output}`)),
      START_WITHIN_MS,
    ).unref();
  });
  try {
    const url = await listening;
    return { name, url, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What POST /run answers (the fields the benches read). */
export interface RunAnswer {
  status?: string;
  output?: string;
  durationMs?: number;
  compileMs?: number;
}

/** `POST /run` of `body` on the service at `url`; throws unless it answered 200 and success. */
export async function postRun(
  url: string,
  body: { code: string; language?: string },
  signal?: AbortSignal,
): Promise<RunAnswer> {
  const response = await fetch(`${url}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  const answer = (await response.json()) as RunAnswer;
  if (response.status !== 200 || answer.status !== 'success') {
    throw new Error(`POST /run answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  return answer;
}

/** `POST /run` of print(2 + 2) on the service at `url`; aborts with `signal`. */
export function postRunSubject(name: string, url: string, signal?: AbortSignal): Subject {
  return {
    name,
    once: async () => {
      const answer = await postRun(url, { code: BENCH_PROGRAM }, signal);
      expectBenchOutput(answer.output ?? '', name);
    },
  };
}

/** Waits until the API's /health lists `count` workers connected to the queue. */
export async function untilWorkers(
  api: StartedService,
  count: number,
  signal?: AbortSignal,
): Promise<void> {
  await waitUntil(
    `${count} worker(s) on ${api.name}'s /health`,
    async () => {
      const health = (await fetch(`${api.url}/health`, { signal })
        .then((r) => r.json())
        .catch(() => undefined)) as { details?: { queue?: { workers?: unknown[] } } } | undefined;
      return (health?.details?.queue?.workers?.length ?? 0) >= count;
    },
    { withinMs: 60_000, signal },
  );
}

export interface PoolCounts {
  hits: number;
  misses: number;
}

/** The pool's hits and misses so far, from the service's /metrics (undefined if unreadable). */
export async function poolCounts(service: { url: string }): Promise<PoolCounts | undefined> {
  const text = await fetch(`${service.url}/metrics`)
    .then((r) => (r.ok ? r.text() : ''))
    .catch(() => '');
  const counter = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  const counts = { hits: counter('sce_pool_hits_total'), misses: counter('sce_pool_misses_total') };
  return Number.isNaN(counts.hits) || Number.isNaN(counts.misses) ? undefined : counts;
}

/**
 * Waits until every pool of the service holds its idle containers again (its /metrics: idle
 * containers of all runtimes against their total size), for at most `withinMs`; resolves with
 * whether they did. A service whose /metrics cannot be read counts as full.
 */
export async function untilPoolsFull(service: { url: string }, withinMs: number): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const text = await fetch(`${service.url}/metrics`)
      .then((r) => (r.ok ? r.text() : ''))
      .catch(() => '');
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const idle = gauge('sce_pool_idle_containers');
    const size = gauge('sce_pool_size');
    if (Number.isNaN(idle) || Number.isNaN(size) || idle >= size) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** "12 hits, 30 misses". */
export function poolLine(counts: PoolCounts | undefined): string {
  return counts ? `${counts.hits} hits, ${counts.misses} misses` : 'pool counts unavailable';
}

/**
 * `npm run bench`: how long a user waits for `print(2 + 2)`, side by side in one run on one machine:
 *
 * - the service (POST /run over HTTP), with its container pool and, for reference, without it;
 * - a cold `docker run --rm` with the very same image, command and limits (the original design:
 *   one container created and started per program) through the docker CLI
 *   (bench-kit/cold-docker.ts), with flags derived from containerSpec so the limits cannot drift
 *   from the service's;
 * - a bare `python3` on the host (the floor: no container at all).
 *
 * Sequential latency (p50, p90) after a warm-up, then throughput at a fixed concurrency, then the
 * ratios with PASS/FAIL against the targets of docs/PERFORMANCE.md. A benchmark, not a test:
 * it starts the built service itself (dist/src/main.js) unless BENCH_URL points at a running one.
 *
 * Then live output: how far behind the program a client sees each line (write to arrival), over
 * server-sent events and the interactive WebSocket, embedded and through Redis (its own Redis, one
 * API and one worker), with PASS/FAIL against p50 under 20 ms embedded and 30 ms through Redis.
 *
 * Then the runtimes (bench-kit/runtimes.ts): a hello world in every language whose image is on
 * the engine, through a service with a warm pool for each and in a cold `docker run --rm` of the
 * same image, alternated, with PASS/FAIL against service p50 <= 0.2 of cold for the interpreted
 * ones, and the compile and run time of the compiled ones.
 *
 * Settings (environment): BENCH_URL, BENCH_RUNS (50), BENCH_WARMUP (5), BENCH_CONCURRENCY (4),
 * BENCH_CONCURRENT_RUNS (40), BENCH_POOL_OFF (1: also measure the service with SANDBOX_POOL_SIZE=0), BENCH_PAUSE_MS (250),
 * BENCH_LIVE_RUNS (5 runs of 20 lines per live row; 0 skips the live rows), BENCH_REDIS_APPENDFSYNC (always),
 * BENCH_RUNTIME_RUNS (20 per runtime; 0 skips the runtimes), BENCH_RUNTIME_WARMUP (2),
 * BENCH_RUNTIMES (comma-separated languages; all by default), BENCH_ONLY (`runtimes`: that section alone).
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { loadAppConfig } from '../src/config/app-config.js';
import { coldDockerRun } from './bench-kit/cold-docker.js';
import { command, machine } from './bench-kit/machine.js';
import {
  figuresTable,
  nonNegative,
  positive,
  sequential,
  throughput,
  type Figures,
  type Subject,
} from './bench-kit/measure.js';
import {
  liveLatency,
  liveLatencyTable,
  type LiveLatency,
  type LiveTransport,
} from './bench-kit/live-latency.js';
import { startRedis } from './bench-kit/redis.js';
import { runtimesSection } from './bench-kit/runtimes.js';
import { BENCH_PROGRAM, benchPolicy, expectBenchOutput } from './bench-kit/sandbox.js';
import {
  poolCounts,
  poolLine,
  postRunSubject,
  startService,
  untilWorkers,
  type PoolCounts,
} from './bench-kit/services.js';
import { Teardown } from './bench-kit/teardown.js';

const TARGET_P50_RATIO = 0.15;
const TARGET_THROUGHPUT_RATIO = 1;

const env = process.env;
const RUNS = positive(env.BENCH_RUNS, 50);
const WARMUP = positive(env.BENCH_WARMUP, 5);
const CONCURRENCY = positive(env.BENCH_CONCURRENCY, 4);
const CONCURRENT_RUNS = positive(env.BENCH_CONCURRENT_RUNS, 40);
/** Runs of the rows that are for reference only (not in the targets): back to back, pool off, host. */
const REFERENCE_RUNS = Math.max(1, Math.ceil(RUNS / 2));
/** Pause between sequential runs: a user reading the answer before the next run. */
const PAUSE_MS = nonNegative(env.BENCH_PAUSE_MS, 250);
const MEASURE_POOL_OFF = (env.BENCH_POOL_OFF ?? '1') !== '0' && !env.BENCH_URL;
const SEQUENTIAL = { runs: RUNS, warmup: WARMUP, pauseMs: PAUSE_MS };
const REFERENCE = { ...SEQUENTIAL, runs: REFERENCE_RUNS };
const CONCURRENT = { concurrency: CONCURRENCY, runs: CONCURRENT_RUNS };
const LIVE_RUNS = nonNegative(env.BENCH_LIVE_RUNS, 5);
const APPENDFSYNC = env.BENCH_REDIS_APPENDFSYNC || 'always';
const LIVE_TARGET_EMBEDDED_MS = 20;
const LIVE_TARGET_REDIS_MS = 30;
const TRANSPORTS: LiveTransport[] = ['SSE', 'WebSocket'];
/** Timed hello worlds per runtime in the runtimes section (each through the service and cold). */
const RUNTIME_RUNS = nonNegative(env.BENCH_RUNTIME_RUNS, 20);
const RUNTIME_WARMUP = nonNegative(env.BENCH_RUNTIME_WARMUP, 2);
/** `runtimes`: that section alone. */
const ONLY = env.BENCH_ONLY || undefined;

/** The live rows through Redis: a Redis of the bench's own, one API, one worker. */
async function liveThroughRedis(): Promise<[string, LiveLatency, number][]> {
  const teardown = new Teardown();
  try {
    const redis = await startRedis(teardown, APPENDFSYNC);
    const settings = { REDIS_URL: redis.url, CLIENT_MAX_INFLIGHT: String(CONCURRENCY) };
    const api = await startService('API', { ...settings, ROLE: 'api' }, teardown);
    await startService('worker', { ...settings, ROLE: 'worker' }, teardown);
    await untilWorkers(api, 1);
    const rows: [string, LiveLatency, number][] = [];
    for (const transport of TRANSPORTS) {
      rows.push([
        `${transport}, through Redis`,
        await liveLatency(api.url, transport, LIVE_RUNS),
        LIVE_TARGET_REDIS_MS,
      ]);
    }
    return rows;
  } finally {
    await teardown.run();
  }
}

function coldDockerSubject(): Subject {
  const run = coldDockerRun(benchPolicy(), 'cold');
  return {
    name: 'cold docker run --rm (CLI)',
    once: async () => expectBenchOutput(await run(BENCH_PROGRAM), 'docker run'),
  };
}

function hostPythonSubject(): Subject {
  return {
    name: 'bare python3 on the host',
    once: async () => expectBenchOutput(await command('python3', ['-c', BENCH_PROGRAM]), 'python3'),
  };
}

/** The engine's version as the docker CLI, which the cold row uses, reports it. */
async function dockerVersion(): Promise<string> {
  const version = command('docker', ['version', '--format', '{{.Server.Version}}']);
  return (await version.catch(() => '?')).trim();
}

/** The print(2 + 2) rows, their ratios and the live rows; resolves with whether all passed. */
async function printSection(): Promise<boolean> {
  console.log(
    `program: ${BENCH_PROGRAM}; ${RUNS} sequential runs ${PAUSE_MS} ms apart after ${WARMUP} warm-up (${REFERENCE_RUNS} for the reference rows: back to back, pool off, host); ${CONCURRENT_RUNS} runs at concurrency ${CONCURRENCY}\n`,
  );
  const rows: [string, Figures][] = [];
  const liveRows: [string, LiveLatency, number][] = [];

  const pooled = env.BENCH_URL
    ? { url: env.BENCH_URL.replace(/\/$/, ''), stop: () => Promise.resolve() }
    : await startService('the service', { CLIENT_MAX_INFLIGHT: String(CONCURRENCY) });
  const poolSize = env.BENCH_URL ? '?' : String(loadAppConfig(env).SANDBOX_POOL_SIZE);
  let service: Figures;
  let pool: PoolCounts | undefined;
  try {
    const subject = postRunSubject(`service POST /run (pool ${poolSize})`, pooled.url);
    service = await sequential(subject, SEQUENTIAL);
    service.throughput = await throughput(subject, CONCURRENT);
    rows.push([subject.name, service]);
    if (LIVE_RUNS > 0) {
      for (const transport of TRANSPORTS) {
        liveRows.push([
          `${transport}, embedded`,
          await liveLatency(pooled.url, transport, LIVE_RUNS),
          LIVE_TARGET_EMBEDDED_MS,
        ]);
      }
    }
    if (PAUSE_MS > 0) {
      // Runs back to back outpace any refill (creating and starting a container costs more
      // than the run itself), so this row mostly shows the pool empty; reported for honesty.
      rows.push([
        `  same, back to back (no pause)`,
        await sequential(subject, { ...REFERENCE, pauseMs: 0 }),
      ]);
    }
  } finally {
    pool = await poolCounts(pooled);
    await pooled.stop();
  }

  if (MEASURE_POOL_OFF) {
    const off = await startService('the service without pool', {
      CLIENT_MAX_INFLIGHT: String(CONCURRENCY),
      SANDBOX_POOL_SIZE: '0',
    });
    try {
      const subject = postRunSubject('service POST /run (pool off)', off.url);
      const figures = await sequential(subject, REFERENCE);
      figures.throughput = await throughput(subject, CONCURRENT);
      rows.push([subject.name, figures]);
    } finally {
      await off.stop();
    }
  }

  if (LIVE_RUNS > 0 && !env.BENCH_URL) liveRows.push(...(await liveThroughRedis()));

  const coldSubject = coldDockerSubject();
  const cold = await sequential(coldSubject, SEQUENTIAL);
  cold.throughput = await throughput(coldSubject, CONCURRENT);
  rows.push([coldSubject.name, cold]);

  const hostSubject = hostPythonSubject();
  rows.push([hostSubject.name, await sequential(hostSubject, REFERENCE)]);

  console.log(figuresTable(rows, CONCURRENCY));
  if (pool) console.log(`\npool of the service, all its runs included: ${poolLine(pool)}`);
  const p50Ratio = service.p50 / cold.p50;
  const throughputRatio = service.throughput / cold.throughput;
  const p50Pass = p50Ratio <= TARGET_P50_RATIO;
  const throughputPass = throughputRatio >= TARGET_THROUGHPUT_RATIO;
  console.log('');
  console.log(
    `p50 service / cold docker run:        ${p50Ratio.toFixed(3)} (target <= ${TARGET_P50_RATIO}) ${p50Pass ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `throughput service / cold docker run: ${throughputRatio.toFixed(2)} (target >= ${TARGET_THROUGHPUT_RATIO}) ${throughputPass ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `p50 service / bare host python3:     ${(service.p50 / rows.at(-1)![1].p50).toFixed(2)}`,
  );
  let livePass = true;
  if (liveRows.length > 0) {
    const live = liveLatencyTable(liveRows);
    livePass = live.pass;
    console.log(`\n${live.text}`);
  }
  return p50Pass && throughputPass && livePass;
}

async function main(): Promise<void> {
  if (ONLY !== undefined && ONLY !== 'runtimes') {
    throw new Error(`BENCH_ONLY=${ONLY}: the only section that runs alone is runtimes`);
  }
  if (ONLY === 'runtimes' && RUNTIME_RUNS === 0) {
    throw new Error('BENCH_ONLY=runtimes with BENCH_RUNTIME_RUNS=0 leaves nothing to measure');
  }
  const started = performance.now();
  console.log(await machine(await dockerVersion()));
  let pass = true;
  if (ONLY === undefined) pass = await printSection();
  if (RUNTIME_RUNS > 0) {
    const runtimes = await runtimesSection({
      runs: RUNTIME_RUNS,
      warmup: RUNTIME_WARMUP,
      pauseMs: PAUSE_MS,
      only: (env.BENCH_RUNTIMES ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
      url: env.BENCH_URL?.replace(/\/$/, ''),
      clientMaxInflight: CONCURRENCY,
    });
    console.log(`\n${runtimes.text}\n`);
    pass &&= runtimes.pass;
  }
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (!pass) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});

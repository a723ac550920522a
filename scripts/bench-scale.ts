/**
 * `npm run bench:scale`: what the distributed mode costs and carries, side by side in one run
 * on one machine, against what the engine can do at all:
 *
 * - the embedded service (one process, no Redis): POST /run p50/p90 one run at a time, then
 *   runs per second at a fixed concurrency;
 * - Redis, one ROLE=api and one ROLE=worker: the same two (the queue path's overhead is the
 *   difference of the p50s), and the CPU the API, Redis and the worker spend per run;
 * - one API and two workers on two engines (the shared one and a second dockerd the bench
 *   starts when run as root, or BENCH_SCALE_SECOND_DOCKER_HOST): runs per second;
 * - the engine's own ceiling (bench-kit/engine-ceiling.ts): bare sandbox cycles (create,
 *   start, send print(2 + 2), wait, remove) through the engine API with the service's image,
 *   command and limits, at the same concurrency, which no service on that engine can beat;
 *   measured last with nothing else running (the table's row), and also just before and just
 *   after the one-worker row, whose ratio compares it with the mean of those two.
 *
 * Then the ratios with PASS/FAIL against the targets of issue 10 (docs/PERFORMANCE.md); exit 1
 * on a FAIL, 2 on an error. A benchmark, not a test: other load on the machine moves the figures
 * by tens of percent. It starts the built service (dist/src/main.js), redis-server and perhaps
 * dockerd as its own processes and stops them all at the end and on Ctrl-C (bench-kit/teardown.ts);
 * the services remove their containers when they stop, the ceiling removes its own.
 *
 * Settings (environment): BENCH_SCALE_CONCURRENCY (8), BENCH_SCALE_RUNS (40: runs measured at
 * that concurrency, in every row), BENCH_SCALE_LATENCY_RUNS (30), BENCH_SCALE_PAUSE_MS (700: long enough for the pool to refill between runs,
 * so the p50s compare the paths and not the engine's speed at making containers),
 * BENCH_SCALE_SECOND_DOCKER_HOST, BENCH_SCALE_REDIS_APPENDFSYNC (always), DOCKER_HOST (the
 * first engine), WORKER_CONCURRENCY (the cores) and the SANDBOX_* settings as the service reads them.
 */
import 'reflect-metadata';
import Docker from 'dockerode';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { CpuMeter, cpuLine } from './bench-kit/cpu.js';
import { measureEngineCeiling } from './bench-kit/engine-ceiling.js';
import { machine } from './bench-kit/machine.js';
import {
  figuresTable,
  nonNegative,
  positive,
  sequential,
  throughput,
  type Figures,
  type Subject,
} from './bench-kit/measure.js';
import { startRedis } from './bench-kit/redis.js';
import { BENCH_PROGRAM, benchPolicy } from './bench-kit/sandbox.js';
import { copyImage, secondEngine } from './bench-kit/second-engine.js';
import {
  poolCounts,
  postRunSubject,
  startService,
  untilWorkers,
  type StartedService,
} from './bench-kit/services.js';
import { Teardown } from './bench-kit/teardown.js';

const TARGET_CEILING_RATIO = 0.95;
const TARGET_QUEUE_OVERHEAD_MS = 10;
const TARGET_SCALING = 1;

const env = process.env;
const CONCURRENCY = positive(env.BENCH_SCALE_CONCURRENCY, 8);
const RUNS = positive(env.BENCH_SCALE_RUNS, 40);
const SEQUENTIAL = {
  runs: positive(env.BENCH_SCALE_LATENCY_RUNS, 30),
  warmup: 5,
  pauseMs: nonNegative(env.BENCH_SCALE_PAUSE_MS, 700),
};
const CEILING_WARMUP = 3;
const APPENDFSYNC = env.BENCH_SCALE_REDIS_APPENDFSYNC || 'always';
const WORKER_CONCURRENCY = String(positive(env.WORKER_CONCURRENCY, availableParallelism()));

const teardown = new Teardown();
const signal = teardown.signal;

/** Settings of every service the bench starts; `undefined` unsets what this shell may have set. */
const EMBEDDED = {
  CLIENT_MAX_INFLIGHT: String(CONCURRENCY),
  REDIS_URL: undefined,
  ROLE: undefined,
};

/**
 * Runs per second at CONCURRENCY, after a burst of CONCURRENCY runs that is not timed (the
 * second engine's first runs read the image from disk); pool hits and misses and CPU per run
 * of `processes` (name → pid) over the timed runs.
 */
async function loaded(
  subject: Subject,
  pools: StartedService[],
  processes: Record<string, number>,
): Promise<{ throughput: number; cpu: string; pool: string }> {
  await throughput(subject, { concurrency: CONCURRENCY, runs: CONCURRENCY, signal });
  const before = await Promise.all(pools.map(poolCounts));
  const meter = await CpuMeter.start(processes);
  const rate = await throughput(subject, { concurrency: CONCURRENCY, runs: RUNS, signal });
  const cpu = cpuLine(meter.perRun(RUNS));
  const after = await Promise.all(pools.map(poolCounts));
  // hits/misses of each service's pool: "18/22", or "10/10 + 8/12" with two workers.
  const pool = after
    .map((now, i) => {
      const then = before[i];
      return now && then ? `${now.hits - then.hits}/${now.misses - then.misses}` : '?';
    })
    .join(' + ');
  return { throughput: rate, cpu, pool };
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

/** Bare sandbox cycles at CONCURRENCY through the engine API (bench-kit/engine-ceiling.ts). */
function engineCeiling(docker: Docker) {
  return measureEngineCeiling(docker, {
    concurrency: CONCURRENCY,
    runs: RUNS,
    warmup: CEILING_WARMUP,
    signal,
  });
}

/** Measures, prints, and answers whether every target was met. */
async function main(): Promise<boolean> {
  const started = performance.now();
  const docker = new Docker();
  console.log(await machine((await docker.version()).Version));
  console.log(
    `program: ${BENCH_PROGRAM}; p50/p90 over ${SEQUENTIAL.runs} runs one at a time ${SEQUENTIAL.pauseMs} ms apart after ${SEQUENTIAL.warmup} warm-up; ` +
      `@${CONCURRENCY}: ${RUNS} runs at concurrency ${CONCURRENCY} after ${CONCURRENCY} untimed; ` +
      `WORKER_CONCURRENCY ${WORKER_CONCURRENCY}, Redis appendfsync ${APPENDFSYNC}\n`,
  );
  const rows: [string, Partial<Figures>][] = [];
  const notes: string[] = [];

  // 1. The embedded mode: one process, no Redis.
  const embedded = await startService('embedded', EMBEDDED, teardown);
  const embeddedSubject = postRunSubject('embedded', embedded.url, signal);
  const alone = await sequential(embeddedSubject, { ...SEQUENTIAL, signal });
  const aloneLoaded = await loaded(embeddedSubject, [embedded], { service: embedded.pid });
  rows.push(['embedded: one process, no Redis', { ...alone, throughput: aloneLoaded.throughput }]);
  notes.push(`CPU per run @${CONCURRENCY}, embedded:    ${aloneLoaded.cpu}`);
  const pools = [`embedded ${aloneLoaded.pool}`];
  await teardown.run();

  // 2. Through Redis: one API, one worker on the first engine.
  const redis = await startRedis(teardown, APPENDFSYNC);
  const distributed = { ...EMBEDDED, REDIS_URL: redis.url, WORKER_CONCURRENCY };
  const api = await startService('API', { ...distributed, ROLE: 'api' }, teardown);
  const worker1 = await startService('worker 1', { ...distributed, ROLE: 'worker' }, teardown);
  await untilWorkers(api, 1, signal);
  const queueSubject = postRunSubject('through Redis', api.url, signal);
  const queue = await sequential(queueSubject, { ...SEQUENTIAL, signal });
  // The ceiling just before and just after (the services idle meanwhile): the machine's speed
  // drifts by more in a minute than the ratio's margin, so the ratio compares neighbours.
  const beside = [await engineCeiling(docker)];
  const one = await loaded(queueSubject, [worker1], {
    API: api.pid,
    Redis: redis.pid,
    'worker 1': worker1.pid,
  });
  beside.push(await engineCeiling(docker));
  rows.push(['Redis: API + 1 worker', { ...queue, throughput: one.throughput }]);
  notes.push(`CPU per run @${CONCURRENCY}, one worker:  ${one.cpu}`);
  pools.push(`one worker ${one.pool}`);

  // 3. A second worker on a second engine.
  const engine2 = await secondEngine(teardown, env.BENCH_SCALE_SECOND_DOCKER_HOST);
  let two: Awaited<ReturnType<typeof loaded>> | undefined;
  if ('skipped' in engine2) {
    rows.push(['Redis: API + 2 workers, 2 engines', {}]);
    notes.push(`two workers skipped: ${engine2.skipped}`);
  } else {
    if (await copyImage(docker, engine2.docker, benchPolicy().image)) {
      console.log(`copied the sandbox image to the second engine (${engine2.dockerHost})`);
    }
    const worker2 = await startService(
      'worker 2',
      { ...distributed, ROLE: 'worker', DOCKER_HOST: engine2.dockerHost },
      teardown,
    );
    await untilWorkers(api, 2, signal);
    two = await loaded(queueSubject, [worker1, worker2], {
      API: api.pid,
      Redis: redis.pid,
      'worker 1': worker1.pid,
      'worker 2': worker2.pid,
    });
    rows.push(['Redis: API + 2 workers, 2 engines', { throughput: two.throughput }]);
    notes.push(`CPU per run @${CONCURRENCY}, two workers: ${two.cpu}`);
    pools.push(`two workers ${two.pool}`);
  }
  await teardown.run();

  // 4. The engine's ceiling, with nothing else of the bench running.
  const ceiling = await engineCeiling(docker);
  rows.push(['engine ceiling: bare cycle (API)', ceiling]);

  console.log(figuresTable(rows, CONCURRENCY));
  console.log('');
  for (const note of notes) console.log(note);
  console.log(`pool hits/misses in the timed @${CONCURRENCY} runs: ${pools.join(', ')}`);
  console.log(
    'engine ceiling: one bare cycle (create, attach, start, send the program, wait for the exit, remove) on the first engine',
  );
  const besideRate = (beside[0].throughput + beside[1].throughput) / 2;
  console.log(
    `engine ceiling just before and after the one-worker row: ${beside.map((c) => c.throughput.toFixed(1)).join(' and ')}/s (mean ${besideRate.toFixed(1)}/s)`,
  );

  const ceilingRatio = one.throughput / besideRate;
  const overhead = queue.p50 - alone.p50;
  const ceilingPass = ceilingRatio >= TARGET_CEILING_RATIO;
  const overheadPass = overhead <= TARGET_QUEUE_OVERHEAD_MS;
  console.log('');
  console.log(
    `one worker @${CONCURRENCY} / engine ceiling:   ${ceilingRatio.toFixed(2)} (target >= ${TARGET_CEILING_RATIO}) ${verdict(ceilingPass)}`,
  );
  console.log(
    `queue p50 - embedded p50:          ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)} ms (target <= ${TARGET_QUEUE_OVERHEAD_MS} ms) ${verdict(overheadPass)}`,
  );
  let scalingPass = true;
  if (two) {
    const scaling = two.throughput / one.throughput;
    scalingPass = scaling >= TARGET_SCALING;
    console.log(
      `two workers / one worker @${CONCURRENCY}:      ${scaling.toFixed(2)} (target >= ${TARGET_SCALING}) ${verdict(scalingPass)}`,
    );
  } else {
    console.log(`two workers / one worker @${CONCURRENCY}:      skipped (no second engine)`);
  }
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return ceilingPass && overheadPass && scalingPass;
}

async function run(): Promise<void> {
  teardown.handleSignals();
  let exitCode: number;
  try {
    exitCode = (await main()) ? 0 : 1;
  } catch (error) {
    if (signal.aborted) {
      console.error('interrupted');
      exitCode = 130;
    } else {
      console.error(error);
      exitCode = 2;
    }
  }
  try {
    await teardown.run();
  } catch (error) {
    console.error(error);
    if (exitCode === 0 || exitCode === 1) exitCode = 2;
  }
  if (exitCode === 130)
    console.error('every process of the bench is stopped, its containers removed');
  process.exit(exitCode);
}

void run();

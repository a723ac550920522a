/**
 * `npm run bench:scale`: what the distributed mode costs and carries, side by side in one run
 * on one machine, against what the engine can do at all. Every subject is started first and
 * they are measured in turns, so that the machine's drift (tens of percent within minutes
 * here) moves them alike:
 *
 * - the embedded service (one process, no Redis);
 * - Redis, one ROLE=api and one ROLE=worker on the first engine;
 * - another Redis, ROLE=api and two ROLE=workers, one on each of two engines (the shared one and
 *   a second dockerd the bench starts when run as root, or BENCH_SCALE_SECOND_DOCKER_HOST);
 * - the engine's own ceiling (bench-kit/engine-ceiling.ts): bare sandbox cycles (create,
 *   start, send print(2 + 2), wait, remove) through the first engine's API with the service's
 *   image, command and limits, which no service on that engine can beat.
 *
 * Latency: POST /run p50/p90 one run at a time, the embedded service and the one-worker API in
 * turns, each run once every pool is full again (the queue path's overhead is the difference
 * of the p50s). Throughput: ROUNDS rounds,
 * each running RUNS runs of every subject at CONCURRENCY in turn (the order rotated every
 * round, each batch once every pool is full again); a subject's rate is all its runs over all
 * its time. CPU per run of the API, Redis and the workers, and of the whole machine (busy,
 * idle, and stolen by the hypervisor), over the same rounds.
 *
 * Then the ratios with PASS/FAIL against the targets of issue 10 (docs/PERFORMANCE.md); exit 1
 * on a FAIL, 2 on an error. A benchmark, not a test: other load on the machine moves the figures.
 * It starts the built service (dist/src/main.js), redis-server and perhaps dockerd as its own
 * processes and stops them all at the end and on Ctrl-C (bench-kit/teardown.ts); the services
 * remove their containers when they stop, the ceiling removes its own.
 *
 * Settings (environment): BENCH_SCALE_CONCURRENCY (8), BENCH_SCALE_ROUNDS (4),
 * BENCH_SCALE_RUNS (40: runs of every subject in every round), BENCH_SCALE_LATENCY_RUNS (30),
 * BENCH_SCALE_PAUSE_MS (700, after every pool is full again: so the p50s compare the paths,
 * not the engine's speed at making containers),
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
  interleaved,
  nonNegative,
  positive,
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
  untilPoolsFull,
  untilWorkers,
  type StartedService,
} from './bench-kit/services.js';
import { Teardown } from './bench-kit/teardown.js';

const TARGET_CEILING_RATIO = 0.95;
const TARGET_QUEUE_OVERHEAD_MS = 10;
const TARGET_SCALING = 1;

const env = process.env;
const CONCURRENCY = positive(env.BENCH_SCALE_CONCURRENCY, 8);
const ROUNDS = positive(env.BENCH_SCALE_ROUNDS, 4);
const RUNS = positive(env.BENCH_SCALE_RUNS, 40);
const SEQUENTIAL = {
  runs: positive(env.BENCH_SCALE_LATENCY_RUNS, 30),
  warmup: 5,
  pauseMs: nonNegative(env.BENCH_SCALE_PAUSE_MS, 700),
};
const CEILING_WARMUP = 3;
/** How long a batch waits at most for the pools to refill after the one before. */
const POOL_REFILL_MS = 30_000;
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

/** The table's rows. */
const ROWS = {
  embedded: 'embedded: one process, no Redis',
  oneWorker: 'Redis: API + 1 worker',
  twoWorkers: 'Redis: API + 2 workers, 2 engines',
  ceiling: 'engine ceiling: bare cycle (API)',
};

/** A subject of the throughput rounds, and what is counted while it runs. */
interface Loaded {
  row: string;
  /** Short, for the notes. */
  name: string;
  /** RUNS runs at CONCURRENCY; answers the seconds they took. */
  batch: () => Promise<number>;
  /** Services whose pools' hits and misses are counted. */
  pools: StartedService[];
  /** Processes whose CPU is counted (name → pid). */
  processes: Record<string, number>;
}

/** What the rounds add up for one subject. */
interface Tally {
  runs: number;
  seconds: number;
  cpuMs: Record<string, number>;
  hits: number[];
  misses: number[];
}

const emptyTally = (): Tally => ({ runs: 0, seconds: 0, cpuMs: {}, hits: [], misses: [] });

/** A service subject: POST /run at CONCURRENCY, after an untimed burst (caches, pools). */
function serviceLoad(
  row: string,
  subject: Subject,
  pools: StartedService[],
  processes: Record<string, number>,
): Loaded {
  return {
    row,
    name: subject.name,
    batch: async () =>
      RUNS / (await throughput(subject, { concurrency: CONCURRENCY, runs: RUNS, signal })),
    pools,
    processes,
  };
}

/** Bare sandbox cycles at CONCURRENCY through the engine API (bench-kit/engine-ceiling.ts). */
function ceilingLoad(docker: Docker): Loaded {
  return {
    row: ROWS.ceiling,
    name: 'engine ceiling',
    batch: async () => {
      const ceiling = await measureEngineCeiling(docker, {
        concurrency: CONCURRENCY,
        runs: RUNS,
        warmup: 0,
        signal,
      });
      return RUNS / ceiling.throughput;
    },
    pools: [],
    processes: {},
  };
}

/** Waits until every service's pools are full again (at most POOL_REFILL_MS). */
async function poolsRefilled(all: Loaded[]): Promise<void> {
  const refilled = await Promise.all(
    all.flatMap((other) => other.pools).map((service) => untilPoolsFull(service, POOL_REFILL_MS)),
  );
  if (refilled.includes(false)) {
    console.log(`(a pool was still not full after ${POOL_REFILL_MS} ms; measured anyway)`);
  }
}

/**
 * One batch of `load`, added to its tally. It starts once every service's pools are full
 * again: the refills after one subject's batch would otherwise run during the next one's.
 */
async function measureBatch(load: Loaded, tally: Tally, all: Loaded[]): Promise<void> {
  await poolsRefilled(all);
  const before = await Promise.all(load.pools.map(poolCounts));
  const meter = await CpuMeter.start(load.processes, true);
  tally.seconds += await load.batch();
  tally.runs += RUNS;
  for (const [name, ms] of Object.entries(meter.perRun(1))) {
    tally.cpuMs[name] = (tally.cpuMs[name] ?? 0) + ms;
  }
  const after = await Promise.all(load.pools.map(poolCounts));
  after.forEach((now, i) => {
    const then = before[i];
    tally.hits[i] = (tally.hits[i] ?? 0) + (now && then ? now.hits - then.hits : NaN);
    tally.misses[i] = (tally.misses[i] ?? 0) + (now && then ? now.misses - then.misses : NaN);
  });
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

/** Measures, prints, and answers whether every target was met. */
async function main(): Promise<boolean> {
  const started = performance.now();
  const docker = new Docker();
  console.log(await machine((await docker.version()).Version));
  console.log(
    `program: ${BENCH_PROGRAM}; p50/p90 over ${SEQUENTIAL.runs} runs one at a time, each ${SEQUENTIAL.pauseMs} ms after every pool is full again, after ${SEQUENTIAL.warmup} warm-up, the two services in turns; ` +
      `@${CONCURRENCY}: ${ROUNDS} rounds of ${RUNS} runs of every subject at concurrency ${CONCURRENCY}, in turns, after one untimed round; ` +
      `WORKER_CONCURRENCY ${WORKER_CONCURRENCY}, Redis appendfsync ${APPENDFSYNC}\n`,
  );

  // Every subject, started before any is measured.
  const embedded = await startService('embedded', EMBEDDED, teardown);
  const redis1 = await startRedis(teardown, APPENDFSYNC);
  const one = { ...EMBEDDED, REDIS_URL: redis1.url, WORKER_CONCURRENCY };
  const api1 = await startService('API (one worker)', { ...one, ROLE: 'api' }, teardown);
  const worker1 = await startService('worker 1', { ...one, ROLE: 'worker' }, teardown);
  await untilWorkers(api1, 1, signal);
  const embeddedSubject = postRunSubject('embedded', embedded.url, signal);
  const queueSubject = postRunSubject('one worker', api1.url, signal);
  const loads: Loaded[] = [
    serviceLoad(ROWS.embedded, embeddedSubject, [embedded], {
      service: embedded.pid,
    }),
    serviceLoad(ROWS.oneWorker, queueSubject, [worker1], {
      API: api1.pid,
      Redis: redis1.pid,
      'worker 1': worker1.pid,
    }),
  ];
  const notes: string[] = [];
  const engine2 = await secondEngine(teardown, env.BENCH_SCALE_SECOND_DOCKER_HOST);
  if ('skipped' in engine2) {
    notes.push(`two workers skipped: ${engine2.skipped}`);
  } else {
    if (await copyImage(docker, engine2.docker, benchPolicy().image)) {
      console.log(`copied the sandbox image to the second engine (${engine2.dockerHost})`);
    }
    const redis2 = await startRedis(teardown, APPENDFSYNC);
    const two = { ...EMBEDDED, REDIS_URL: redis2.url, WORKER_CONCURRENCY };
    const api2 = await startService('API (two workers)', { ...two, ROLE: 'api' }, teardown);
    const workerA = await startService('worker 2a', { ...two, ROLE: 'worker' }, teardown);
    const workerB = await startService(
      'worker 2b',
      { ...two, ROLE: 'worker', DOCKER_HOST: engine2.dockerHost },
      teardown,
    );
    await untilWorkers(api2, 2, signal);
    loads.push(
      serviceLoad(
        ROWS.twoWorkers,
        postRunSubject('two workers', api2.url, signal),
        [workerA, workerB],
        {
          API: api2.pid,
          Redis: redis2.pid,
          'worker 2a (engine 1)': workerA.pid,
          'worker 2b (engine 2)': workerB.pid,
        },
      ),
    );
  }
  loads.push(ceilingLoad(docker));

  // Latency, the two paths in turns, each run once the last one's container is replaced.
  const [alone, queue] = await interleaved([embeddedSubject, queueSubject], {
    ...SEQUENTIAL,
    settle: () => poolsRefilled(loads),
    signal,
  });

  // Throughput: an untimed round (the second engine reads the image from disk at first, the
  // ceiling warms its cycle), then the rounds, every subject once a round, the order rotated.
  await measureEngineCeiling(docker, { concurrency: 1, runs: CEILING_WARMUP, signal });
  const warmup = emptyTally();
  for (const load of loads) await measureBatch(load, warmup, loads);
  const tallies = loads.map(emptyTally);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < loads.length; k++) {
      const index = (round + k) % loads.length;
      await measureBatch(loads[index], tallies[index], loads);
    }
  }
  const rate = (index: number) => tallies[index].runs / tallies[index].seconds;
  const rateOf = (row: string) => {
    const index = loads.findIndex((load) => load.row === row);
    return index === -1 ? undefined : rate(index);
  };

  const rows: [string, Partial<Figures>][] = [
    [ROWS.embedded, { ...alone, throughput: rateOf(ROWS.embedded) }],
    [ROWS.oneWorker, { ...queue, throughput: rateOf(ROWS.oneWorker) }],
    [ROWS.twoWorkers, { throughput: rateOf(ROWS.twoWorkers) }],
    [ROWS.ceiling, { throughput: rateOf(ROWS.ceiling) }],
  ];
  console.log(figuresTable(rows, CONCURRENCY));
  console.log('');
  loads.forEach((load, index) => {
    const tally = tallies[index];
    if (Object.keys(tally.cpuMs).length > 0) {
      const perRun = Object.fromEntries(
        Object.entries(tally.cpuMs).map(([name, ms]) => [name, ms / tally.runs]),
      );
      console.log(`CPU per run @${CONCURRENCY}, ${load.row}: ${cpuLine(perRun)}`);
    }
  });
  const pools = loads
    .filter((load) => load.pools.length > 0)
    .map((load) => {
      const tally = tallies[loads.indexOf(load)];
      return `${load.name} ${tally.hits.map((h, i) => `${h}/${tally.misses[i]}`).join(' + ')}`;
    });
  console.log(`pool hits/misses in the timed @${CONCURRENCY} runs: ${pools.join(', ')}`);
  console.log(
    'engine ceiling: one bare cycle (create, attach, start, send the program, wait for the exit, remove) on the first engine',
  );
  for (const note of notes) console.log(note);

  const oneRate = rateOf(ROWS.oneWorker)!;
  const ceilingRatio = oneRate / rateOf(ROWS.ceiling)!;
  const overhead = queue.p50 - alone.p50;
  const ceilingPass = ceilingRatio >= TARGET_CEILING_RATIO;
  const overheadPass = overhead <= TARGET_QUEUE_OVERHEAD_MS;
  console.log('');
  console.log(
    `one worker @${CONCURRENCY} / engine ceiling:   ${ceilingRatio.toFixed(3)} (target >= ${TARGET_CEILING_RATIO}) ${verdict(ceilingPass)}`,
  );
  console.log(
    `queue p50 - embedded p50:          ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)} ms (target <= ${TARGET_QUEUE_OVERHEAD_MS} ms) ${verdict(overheadPass)}`,
  );
  let scalingPass = true;
  const twoRate = rateOf(ROWS.twoWorkers);
  if (twoRate !== undefined) {
    const scaling = twoRate / oneRate;
    scalingPass = scaling >= TARGET_SCALING;
    console.log(
      `two workers / one worker @${CONCURRENCY}:      ${scaling.toFixed(3)} (target >= ${TARGET_SCALING}) ${verdict(scalingPass)}`,
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

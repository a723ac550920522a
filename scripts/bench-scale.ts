/**
 * `npm run bench:scale`: throughput of the service against what its engine can do at all.
 * Today it prints the engine's own ceiling (bench-kit/engine-ceiling.ts): bare sandbox cycles
 * (create, start, send print(2 + 2), wait, remove) through the engine API with the service's
 * image, command and limits, at a fixed concurrency. The rows of the service itself (embedded
 * and through Redis, one and two workers) go beside it in the same table.
 *
 * A benchmark, not a test: other load on the machine moves the figures by tens of percent.
 * It creates only containers of its own (labelled, see engine-ceiling.ts) and removes them all
 * before it exits, on Ctrl-C too (a second Ctrl-C leaves them to the reaper).
 *
 * Settings (environment): BENCH_SCALE_CONCURRENCY (8), BENCH_SCALE_RUNS (40), DOCKER_HOST and
 * the SANDBOX_* limits as the service reads them.
 */
import 'reflect-metadata';
import Docker from 'dockerode';
import { performance } from 'node:perf_hooks';
import { measureEngineCeiling } from './bench-kit/engine-ceiling.js';
import { machine } from './bench-kit/machine.js';
import { figuresTable, positive, type Figures } from './bench-kit/measure.js';
import { BENCH_PROGRAM } from './bench-kit/sandbox.js';

const CONCURRENCY = positive(process.env.BENCH_SCALE_CONCURRENCY, 8);
const RUNS = positive(process.env.BENCH_SCALE_RUNS, 40);
const WARMUP = 3;

/** Aborted by Ctrl-C (or SIGTERM): no new cycles; those in flight end and are removed. */
const interrupted = new AbortController();

async function main(): Promise<void> {
  const started = performance.now();
  const docker = new Docker();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: ending the cycles in flight and removing their containers`);
      interrupted.abort(new Error(`interrupted by ${signal}`));
    });
  }

  console.log(await machine((await docker.version()).Version));
  console.log(
    `program: ${BENCH_PROGRAM}; ${RUNS} cycles at concurrency ${CONCURRENCY} after ${WARMUP} warm-up, one at a time\n`,
  );
  const rows: [string, Figures][] = [];
  rows.push([
    'engine ceiling: bare cycle (API)',
    await measureEngineCeiling(docker, {
      concurrency: CONCURRENCY,
      runs: RUNS,
      warmup: WARMUP,
      signal: interrupted.signal,
    }),
  ]);
  console.log(figuresTable(rows, CONCURRENCY));
  console.log(
    '\none bare cycle: create, attach, start, send the program, wait for the exit, remove',
  );
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  if (interrupted.signal.aborted) {
    console.error('interrupted; every container of the bench is removed');
    process.exit(130);
  }
  console.error(error);
  process.exit(2);
});

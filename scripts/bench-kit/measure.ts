/**
 * What every benchmark of scripts/ shares: reading its settings, timing, the two ways of
 * measuring a subject (one run at a time, and runs per second under concurrency), percentiles,
 * and the one table layout, so rows measured by different scripts read side by side.
 */
import { performance } from 'node:perf_hooks';

/** A setting that may be 0 (for example a pause); `fallback` when unset or not such a number. */
export function nonNegative(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** A count setting; `fallback` when unset or not a positive integer. */
export function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** One row of a benchmark's table: latency of one run, and runs per second under concurrency. */
export interface Figures {
  p50: number;
  p90: number;
  throughput?: number;
}

/** Milliseconds `run` took. */
export async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Something a bench runs: `once` runs print(2 + 2) once and throws unless it printed 4. */
export interface Subject {
  name: string;
  once: () => Promise<void>;
}

export interface SequentialOptions {
  /** Runs measured. */
  runs: number;
  /** Runs before measuring, not timed. */
  warmup: number;
  /** Pause before each measured run: a user reading the answer before the next run. */
  pauseMs: number;
  /** Awaited before each measured run's pause (say, until the services are idle again). */
  settle?: () => Promise<void>;
  /** Stops between runs (Ctrl-C): rejects with its reason. */
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** p50 and p90 of `runs` runs one at a time, `pauseMs` apart, after the warm-up. */
export async function sequential(subject: Subject, options: SequentialOptions): Promise<Figures> {
  return (await interleaved([subject], options))[0];
}

/**
 * p50 and p90 of each subject: `runs` runs each, one at a time, `pauseMs` before each, after
 * the warm-up; in turns (one run of each, the order reversed every turn), so that a machine
 * whose speed drifts during the measurement moves every subject alike and their difference
 * stays fair.
 */
export async function interleaved(
  subjects: Subject[],
  { runs, warmup, pauseMs, settle, signal }: SequentialOptions,
): Promise<Figures[]> {
  for (const subject of subjects) {
    for (let i = 0; i < warmup; i++) {
      signal?.throwIfAborted();
      await subject.once();
    }
  }
  const times: number[][] = subjects.map(() => []);
  for (let i = 0; i < runs; i++) {
    const order = subjects.map((_, index) => index);
    if (i % 2 === 1) order.reverse();
    for (const index of order) {
      await settle?.();
      await sleep(pauseMs);
      signal?.throwIfAborted();
      times[index].push(await timed(subjects[index].once));
    }
  }
  return times.map((list) => {
    list.sort((a, b) => a - b);
    return { p50: percentile(list, 50), p90: percentile(list, 90) };
  });
}

export interface ThroughputOptions {
  /** Runs in flight at once. */
  concurrency: number;
  /** Runs measured. */
  runs: number;
  /** Stops starting runs (Ctrl-C); rejects with its reason once those in flight are done. */
  signal?: AbortSignal;
}

/** Runs per second with `concurrency` runs in flight until `runs` are done. */
export async function throughput(
  subject: Subject,
  { concurrency, runs, signal }: ThroughputOptions,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < runs && !signal?.aborted) {
      next++;
      await subject.once();
    }
  };
  const elapsed = await timed(async () => {
    await Promise.all(Array.from({ length: concurrency }, worker));
  });
  signal?.throwIfAborted();
  return runs / (elapsed / 1000);
}

/** The nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

const ms = (n: number | undefined) =>
  n === undefined ? '-'.padStart(10) : `${n.toFixed(1)} ms`.padStart(10);
const perSecond = (n: number | undefined) =>
  n === undefined ? '-'.padStart(10) : `${n.toFixed(1)}/s`.padStart(10);

/**
 * The table every bench prints: p50, p90 and throughput at `concurrency`, one row per subject
 * ('-' where a row has no such figure).
 */
export function figuresTable(rows: [string, Partial<Figures>][], concurrency: number): string {
  return [
    `${''.padEnd(34)}${'p50'.padStart(10)}${'p90'.padStart(10)}${`@${concurrency}`.padStart(10)}`,
    ...rows.map(
      ([name, f]) => `${name.padEnd(34)}${ms(f.p50)}${ms(f.p90)}${perSecond(f.throughput)}`,
    ),
  ].join('\n');
}

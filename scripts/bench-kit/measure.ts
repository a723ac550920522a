/**
 * What every benchmark of scripts/ shares: reading its settings, timing, percentiles, and the
 * one table layout, so rows measured by different scripts read side by side.
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

/** The nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

const ms = (n: number) => `${n.toFixed(1)} ms`.padStart(10);
const perSecond = (n: number | undefined) =>
  n === undefined ? '-'.padStart(10) : `${n.toFixed(1)}/s`.padStart(10);

/** The table every bench prints: p50, p90 and throughput at `concurrency`, one row per subject. */
export function figuresTable(rows: [string, Figures][], concurrency: number): string {
  return [
    `${''.padEnd(34)}${'p50'.padStart(10)}${'p90'.padStart(10)}${`@${concurrency}`.padStart(10)}`,
    ...rows.map(
      ([name, f]) => `${name.padEnd(34)}${ms(f.p50)}${ms(f.p90)}${perSecond(f.throughput)}`,
    ),
  ].join('\n');
}

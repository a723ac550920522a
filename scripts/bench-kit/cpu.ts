/**
 * CPU a process spends per run: user plus system time of all its threads, read from
 * /proc/<pid>/stat before and after a phase, divided by the phase's runs. Linux only; the
 * kernel counts in clock ticks (usually 10 ms), so a phase needs enough runs for a fine figure.
 */
import { readFileSync } from 'node:fs';
import { command } from './machine.js';

/** user + system time of `pid` so far, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count the fields after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime); the first after the name is field 3.
  return Number(fields[14 - 3]) + Number(fields[15 - 3]);
}

export class CpuMeter {
  private constructor(
    private readonly pids: Record<string, number>,
    private readonly before: Record<string, number>,
    private readonly msPerTick: number,
  ) {}

  /** Starts counting for these processes (name → pid). */
  static async start(pids: Record<string, number>): Promise<CpuMeter> {
    const ticksPerSecond = Number((await command('getconf', ['CLK_TCK'])).trim()) || 100;
    const before = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuTicks(pid)]));
    return new CpuMeter(pids, before, 1000 / ticksPerSecond);
  }

  /** ms of CPU per run of each process since start(), over `runs` runs. */
  perRun(runs: number): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => [
        name,
        ((cpuTicks(pid) - this.before[name]) * this.msPerTick) / runs,
      ]),
    );
  }
}

/** "API 3.1 ms, Redis 0.8 ms" */
export function cpuLine(perRun: Record<string, number>): string {
  return Object.entries(perRun)
    .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
    .join(', ');
}

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

/**
 * The whole machine's CPU time so far, in clock ticks, from /proc/stat's first line: busy (all
 * but idle, iowait and steal), idle (idle and iowait), and steal (time the hypervisor gave
 * to others while this machine wanted to run).
 */
export function machineTicks(): { busy: number; idle: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guests are in user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

export class CpuMeter {
  private constructor(
    private readonly pids: Record<string, number>,
    private readonly before: Record<string, number>,
    private readonly machineBefore: ReturnType<typeof machineTicks> | undefined,
    private readonly msPerTick: number,
  ) {}

  /**
   * Starts counting for these processes (name → pid), and with `machine` the whole machine's
   * busy, idle and stolen time too (as "machine busy", "machine idle" and "steal").
   */
  static async start(pids: Record<string, number>, machine = false): Promise<CpuMeter> {
    const ticksPerSecond = Number((await command('getconf', ['CLK_TCK'])).trim()) || 100;
    const before = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuTicks(pid)]));
    return new CpuMeter(pids, before, machine ? machineTicks() : undefined, 1000 / ticksPerSecond);
  }

  /** ms of CPU per run of each process since start(), over `runs` runs. */
  perRun(runs: number): Record<string, number> {
    const ms = (ticks: number) => (ticks * this.msPerTick) / runs;
    const figures = Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => [name, ms(cpuTicks(pid) - this.before[name])]),
    );
    if (this.machineBefore) {
      const now = machineTicks();
      figures['machine busy'] = ms(now.busy - this.machineBefore.busy);
      figures['machine idle'] = ms(now.idle - this.machineBefore.idle);
      figures.steal = ms(now.steal - this.machineBefore.steal);
    }
    return figures;
  }
}

/** "API 3.1 ms, Redis 0.8 ms" */
export function cpuLine(perRun: Record<string, number>): string {
  return Object.entries(perRun)
    .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
    .join(', ');
}

/** The machine a benchmark ran on, printed above its figures: they mean little without it. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** Runs a command to its end and returns its stdout; rejects on a non-zero exit. */
export async function command(file: string, args: string[], input?: Buffer): Promise<string> {
  const child = spawn(file, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.end(input);
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${file} exited with ${code}: ${stderr.trim()}`);
  return stdout;
}

/**
 * Two lines: CPUs, memory, kernel, the engine's version (as the caller asked its engine) and
 * Node's; then the load average, since other load moves the figures by tens of percent.
 */
export async function machine(engineVersion: string): Promise<string> {
  const kernel = (await command('uname', ['-r'])).trim();
  const model = cpus()[0]?.model ?? '?';
  const memory = `${Math.round(totalmem() / 1024 ** 3)} GiB`;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return [
    `machine: ${cpus().length} CPUs (${model}), ${memory} RAM, kernel ${kernel}, docker ${engineVersion}, node ${process.version}`,
    `load average before the run: ${load}`,
  ].join('\n');
}

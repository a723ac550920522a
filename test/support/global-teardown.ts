import { readFileSync, readdirSync } from 'node:fs';

/**
 * A test that fails before its service's stop() leaves that service running; it would keep
 * going on the engine (reaping, holding pool containers) after the run. Jest runs the suites
 * in this process (--runInBand), so every service a test started is a child of this process:
 * kill whichever is still alive.
 */
export default function globalTeardown(): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so cut at the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (parent === process.pid && command.includes('dist/src/main.js')) {
        console.warn(`killing service ${entry} that a test left running`);
        process.kill(Number(entry), 'SIGKILL');
      }
    } catch {
      // the process ended meanwhile
    }
  }
}

/**
 * What a bench starts is stopped again whatever happens: each start adds the step that undoes
 * it (stop a service, a Redis, an engine), and run() takes them last first, at the end of a
 * phase, at the end, on an error, and after the first Ctrl-C (or SIGTERM), which only stops the
 * measurement. The processes run in process groups of their own, so a Ctrl-C at the terminal
 * reaches the bench alone and the bench stops them in order: the services first, while the
 * Redis and the engines they need to remove their containers still run. A second Ctrl-C kills
 * what is left at once and leaves its containers to the services' reaper.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

interface Step {
  what: string;
  undo: () => Promise<void>;
}

export class Teardown {
  private readonly steps: Step[] = [];
  /** Every process still running, with the signal a second Ctrl-C sends it. */
  private readonly children = new Map<ChildProcess, NodeJS.Signals>();
  private readonly interrupted = new AbortController();

  /** Aborted by the first Ctrl-C or SIGTERM: measurements stop, then run() undoes the rest. */
  get signal(): AbortSignal {
    return this.interrupted.signal;
  }

  handleSignals(): void {
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      process.on(name, () => {
        if (!this.interrupted.signal.aborted) {
          console.error(`\n${name}: stopping what the bench started (once more to kill it)`);
          this.interrupted.abort(new Error(`interrupted by ${name}`));
          return;
        }
        console.error(`\n${name} again: killing what is left; the reaper removes its containers`);
        for (const [child, signal] of this.children) child.kill(signal);
        process.exit(130);
      });
    }
  }

  /**
   * Spawns `what` in a process group of its own and adds the step that stops it (stopChild).
   * `killSignal` is what a second Ctrl-C sends it (SIGTERM for a process that must clean up
   * after itself, such as dockerd). A failed spawn leaves `pid` undefined.
   */
  spawn(
    what: string,
    file: string,
    args: string[],
    options: SpawnOptions,
    killSignal: NodeJS.Signals = 'SIGKILL',
  ): ChildProcess {
    const child = spawn(file, args, { ...options, detached: true });
    this.children.set(child, killSignal);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    this.add(`stop ${what}`, () => stopChild(child, what));
    return child;
  }

  /** Adds the step that undoes what was just started. */
  add(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  /** Runs every step added so far, last first, each even if another failed; then throws if any did. */
  async run(): Promise<void> {
    const failures: string[] = [];
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.undo();
      } catch (error) {
        failures.push(`${step.what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`teardown failed: ${failures.join('; ')}`);
  }
}

const stopping = new WeakMap<ChildProcess, Promise<void>>();

/**
 * SIGTERM (a service lets its runs in flight finish and removes its containers, Redis writes
 * its AOF, dockerd stops its containers), then waits for the exit; after `withinMs`, SIGKILL
 * and an error. Once per process, however often it is called.
 */
export function stopChild(child: ChildProcess, what: string, withinMs = 60_000): Promise<void> {
  let stopped = stopping.get(child);
  if (!stopped) {
    stopped = terminate(child, what, withinMs);
    stopping.set(child, stopped);
  }
  return stopped;
}

async function terminate(child: ChildProcess, what: string, withinMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, withinMs, 'late')));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${what} did not stop within ${withinMs} ms; killed`);
  }
}

/** Resolves once `check` answers true; rejects after `withinMs`, or when `signal` aborts. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  { withinMs, everyMs = 100, signal }: { withinMs: number; everyMs?: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    signal?.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

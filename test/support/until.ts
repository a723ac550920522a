import { setTimeout as sleep } from 'node:timers/promises';

export interface UntilOptions {
  /** How long to keep polling (a safety net, not a speed assertion). Default 30 s. */
  withinMs?: number;
  /** Pause between two probes. Default 100 ms. */
  everyMs?: number;
  /**
   * What to do when the time is up: throw (the default), or hand back the last value so the
   * caller's assertion shows it (e.g. the containers left behind).
   */
  onTimeout?: 'throw' | 'return-last';
}

/**
 * Calls `probe` until `done` holds for its value (by default: until the value is truthy) and
 * returns that value. When `withinMs` pass first, throws an error naming `what` it waited for
 * and the last value seen (or returns the last value, with onTimeout: 'return-last').
 * Errors of the probe are not retried: they end the wait at once.
 *
 * Hand-written rather than taken from a library: ten lines, and the tests need the named
 * failure and the last value more than back-off strategies.
 */
export async function until<T, U extends T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => value is U,
  options?: UntilOptions,
): Promise<U>;
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  done?: (value: T) => boolean,
  options?: UntilOptions,
): Promise<T>;
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => boolean = Boolean,
  { withinMs = 30_000, everyMs = 100, onTimeout = 'throw' }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() >= deadline) {
      if (onTimeout === 'return-last') return value;
      throw new Error(`waited ${withinMs} ms for: ${what} (last seen: ${describe(value)})`);
    }
    await sleep(everyMs);
  }
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

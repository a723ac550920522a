/** First and longest pause between retries while the engine fails. */
export interface RetryDelays {
  min: number;
  max: number;
}

export const DEFAULT_RETRY_DELAYS: RetryDelays = { min: 250, max: 5000 };

/**
 * Sleeps that all wake at once when their owner closes, so a shutdown never waits out a
 * back-off.
 */
export class InterruptibleSleep {
  private closed = false;
  private readonly wakeUps = new Set<() => void>();

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves after `ms`, on close, or once `until` settles, whichever comes first. */
  sleep(ms: number, until?: Promise<unknown>): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeUps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeUps.add(wake);
      until?.then(wake, wake);
    });
  }

  close(): void {
    this.closed = true;
    for (const wake of this.wakeUps) wake();
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { Inject, Injectable } from '@nestjs/common';
import { configSlice, type ConfigSlice } from '../config/config-slice.js';
import { RunRejectedError } from './run-rejected.error.js';

/** The settings admission control reads. */
export const ADMISSION_CONFIG = configSlice('admission', [
  'SANDBOX_MAX_CONCURRENT',
  'SANDBOX_QUEUE_LIMIT',
  'SANDBOX_QUEUE_WAIT_MS',
  'SANDBOX_TIMEOUT_MS',
] as const);
export type AdmissionConfig = ConfigSlice<(typeof ADMISSION_CONFIG.keys)[number]>;

interface Waiter {
  admit(): void;
  reject(error: RunRejectedError): void;
}

export interface RunQueueStats {
  /** Runs holding a slot (their container may exist). */
  running: number;
  /** Runs waiting for a slot. */
  waiting: number;
  maxConcurrent: number;
  queueLimit: number;
  /** True once shutdown began: nothing new is admitted. */
  draining: boolean;
}

/**
 * Admission control: at most `maxConcurrent` runs at once, at most `queueLimit` more waiting
 * in FIFO order, each for at most `maxWaitMs`. Anything beyond is refused at once with a
 * RunRejectedError, so an overloaded service answers 503 quickly instead of timing out.
 * Knows nothing of containers: it admits tasks.
 */
@Injectable()
export class RunQueue {
  readonly maxConcurrent: number;
  readonly queueLimit: number;
  readonly maxWaitMs: number;
  /** Suggested Retry-After: about one run's time limit, when a slot is likely free again. */
  private readonly retryAfterSeconds: number;
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private draining = false;
  private readonly idleListeners: (() => void)[] = [];

  constructor(@Inject(ADMISSION_CONFIG.token) config: AdmissionConfig) {
    this.maxConcurrent = config.SANDBOX_MAX_CONCURRENT;
    this.queueLimit = config.SANDBOX_QUEUE_LIMIT;
    this.maxWaitMs = config.SANDBOX_QUEUE_WAIT_MS;
    this.retryAfterSeconds = Math.max(1, Math.ceil(config.SANDBOX_TIMEOUT_MS / 1000));
  }

  get stats(): RunQueueStats {
    return {
      running: this.running,
      waiting: this.waiting.length,
      maxConcurrent: this.maxConcurrent,
      queueLimit: this.queueLimit,
      draining: this.draining,
    };
  }

  /** True when a new run would be refused right now. */
  get saturated(): boolean {
    return (
      this.draining ||
      (this.running >= this.maxConcurrent && this.waiting.length >= this.queueLimit)
    );
  }

  /**
   * Runs `task` once a slot is free. Rejects with RunRejectedError, without running it, when
   * the queue is full, the wait passes maxWaitMs, the service drains, or `signal` aborts
   * (the client went away) while it waits.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /**
   * Stops admitting runs (new and queued ones are refused with `shutting_down`) and resolves
   * once the runs in flight have finished.
   */
  drain(): Promise<void> {
    this.draining = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.shuttingDown());
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleListeners.push(resolve));
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.draining) return Promise.reject(this.shuttingDown());
    if (signal?.aborted) return Promise.reject(clientGone());
    if (this.running < this.maxConcurrent && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(
        new RunRejectedError(
          'queue_full',
          `The service is busy: ${this.running} programs are running and ${this.waiting.length} are waiting (the limits are ${this.maxConcurrent} and ${this.queueLimit}). Retry later.`,
          this.retryAfterSeconds,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
      };
      const waiter: Waiter = {
        admit: () => {
          leave();
          resolve();
        },
        reject: (error) => {
          leave();
          reject(error);
        },
      };
      const timer = setTimeout(
        () =>
          waiter.reject(
            new RunRejectedError(
              'queue_timeout',
              `The service is busy: no slot became free within ${this.maxWaitMs} ms. Retry later.`,
              this.retryAfterSeconds,
            ),
          ),
        this.maxWaitMs,
      );
      const onAbort = () => waiter.reject(clientGone());
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    // Hand the slot straight to the oldest waiter, so the count never dips below the demand.
    const next = this.waiting[0];
    if (next && !this.draining) {
      next.admit();
      return;
    }
    this.running--;
    if (this.running === 0) for (const resolve of this.idleListeners.splice(0)) resolve();
  }

  private shuttingDown(): RunRejectedError {
    return new RunRejectedError(
      'shutting_down',
      'The service is shutting down and takes no new programs. Retry in a moment (another instance may answer).',
      5,
    );
  }
}

function clientGone(): RunRejectedError {
  return new RunRejectedError('client_gone', 'The client closed the connection.');
}

import { Inject, Injectable } from '@nestjs/common';
import { configSlice, type ConfigSlice } from '../config/config-slice.js';
import { CLIENT_RUN_COUNTER, type ClientRunCounter } from './client-run-counter.js';
import { RunRejectedError } from './run-rejected.error.js';

/** The settings admission control reads. */
export const ADMISSION_CONFIG = configSlice('admission', [
  'SANDBOX_MAX_CONCURRENT',
  'SANDBOX_QUEUE_LIMIT',
  'SANDBOX_QUEUE_WAIT_MS',
  'SANDBOX_TIMEOUT_MS',
  'CLIENT_MAX_INFLIGHT',
] as const);
export type AdmissionConfig = ConfigSlice<(typeof ADMISSION_CONFIG.keys)[number]>;

interface Waiter {
  client: string;
  admit(): void;
  reject(error: RunRejectedError): void;
}

/** A client with runs in flight or waiting (forgotten once it has neither). */
interface ClientState {
  running: number;
  /** Its runs waiting, oldest first. */
  waiting: Waiter[];
  /** When it last got a slot (a count of admissions): the round robin's order. */
  servedAt: number;
}

/** Who a run is for, and when its client went away. */
export interface RunAdmission {
  /** The client the run counts against (ClientIdentity: its API key, else its address). */
  client: string;
  /** Fires when the client goes away: a waiting run leaves the queue at once. */
  signal?: AbortSignal;
  /**
   * How long the run may wait for a slot; SANDBOX_QUEUE_WAIT_MS unless given. A run accepted
   * for later (POST /runs) waits without limit (Infinity): its client is not holding a request.
   */
  maxWaitMs?: number;
}

/** A run handed to the queue: first accepted (or refused), then done. */
export interface QueuedRun<T> {
  /** Settles once the run holds a slot or a place in the queue; rejects if it was refused. */
  accepted: Promise<void>;
  /** Settles with the task's outcome; rejects with the refusal if it never ran. */
  done: Promise<T>;
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
 * Admission control: at most `maxConcurrent` runs at once, at most `queueLimit` more waiting,
 * each for at most `maxWaitMs`, and at most `clientLimit` running or waiting per client.
 * Anything beyond is refused at once with a RunRejectedError, so an overloaded service answers
 * quickly instead of timing out. A freed slot goes to the waiting client with the fewest runs
 * in flight, ties in round robin, so a client that filled the queue cannot hold back another's
 * run by more than the next free slot. Knows nothing of containers: it admits tasks.
 */
@Injectable()
export class RunQueue {
  readonly maxConcurrent: number;
  readonly queueLimit: number;
  readonly maxWaitMs: number;
  /** Runs one client may have running or waiting (CLIENT_MAX_INFLIGHT). */
  readonly clientLimit: number;
  /** Suggested Retry-After: about one run's time limit, when a slot is likely free again. */
  private readonly retryAfterSeconds: number;
  private running = 0;
  private waitingCount = 0;
  private admissions = 0;
  private readonly clients = new Map<string, ClientState>();
  private draining = false;
  private readonly idleListeners: (() => void)[] = [];

  constructor(
    @Inject(ADMISSION_CONFIG.token) config: AdmissionConfig,
    @Inject(CLIENT_RUN_COUNTER) private readonly clientRuns: ClientRunCounter,
  ) {
    this.maxConcurrent = config.SANDBOX_MAX_CONCURRENT;
    this.queueLimit = config.SANDBOX_QUEUE_LIMIT;
    this.maxWaitMs = config.SANDBOX_QUEUE_WAIT_MS;
    this.clientLimit = config.CLIENT_MAX_INFLIGHT;
    this.retryAfterSeconds = Math.max(1, Math.ceil(config.SANDBOX_TIMEOUT_MS / 1000));
  }

  get stats(): RunQueueStats {
    return {
      running: this.running,
      waiting: this.waitingCount,
      maxConcurrent: this.maxConcurrent,
      queueLimit: this.queueLimit,
      draining: this.draining,
    };
  }

  /** True when a new run would be refused right now. */
  get saturated(): boolean {
    return (
      this.draining || (this.running >= this.maxConcurrent && this.waitingCount >= this.queueLimit)
    );
  }

  /**
   * Runs `task` once a slot is free. Rejects with RunRejectedError, without running it, when
   * the client already has clientLimit runs, the queue is full, the wait passes its limit, the
   * service drains, or `signal` aborts (the client went away) while it waits.
   */
  run<T>(task: () => Promise<T>, admission: RunAdmission): Promise<T> {
    return this.submit(task, admission).done;
  }

  /** As run(), and says as soon as it knows whether the run was accepted (QueuedRun). */
  submit<T>(
    task: () => Promise<T>,
    { client, signal, maxWaitMs = this.maxWaitMs }: RunAdmission,
  ): QueuedRun<T> {
    let accept = (): void => undefined;
    let refuse: (error: unknown) => void = () => undefined;
    const accepted = new Promise<void>((resolve, reject) => {
      accept = resolve;
      refuse = reject;
    });
    // Callers of run() never look at `accepted`; its refusal is the same as done's.
    accepted.catch(() => undefined);
    const done = (async () => {
      if (this.draining) throw this.shuttingDown();
      if (!(await this.clientRuns.tryAcquire(client, this.clientLimit))) {
        throw new RunRejectedError(
          'client_limit',
          `This client already has ${this.clientLimit} programs running or waiting, the most one client may have (CLIENT_MAX_INFLIGHT). Retry when one has finished.`,
          this.retryAfterSeconds,
        );
      }
      try {
        await this.acquire(client, { signal, maxWaitMs, onPlaced: accept });
        try {
          return await task();
        } finally {
          this.release(client);
        }
      } finally {
        await this.clientRuns.release(client);
      }
    })();
    done.catch(refuse);
    return { accepted, done };
  }

  /**
   * Stops admitting runs (new and queued ones are refused with `shutting_down`) and resolves
   * once the runs in flight have finished.
   */
  drain(): Promise<void> {
    this.draining = true;
    const waiters = [...this.clients.values()].flatMap((state) => state.waiting);
    for (const waiter of waiters) waiter.reject(this.shuttingDown());
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleListeners.push(resolve));
  }

  /** Takes a slot, or a place in the queue until one is free; `onPlaced` says which came first. */
  private acquire(
    client: string,
    {
      signal,
      maxWaitMs,
      onPlaced,
    }: { signal?: AbortSignal; maxWaitMs: number; onPlaced: () => void },
  ): Promise<void> {
    if (this.draining) return Promise.reject(this.shuttingDown());
    if (signal?.aborted) return Promise.reject(clientGone());
    if (this.running < this.maxConcurrent && this.waitingCount === 0) {
      this.occupy(client);
      onPlaced();
      return Promise.resolve();
    }
    if (this.waitingCount >= this.queueLimit) {
      return Promise.reject(
        new RunRejectedError(
          'queue_full',
          `The service is busy: ${this.running} programs are running and ${this.waitingCount} are waiting (the limits are ${this.maxConcurrent} and ${this.queueLimit}). Retry later.`,
          this.retryAfterSeconds,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.removeWaiter(waiter);
      };
      const waiter: Waiter = {
        client,
        admit: () => {
          leave();
          resolve();
        },
        reject: (error) => {
          leave();
          reject(error);
        },
      };
      const timer = Number.isFinite(maxWaitMs)
        ? setTimeout(
            () =>
              waiter.reject(
                new RunRejectedError(
                  'queue_timeout',
                  `The service is busy: no slot became free within ${maxWaitMs} ms. Retry later.`,
                  this.retryAfterSeconds,
                ),
              ),
            maxWaitMs,
          )
        : undefined;
      const onAbort = () => waiter.reject(clientGone());
      signal?.addEventListener('abort', onAbort, { once: true });
      this.stateOf(client).waiting.push(waiter);
      this.waitingCount++;
      onPlaced();
    });
  }

  private release(client: string): void {
    this.running--;
    const state = this.stateOf(client);
    state.running--;
    this.forgetIfIdle(client, state);
    const next = this.draining ? undefined : this.nextWaiter();
    if (next) {
      // The slot goes straight to the next waiter, before anything else can take it.
      this.occupy(next.client);
      next.admit();
      return;
    }
    if (this.running === 0) for (const resolve of this.idleListeners.splice(0)) resolve();
  }

  /**
   * The oldest run of the waiting client with the fewest runs in flight; among equals, of the
   * one served longest ago (round robin).
   */
  private nextWaiter(): Waiter | undefined {
    let chosen: ClientState | undefined;
    for (const state of this.clients.values()) {
      if (state.waiting.length === 0) continue;
      if (
        !chosen ||
        state.running < chosen.running ||
        (state.running === chosen.running && state.servedAt < chosen.servedAt)
      ) {
        chosen = state;
      }
    }
    return chosen?.waiting[0];
  }

  private removeWaiter(waiter: Waiter): void {
    const state = this.clients.get(waiter.client);
    const index = state?.waiting.indexOf(waiter) ?? -1;
    if (!state || index < 0) return;
    state.waiting.splice(index, 1);
    this.waitingCount--;
    this.forgetIfIdle(waiter.client, state);
  }

  private occupy(client: string): void {
    this.running++;
    const state = this.stateOf(client);
    state.running++;
    state.servedAt = ++this.admissions;
  }

  private stateOf(client: string): ClientState {
    let state = this.clients.get(client);
    if (!state) {
      state = { running: 0, waiting: [], servedAt: 0 };
      this.clients.set(client, state);
    }
    return state;
  }

  /** Keeps the map to the clients present: one with nothing running or waiting is dropped. */
  private forgetIfIdle(client: string, state: ClientState): void {
    if (state.running === 0 && state.waiting.length === 0) this.clients.delete(client);
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

import type { RunProgram, RunRecord } from './run-record.js';

/** Injection token of the RunDispatcher. */
export const RUN_DISPATCHER = Symbol('RUN_DISPATCHER');

export interface DispatchOptions {
  /** How long the run may wait for a slot (POST /run: SANDBOX_QUEUE_WAIT_MS; POST /runs: no limit). */
  maxWaitMs: number;
  requestId?: string;
  /** Someone waits for its end (POST /run): RunProcessor announces it before storing it. */
  awaited?: boolean;
}

/**
 * Hands accepted runs to the workers and stops them on request. The embedded mode runs them
 * in this process, through admission (EmbeddedRunDispatcher); the distributed mode puts them
 * on the BullMQ queue.
 */
export interface RunDispatcher {
  /**
   * Resolves once the run holds a slot or a place in the queue; rejects with a DomainError
   * (queue full, client limit, shutting down) if it is refused, and then it never runs.
   */
  dispatch(run: RunRecord, program: RunProgram, options: DispatchOptions): Promise<void>;
  /** Stops the run: a queued one never starts, a running one is killed. */
  cancel(id: string): void;
}

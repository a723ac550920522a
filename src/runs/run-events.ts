import type { StreamName } from '../sandbox/index.js';
import { hasEnded, type RunRecord } from './run-record.js';
import { runView } from './run-view.js';

/** Injection token of the RunEvents. */
export const RUN_EVENTS = Symbol('RUN_EVENTS');

export type RunEventType = 'status' | 'stdout' | 'stderr' | 'result';

/**
 * One event of a run's life, in the order they happened: `status` (`{status: "running",
 * attempt}` when a worker starts it), `stdout` and `stderr` (`{data}`: output as the program
 * writes it, under the run's output cap), and last `result` (the run as GET /runs/{id} shows it).
 */
export interface RunEvent {
  /** Increasing within a run, otherwise opaque: the SSE id, for Last-Event-ID. */
  id: string;
  type: RunEventType;
  /** The event's payload, as JSON text. */
  data: string;
}

export interface FollowOptions {
  /** Only the events after this one (Last-Event-ID); all of them, from the start, without it. */
  after?: string;
  /** Stops following. */
  signal?: AbortSignal;
  /** The run has ended: its events are all stored, so only those are read (no waiting). */
  ended?: boolean;
}

/**
 * The ordered events of every run: kept while the run is kept, replayed from any point, and
 * followed live. The worker appends output; the RunStore appends `status` and `result` in the
 * same step as the change they report (transitionEvent), so a run that has ended always has
 * its `result` as its last event. Embedded: in memory (MemoryRunEvents); distributed: a Redis
 * stream per run, announced on a channel (RedisRunEvents).
 */
export interface RunEvents {
  /**
   * Appends output of a running run; resolves once it is stored. Writes are applied in the
   * order they are made, this one before any RunStore update made after it even if that is
   * made before this resolves (Redis: one connection carries both; memory: at once).
   */
  output(runId: string, stream: StreamName, data: string): Promise<void>;
  /**
   * The run's events after `after`, then the live ones as they come; ends after `result` (or
   * when `signal` aborts). Never throws for a run without events: it waits for them.
   */
  follow(runId: string, options?: FollowOptions): AsyncIterable<RunEvent>;
}

/**
 * The event a change of a run's record announces, if any: `status` when a worker starts it
 * (again, for a later attempt), `result` when it ends.
 */
export function transitionEvent(
  current: RunRecord,
  next: RunRecord,
): { type: RunEventType; data: string } | undefined {
  if (!hasEnded(current) && hasEnded(next)) {
    return { type: 'result', data: JSON.stringify(runView(next)) };
  }
  const started =
    next.status === 'running' &&
    (current.status !== 'running' || current.attempts !== next.attempts);
  if (started) {
    return { type: 'status', data: JSON.stringify({ status: 'running', attempt: next.attempts }) };
  }
  return undefined;
}

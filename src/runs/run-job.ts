import type { RunProgram, RunRecord } from './run-record.js';

/** The BullMQ queue runs travel on in the distributed mode. */
export const RUN_QUEUE_NAME = 'sce-runs';

/** Redis channel on which a cancel reaches the worker running the run. */
export const CANCEL_CHANNEL = 'sce:run-cancel';

/** A job's data: what a worker needs to run the run (its record is in the RunStore). */
export interface RunJob {
  runId: string;
  program: RunProgram;
  requestId?: string;
  /** The record as it was accepted: the worker starts it without reading it first. */
  run?: RunRecord;
  /** Someone waits for its end (POST /run): the worker announces the end before storing it. */
  awaited?: boolean;
}

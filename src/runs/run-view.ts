import type { RunResult } from '../sandbox/index.js';
import type { RunRecord, RunState } from './run-record.js';

/** A run as clients see it (GET /runs/{id}, DELETE, callbacks): no owner, no program. */
export interface RunView {
  id: string;
  status: RunState;
  /** ISO 8601 times. */
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  attempts: number;
  /** Exactly what POST /run answers, once the program ran. */
  result?: RunResult;
  /** Why the run could not run (status `internal_error`). */
  error?: { code: string; message: string };
}

export function runView(run: RunRecord): RunView {
  const iso = (time: number | undefined) =>
    time === undefined ? undefined : new Date(time).toISOString();
  return {
    id: run.id,
    status: run.status,
    createdAt: new Date(run.createdAt).toISOString(),
    ...(run.startedAt === undefined ? {} : { startedAt: iso(run.startedAt) }),
    ...(run.finishedAt === undefined ? {} : { finishedAt: iso(run.finishedAt) }),
    attempts: run.attempts,
    ...(run.result ? { result: run.result } : {}),
    ...(run.error ? { error: { code: run.error.code, message: run.error.message } } : {}),
  };
}

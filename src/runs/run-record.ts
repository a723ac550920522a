import type { DomainErrorCode } from '../common/domain-error.js';
import type { RunResult } from '../sandbox/index.js';

/** Where a run stands: waiting, running, cancelled, or, once it ran, its own status. */
export type RunState = 'queued' | 'running' | 'cancelled' | 'internal_error' | RunResult['status'];

/** What a run is asked to do. */
export interface RunProgram {
  code: string;
  stdin?: string;
  /** Its runtime's language name (runtime-catalogue.ts); python when unset. */
  language?: string;
  /** Its own limits (within the operator's caps, checked by the API); the runtime's otherwise. */
  limits?: { timeoutMs?: number; memoryMb?: number };
  /** Files placed in its working directory (names checked by the API). */
  files?: { name: string; content: string; encoding?: 'utf8' | 'base64' }[];
}

/** One run as the service keeps it (RunStore), from its submission to its expiry. */
export interface RunRecord {
  /** A UUIDv4: 122 random bits, so a run cannot be found by guessing. */
  id: string;
  /**
   * The client that may see the run when API keys are on (its ClientIdentity, `key:...`);
   * null when keys are off, and then anyone holding the id may.
   */
  owner: string | null;
  /** Who the run counts against (ClientIdentity), for the per-client cap. */
  client: string;
  status: RunState;
  /** Milliseconds since the epoch. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** How many times a worker has started the run. */
  attempts: number;
  /**
   * Which start of the run this is (a token of the worker's attempt), so that a start written
   * but not confirmed (Redis answered too late) is known as its own when tried again.
   */
  startedBy?: string;
  /** What POST /run answers, once the program ran. */
  result?: RunResult;
  /** Why it ended without a result of its own (status `internal_error`). */
  error?: RunFailure;
  callbackUrl?: string;
  /** Its stdin stays open while it runs, fed live by its client (the interactive WebSocket). */
  interactive?: boolean;
}

/** Why a run could not run: a DomainError's code (or `internal`) and its message. */
export interface RunFailure {
  code: DomainErrorCode | 'internal';
  message: string;
  retryAfterSeconds?: number;
}

/** True once the run has ended, however: nothing will change it any more. */
export function hasEnded(run: Pick<RunRecord, 'status'>): boolean {
  return run.status !== 'queued' && run.status !== 'running';
}

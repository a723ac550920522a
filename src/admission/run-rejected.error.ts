import { DomainError } from '../common/domain-error.js';

/** Why a run was turned away before it reached the sandbox. */
export type RejectionReason =
  'client_limit' | 'queue_full' | 'queue_timeout' | 'shutting_down' | 'client_gone';

/**
 * A run the service declined to start: its client already has CLIENT_MAX_INFLIGHT runs
 * running or waiting, all slots busy and the queue full, too long a wait, the service is
 * shutting down, or the client went away while it waited.
 */
export class RunRejectedError extends DomainError {
  constructor(
    code: RejectionReason,
    message: string,
    /** When a retry has a fair chance, in seconds. */
    retryAfterSeconds?: number,
  ) {
    super(code, message, retryAfterSeconds);
  }
}

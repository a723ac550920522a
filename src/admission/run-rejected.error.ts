/** Why a run was turned away before it reached the sandbox. */
export type RejectionReason = 'queue_full' | 'queue_timeout' | 'shutting_down' | 'client_gone';

/**
 * A run the service declined to start: all slots busy and the queue full, too long a wait,
 * or the service is shutting down. Mapped to 503 + Retry-After by the domain error filter.
 */
export class RunRejectedError extends Error {
  override name = 'RunRejectedError';

  constructor(
    readonly kind: RejectionReason,
    message: string,
    /** When a retry has a fair chance, in seconds. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

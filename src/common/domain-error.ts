/**
 * What can go wrong in the service's own terms. Each code maps to one HTTP status in
 * domain-error.filter.ts; features never speak HTTP.
 */
export const DOMAIN_ERROR_CODES = [
  // The Docker engine and what runs on it.
  'engine_unavailable',
  'image_missing',
  'runtime_missing',
  'container_lost',
  // Admission.
  'queue_full',
  'queue_timeout',
  'shutting_down',
  'client_gone',
  // Limits per client.
  'rate_limited',
  'client_limit',
  'rate_limiter_unavailable',
  // Authentication.
  'api_key_missing',
  'api_key_invalid',
  // Runs kept for later reading.
  'run_not_found',
  // A WebSocket path asked for without the upgrade.
  'upgrade_required',
  // The distributed mode's shared state.
  'redis_unavailable',
  // Callbacks.
  'callbacks_disabled',
  // A language the service does not run.
  'unknown_language',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/**
 * The one shape of the service's errors: a code, a message written for the client (it names
 * the problem and what to do), and, when retrying makes sense, how many seconds to wait.
 * Features may subclass it to build the message in one place; the shape stays the same.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

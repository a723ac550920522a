/**
 * The rate limit of POST /run as data, and the answers derived from it: the RateLimit-*
 * headers sent on every /run response and the message of a 429. Kept free of Nest so it can
 * be unit-tested.
 */
export interface RateLimitPolicy {
  /** Runs allowed per client per window. */
  limit: number;
  windowMs: number;
}

/** What the limiter's storage said about this request's client. */
export interface RateLimitState {
  /** Hits counted in the current window, including this request. */
  totalHits: number;
  /** Seconds until the window's counter resets. */
  secondsToReset: number;
  /** True when this request is over the limit. */
  blocked: boolean;
  /** Seconds until a blocked client may run again. */
  secondsToUnblock: number;
}

/**
 * The RateLimit-Limit / -Remaining / -Reset headers (the IETF httpapi draft's names, as
 * GitHub, Cloudflare and express-rate-limit send them). Reset is in seconds from now.
 */
export function rateLimitHeaders(
  policy: RateLimitPolicy,
  state: RateLimitState,
): Record<string, string> {
  const reset = state.blocked ? retryAfterSeconds(state) : Math.max(0, state.secondsToReset);
  return {
    'RateLimit-Limit': String(policy.limit),
    'RateLimit-Remaining': String(Math.max(0, policy.limit - state.totalHits)),
    'RateLimit-Reset': String(reset),
  };
}

/** Whole seconds a blocked client should wait; at least 1, so clients never busy-loop. */
export function retryAfterSeconds(state: RateLimitState): number {
  return Math.max(1, Math.ceil(state.secondsToUnblock));
}

/** The message of a 429, naming the limit and the wait. */
export function rateLimitMessage(policy: RateLimitPolicy, retryAfter: number): string {
  return `rate limit of ${policy.limit} runs per ${formatSeconds(policy.windowMs)} reached; retry in ${retryAfter} s`;
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

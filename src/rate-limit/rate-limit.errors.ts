import { DomainError } from '../common/domain-error.js';

/**
 * The limiter could not count a request (its storage failed). POST /run is then refused with a
 * 503 rather than let through: an unlimited run endpoint is the outage this limiter prevents.
 */
export class RateLimiterUnavailableError extends DomainError {
  constructor(cause: unknown) {
    super(
      'rate_limiter_unavailable',
      'the rate limiter is unavailable, so runs are refused for now; retry shortly',
      5,
      { cause },
    );
  }
}

/** A client went over its limit: a 429 carrying the wait. */
export class RateLimitExceededError extends DomainError {
  constructor(message: string, retryAfterSeconds: number) {
    super('rate_limited', message, retryAfterSeconds);
  }
}

import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * The limiter could not count a request (its storage failed). POST /run is then refused with a
 * 503 rather than let through: an unlimited run endpoint is the outage this limiter prevents.
 */
export class RateLimiterUnavailableError extends Error {
  readonly kind = 'rate_limiter_unavailable';
  /** Seconds a client should wait before retrying. */
  readonly retryAfterSeconds = 5;

  constructor(cause: unknown) {
    super('the rate limiter is unavailable, so runs are refused for now; retry shortly', {
      cause,
    });
    this.name = 'RateLimiterUnavailableError';
  }
}

/** A client went over its limit: a 429 carrying the wait (the filter sets Retry-After). */
export class RateLimitExceededException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

import { Injectable } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { RateLimitExceededError, RateLimiterUnavailableError } from './rate-limit.errors.js';
import {
  rateLimitHeaders,
  rateLimitMessage,
  retryAfterSeconds,
  type RateLimitPolicy,
  type RateLimitState,
} from './rate-limit-policy.js';

/** What counting one run says: the RateLimit-* headers to send, and the 429 if over. */
export interface RateLimitCount {
  headers: Record<string, string>;
  /** Set when the client is over its quota: the run must be refused with it. */
  refusal?: RateLimitExceededError;
}

/**
 * Counts one run against its client's quota (RATE_LIMIT per RATE_LIMIT_WINDOW_MS), in the
 * throttler's storage (memory, or Redis shared by every API instance). One counter per client
 * for every way of starting a run (POST /run, POST /runs, the interactive WebSocket). Says when
 * the client is over (a RateLimitExceededError, 429, to refuse the run with); throws
 * RateLimiterUnavailableError (503) when the storage fails: never lets a run through uncounted.
 */
@Injectable()
export class RunRateLimiter {
  private readonly policy: RateLimitPolicy & { name: string; blockDurationMs: number };

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {
    const [throttler] = Array.isArray(options) ? options : options.throttlers;
    const number = (value: unknown) => (typeof value === 'number' ? value : NaN);
    this.policy = {
      name: throttler.name ?? 'default',
      limit: number(throttler.limit),
      windowMs: number(throttler.ttl),
      blockDurationMs: number(throttler.blockDuration ?? throttler.ttl),
    };
  }

  /** Counts a run of `client` (ClientIdentity); the headers describe its quota after it. */
  async count(client: string): Promise<RateLimitCount> {
    const { name, limit, windowMs, blockDurationMs } = this.policy;
    // Hashed as the throttler's generateKey does: no address is stored as such.
    const key = createHash('sha256').update(`${name}-${client}`).digest('hex');
    let record: Awaited<ReturnType<ThrottlerStorage['increment']>>;
    try {
      record = await this.storage.increment(key, windowMs, limit, blockDurationMs, name);
    } catch (error) {
      throw new RateLimiterUnavailableError(error);
    }
    const state: RateLimitState = {
      totalHits: record.totalHits,
      secondsToReset: record.timeToExpire,
      blocked: record.isBlocked,
      secondsToUnblock: record.timeToBlockExpire,
    };
    const headers = rateLimitHeaders(this.policy, state);
    if (!state.blocked) return { headers };
    const wait = retryAfterSeconds(state);
    return {
      headers,
      refusal: new RateLimitExceededError(rateLimitMessage(this.policy, wait), wait),
    };
  }
}

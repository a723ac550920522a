import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { ClientIdentity } from '../auth/client-identity.js';
import { RateLimitExceededError, RateLimiterUnavailableError } from './rate-limit.errors.js';
import {
  rateLimitHeaders,
  rateLimitMessage,
  retryAfterSeconds,
  type RateLimitPolicy,
  type RateLimitState,
} from './rate-limit-policy.js';

/**
 * Rate limit of POST /run (applied there with @UseGuards; every other route is free).
 * Differs from ThrottlerGuard in three ways:
 * - the client is its API key when it presents a valid one, else its address (ClientIdentity,
 *   shared with the cap on runs in flight), and it has one quota for all guarded routes;
 * - RateLimit-Limit/-Remaining/-Reset go on every answer, the 429 included;
 * - when the storage fails, the request is refused (503), never let through.
 */
@Injectable()
export class RunRateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly clients: ClientIdentity,
  ) {
    super(options, storage, reflector);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration } = request;
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    // One counter per client for every guarded route, so POST /run and POST /runs draw on the
    // same quota (ThrottlerGuard's generateKey adds the controller and handler, which gave each
    // route a quota of its own). Hashed as generateKey does: no address is stored as such.
    const key = createHash('sha256')
      .update(`${throttler.name ?? 'default'}-${this.clients.of(req)}`)
      .digest('hex');
    let record: Awaited<ReturnType<ThrottlerStorage['increment']>>;
    try {
      record = await this.storageService.increment(
        key,
        ttl,
        limit,
        blockDuration,
        throttler.name ?? 'default',
      );
    } catch (error) {
      throw new RateLimiterUnavailableError(error);
    }
    const policy: RateLimitPolicy = { limit, windowMs: ttl };
    const state: RateLimitState = {
      totalHits: record.totalHits,
      secondsToReset: record.timeToExpire,
      blocked: record.isBlocked,
      secondsToUnblock: record.timeToBlockExpire,
    };
    for (const [name, value] of Object.entries(rateLimitHeaders(policy, state))) {
      res.setHeader(name, value);
    }
    if (state.blocked) {
      const wait = retryAfterSeconds(state);
      throw new RateLimitExceededError(rateLimitMessage(policy, wait), wait);
    }
    return true;
  }
}

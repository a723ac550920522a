import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ClientIdentity } from '../auth/client-identity.js';
import { RunRateLimiter, type RateLimitCount } from './run-rate-limiter.js';

/**
 * Counts a request that starts a run as soon as it arrives, before its body is read and
 * checked, so that the count (a Redis round trip in the distributed mode) runs alongside that
 * work instead of after it; RunRateLimitGuard then takes this count rather than making one. A
 * request that reaches the guard uncounted (a path spelled otherwise, `/RUN/`) is counted there:
 * the head start only saves time. A request refused for its body counts too: it reached the
 * service as a run request.
 */
@Injectable()
export class RunCountAhead {
  private readonly counts = new WeakMap<Request, Promise<RateLimitCount>>();

  constructor(
    private readonly limiter: RunRateLimiter,
    private readonly clients: ClientIdentity,
  ) {}

  /** Express middleware that counts each POST to one of `paths` (exactly as routed). */
  middleware(paths: readonly string[]): RequestHandler {
    const counted = new Set(paths);
    return (req: Request, _res: Response, next: NextFunction) => {
      if (req.method === 'POST' && counted.has(req.path)) {
        const count = this.limiter.count(this.clients.of(req));
        count.catch(() => undefined); // the guard reports it; a request refused before has none
        this.counts.set(req, count);
      }
      next();
    };
  }

  /** The request's count: the one made on its arrival, or (the first time asked) a new one. */
  countOf(req: Request): Promise<RateLimitCount> {
    const count = this.counts.get(req);
    if (!count) return this.limiter.count(this.clients.of(req));
    this.counts.delete(req);
    return count;
  }
}

import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RunCountAhead } from './run-count-ahead.js';

/**
 * Rate limit of POST /run and POST /runs (applied there with @UseGuards; reading runs is free).
 * The client is its API key when it presents a valid one, else its address (ClientIdentity,
 * shared with the cap on runs in flight), with one quota for every way of starting a run
 * (RunRateLimiter, which the interactive WebSocket uses too). RateLimit-Limit/-Remaining/-Reset
 * go on every answer, the 429 included; when the storage fails, the request is refused (503),
 * never let through. The count itself was usually started as the request arrived (RunCountAhead).
 */
@Injectable()
export class RunRateLimitGuard implements CanActivate {
  constructor(private readonly counts: RunCountAhead) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { headers, refusal } = await this.counts.countOf(req);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (refusal) throw refusal;
    return true;
  }
}

import { describe, expect, it } from '@jest/globals';
import { rateLimitHeaders, rateLimitMessage, retryAfterSeconds } from './rate-limit-policy.js';

const policy = { limit: 30, windowMs: 60_000 };

describe('rate-limit policy', () => {
  it('reports the limit, what is left and when the window resets', () => {
    expect(
      rateLimitHeaders(policy, {
        totalHits: 1,
        secondsToReset: 60,
        blocked: false,
        secondsToUnblock: 0,
      }),
    ).toEqual({ 'RateLimit-Limit': '30', 'RateLimit-Remaining': '29', 'RateLimit-Reset': '60' });
  });

  it('never reports a negative remainder, and resets when a blocked client may retry', () => {
    expect(
      rateLimitHeaders(policy, {
        totalHits: 31,
        secondsToReset: 40,
        blocked: true,
        secondsToUnblock: 12,
      }),
    ).toEqual({ 'RateLimit-Limit': '30', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '12' });
  });

  it('asks a blocked client to wait at least one whole second', () => {
    const state = { totalHits: 31, secondsToReset: 0, blocked: true };
    expect(retryAfterSeconds({ ...state, secondsToUnblock: 0 })).toBe(1);
    expect(retryAfterSeconds({ ...state, secondsToUnblock: -3 })).toBe(1);
    expect(retryAfterSeconds({ ...state, secondsToUnblock: 2.2 })).toBe(3);
  });

  it('names the limit, the window and the wait in the message', () => {
    expect(rateLimitMessage(policy, 12)).toBe(
      'rate limit of 30 runs per 60 s reached; retry in 12 s',
    );
    expect(rateLimitMessage({ limit: 5, windowMs: 1500 }, 1)).toBe(
      'rate limit of 5 runs per 1.5 s reached; retry in 1 s',
    );
  });
});

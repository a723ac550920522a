import type { CallbacksConfig } from './callbacks.config.js';

/** How often and how far apart a callback is tried. */
export interface CallbackRetryPolicy {
  /** Tries in all, the first one included. */
  readonly maxAttempts: number;
  /** Wait after the first failed try; it doubles after each further one. */
  readonly baseDelayMs: number;
  /** Longest wait between two tries. */
  readonly maxDelayMs: number;
}

/** Longest wait between two tries of a callback. */
export const CALLBACK_MAX_DELAY_MS = 60_000;

export function callbackRetryPolicyFrom(
  config: Pick<CallbacksConfig, 'CALLBACK_MAX_ATTEMPTS' | 'CALLBACK_BACKOFF_MS'>,
): CallbackRetryPolicy {
  return {
    maxAttempts: config.CALLBACK_MAX_ATTEMPTS,
    baseDelayMs: config.CALLBACK_BACKOFF_MS,
    maxDelayMs: CALLBACK_MAX_DELAY_MS,
  };
}

/**
 * The wait after failed try number `attempt` (1 for the first) before the next one:
 * base, 2 x base, 4 x base, ..., never more than maxDelayMs. Undefined when that was the last
 * try. (BullMQ's own exponential backoff is the same curve without the cap; a custom backoff
 * strategy can call this.)
 */
export function nextDelayMs(attempt: number, policy: CallbackRetryPolicy): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
}

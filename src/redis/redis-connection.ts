import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { DomainError } from '../common/domain-error.js';

/** Injection token of the shared ioredis connection (the distributed mode only). */
export const REDIS_CONNECTION = Symbol('REDIS_CONNECTION');

/** How soon a client should try again while Redis is away. */
const REDIS_RETRY_AFTER_S = 5;

/**
 * Options of the service's own connections. A command fails at once while Redis is away
 * (no offline queue, one retry, at most 1.5 s), so requests answer 503 instead of hanging; the connection
 * itself keeps reconnecting (every 100 ms growing to 2 s), so the service recovers by itself.
 */
export const FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  // A Redis that accepts connections but does not answer (stopped, overloaded) must not hang
  // requests either.
  commandTimeout: 1500,
  retryStrategy: (times: number): number => Math.min(100 * times, 2000),
  // No auto-pipelining: it holds plain commands for a tick while scripts (BullMQ's, the run
  // store's) go out at once, so a run's record could reach Redis after its job.
} satisfies RedisOptions;

/** Opens a connection to `url` with `options` (FAIL_FAST by default), logging outages once each. */
export function connectRedis(url: string, name: string, options: RedisOptions = FAIL_FAST): Redis {
  const logger = new Logger(`Redis:${name}`);
  const redis = new Redis(url, { ...options, connectionName: `sce-${name}` });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ event: 'redis_unavailable', reason: error.message }, 'Redis is unavailable');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log({ event: 'redis_available' }, 'Redis is back');
  });
  return redis;
}

/** A Redis call's failure in the service's terms: 503 with Retry-After. */
export function redisUnavailable(error: unknown): never {
  throw new DomainError(
    'redis_unavailable',
    'The service cannot reach its Redis right now, so it can neither take nor read runs. Retry in a few seconds.',
    REDIS_RETRY_AFTER_S,
    { cause: error },
  );
}

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
  // No auto-pipelining (coalesceWrites instead): it turns commands into pipelines, which go out
  // one at a time per connection and run their own script checks.
} satisfies RedisOptions;

/** Opens a connection to `url` with `options` (FAIL_FAST by default), logging outages once each. */
export function connectRedis(url: string, name: string, options: RedisOptions = FAIL_FAST): Redis {
  const logger = new Logger(`Redis:${name}`);
  const redis = new Redis(url, { ...options, connectionName: `sce-${name}` });
  coalesceWrites(redis);
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

/**
 * Sends the commands a connection is given in one turn of the event loop in one system call:
 * its socket is corked at the first write and uncorked in the same turn's check phase
 * (setImmediate), Node's own way to batch a stream's writes. A run's record, its queue count and
 * its job (RunsService.submit) then cost Redis one read and one fsync, and the process one
 * write, instead of three: on the 2-vCPU VM of docs/PERFORMANCE.md a CPU profile put a socket
 * write near 1 ms (the peer's wake-up runs inside it), and a run's commands are many. Order, replies and errors are the connection's own, unchanged
 * (ioredis's auto-pipelining would make pipelines of the commands, sent one at a time); a
 * command waits at most for the rest of the turn. Every socket the connection opens (it
 * reconnects with a new one) is corked so.
 */
export function coalesceWrites(redis: Redis): void {
  redis.on('connect', () => {
    const socket = redis.stream;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    let corked = false;
    const uncork = () => {
      corked = false;
      socket.uncork();
    };
    socket.write = (...args: unknown[]) => {
      if (!corked) {
        corked = true;
        socket.cork();
        setImmediate(uncork);
      }
      return write(...args);
    };
  });
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

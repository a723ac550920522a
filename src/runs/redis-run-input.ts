import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS_CONNECTION, redisUnavailable } from '../redis/index.js';
import type { RunInput } from './run-input.js';

/** A run's live stdin: a Redis stream, entries `{d: data}` and, last, `{eof: 1}`. */
export function runInputKey(runId: string): string {
  return `sce:run:${runId}:stdin`;
}

/** Input is kept at most this long (a run that never started); the worker deletes it at the end. */
const INPUT_TTL_S = 24 * 3600;

/**
 * The distributed mode's RunInput: a Redis stream per interactive run. The API appends; the
 * worker reads it from the start and then blocks for more (XREAD BLOCK) on a connection of its
 * own for that run (a blocked connection can do nothing else), closed when the program ends.
 */
@Injectable()
export class RedisRunInput implements RunInput {
  constructor(@Inject(REDIS_CONNECTION) private readonly redis: Redis) {}

  /** Nothing to prepare: the stream is made by its first write. */
  open(): Promise<void> {
    return Promise.resolve();
  }

  async write(runId: string, data: string): Promise<void> {
    await this.append(runId, 'd', data);
  }

  async close(runId: string): Promise<void> {
    await this.append(runId, 'eof', '1');
  }

  async *read(runId: string, signal: AbortSignal): AsyncIterable<string> {
    // Blocks up to 5 s at a time: longer than the shared connection's command timeout allows.
    const reader = this.redis.duplicate({
      enableOfflineQueue: true,
      commandTimeout: 10_000,
      connectionName: 'sce-stdin',
    });
    reader.on('error', () => undefined); // the shared connection logs outages
    const stop = () => reader.disconnect();
    signal.addEventListener('abort', stop, { once: true });
    let last = '0-0';
    try {
      while (!signal.aborted) {
        const answer = await reader
          .xread('COUNT', 100, 'BLOCK', 5000, 'STREAMS', runInputKey(runId), last)
          .catch((error: unknown) => {
            if (signal.aborted) return null;
            return redisUnavailable(error);
          });
        for (const [, entries] of answer ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            if (fields[0] === 'eof') return;
            if (fields[0] === 'd') yield fields[1];
          }
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      reader.disconnect();
    }
  }

  async forget(runId: string): Promise<void> {
    await this.redis.del(runInputKey(runId)).catch(redisUnavailable);
  }

  private async append(runId: string, field: string, value: string): Promise<void> {
    const key = runInputKey(runId);
    await Promise.all([
      this.redis.xadd(key, '*', field, value),
      this.redis.expire(key, INPUT_TTL_S),
    ]).catch(redisUnavailable);
  }
}

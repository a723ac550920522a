import {
  Inject,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { once } from 'node:events';
import { connectRedis, REDIS_CONNECTION } from './redis-connection.js';
import { REDIS_CONFIG, type RedisConfig } from './redis.config.js';

/** How long a starting process waits for its Redis connection before it listens anyway. */
const REDIS_READY_WAIT_MS = 5000;

/**
 * The distributed mode's Redis connection, shared by the features that keep state there (runs,
 * rate limits). Imported only when REDIS_URL is set.
 */
@Module({
  providers: [
    REDIS_CONFIG.provider,
    {
      provide: REDIS_CONNECTION,
      inject: [REDIS_CONFIG.token],
      useFactory: (config: RedisConfig) => connectRedis(config.REDIS_URL!, 'shared'),
    },
  ],
  exports: [REDIS_CONNECTION, REDIS_CONFIG.provider],
})
export class RedisModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RedisModule.name);

  constructor(@Inject(REDIS_CONNECTION) private readonly redis: Redis) {}

  /**
   * Waits, before the process listens, for the connection opened at start to be ready: its
   * commands fail at once while it is not (FAIL_FAST), and a fresh process must not answer its
   * first requests 503 for that. A Redis still away after REDIS_READY_WAIT_MS does not stop the
   * start: the process answers 503 until Redis comes, and recovers by itself.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.redis.status === 'ready') return;
    try {
      await once(this.redis, 'ready', { signal: AbortSignal.timeout(REDIS_READY_WAIT_MS) });
    } catch {
      this.logger.warn(
        `Redis is not ready after ${REDIS_READY_WAIT_MS} ms; starting anyway (503 until it is)`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

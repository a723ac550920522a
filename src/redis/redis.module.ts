import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { connectRedis, REDIS_CONNECTION } from './redis-connection.js';
import { REDIS_CONFIG, type RedisConfig } from './redis.config.js';

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
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CONNECTION) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

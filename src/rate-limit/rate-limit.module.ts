import { Module, type DynamicModule } from '@nestjs/common';
import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { AuthModule } from '../auth/auth.module.js';
import type { AppConfig } from '../config/app-config.js';
import { REDIS_CONNECTION, RedisModule } from '../redis/index.js';
import { RedisThrottlerStorage } from './redis-throttler-storage.js';
import { RunCountAhead } from './run-count-ahead.js';
import { RunRateLimitGuard } from './run-rate-limit.guard.js';
import { RunRateLimiter } from './run-rate-limiter.js';

/**
 * The limiter of POST /run and POST /runs: RATE_LIMIT runs per RATE_LIMIT_WINDOW_MS per client.
 * The guard lives here; its settings and counters are @nestjs/throttler's ThrottlerModule (a
 * global module), which AppModule.forRoot registers once through RateLimitModule.throttler().
 */
@Module({
  imports: [AuthModule],
  providers: [RunRateLimiter, RunCountAhead, RunRateLimitGuard],
  exports: [RunRateLimiter, RunCountAhead, RunRateLimitGuard],
})
export class RateLimitModule {
  /**
   * The limiter's settings and where it counts, chosen by the configuration: this process's
   * memory (no REDIS_URL), or Redis, shared by every API instance (REDIS_URL set; only then is
   * RedisModule imported).
   */
  static throttler(config: AppConfig): DynamicModule {
    const throttlers: ThrottlerModuleOptions = {
      throttlers: [{ name: 'run', ttl: config.RATE_LIMIT_WINDOW_MS, limit: config.RATE_LIMIT }],
    };
    if (!config.REDIS_URL) return ThrottlerModule.forRoot(throttlers);
    return ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [REDIS_CONNECTION],
      useFactory: (redis: Redis) => ({ ...throttlers, storage: new RedisThrottlerStorage(redis) }),
    });
  }
}

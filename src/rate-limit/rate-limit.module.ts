import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from '../auth/auth.module.js';
import { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { BrokenThrottlerStorage } from './broken-throttler-storage.js';
import { RunRateLimitGuard } from './run-rate-limit.guard.js';

/** The limiter of POST /run: RATE_LIMIT runs per RATE_LIMIT_WINDOW_MS per client. */
@Module({
  imports: [
    ConfigModule,
    AuthModule,
    ThrottlerModule.forRootAsync({
      imports: [ConfigModule],
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'run', ttl: config.RATE_LIMIT_WINDOW_MS, limit: config.RATE_LIMIT }],
        // Undefined: the throttler's own in-memory storage.
        storage:
          config.TEST_BREAK_RATE_LIMIT_STORAGE === '1' ? new BrokenThrottlerStorage() : undefined,
      }),
    }),
  ],
  providers: [RunRateLimitGuard],
  exports: [RunRateLimitGuard, AuthModule],
})
export class RateLimitModule {}

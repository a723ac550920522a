import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from '../auth/auth.module.js';
import { AppConfig } from '../config/app-config.js';
import { RunRateLimitGuard } from './run-rate-limit.guard.js';

/** The limiter of POST /run: RATE_LIMIT runs per RATE_LIMIT_WINDOW_MS per client. */
@Module({
  imports: [
    AuthModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'run', ttl: config.RATE_LIMIT_WINDOW_MS, limit: config.RATE_LIMIT }],
      }),
    }),
  ],
  providers: [RunRateLimitGuard],
  exports: [RunRateLimitGuard],
})
export class RateLimitModule {}

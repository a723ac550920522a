import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ServeStaticModule } from '@nestjs/serve-static';
import { join } from 'node:path';
import { DomainErrorFilter } from './common/domain-error.filter.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { InteractiveModule } from './interactive/index.js';
import { ExecutionModule } from './execution/execution.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { RunsModule, runsTopology } from './runs/index.js';

/** The static web page lives in public/ at the project root (beside src/ and dist/). */
const PUBLIC_DIR = join(import.meta.dirname, '..', '..', 'public');

@Module({
  imports: [
    LoggingModule,
    // The page at / and its files by name; any other path is the usual JSON 404 (the default
    // renderPath answered every unknown path with the page, so a typo looked like a success).
    ServeStaticModule.forRoot({ rootPath: PUBLIC_DIR, renderPath: '/' }),
  ],
  providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
})
export class AppModule {
  /**
   * The whole application, on a configuration loaded and validated once (main.ts). REDIS_URL
   * and ROLE decide which parts exist: ROLE=api runs no programs (no engine), ROLE=worker
   * takes no runs over HTTP (it serves /health and /metrics).
   */
  static forRoot(config: AppConfig): DynamicModule {
    const { takesRequests, runsPrograms } = runsTopology(config);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        RateLimitModule.throttler(config),
        RunsModule.forRoot(config),
        MetricsModule.forRoot({ sandbox: runsPrograms }),
        HealthModule.forRoot({ sandbox: runsPrograms }),
        ...(takesRequests ? [ExecutionModule, InteractiveModule] : []),
      ],
    };
  }
}

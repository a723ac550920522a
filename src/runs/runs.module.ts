import {
  Inject,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AdmissionModule } from '../admission/admission.module.js';
import { CallbacksModule } from '../callbacks/index.js';
import type { AppConfig } from '../config/app-config.js';
import { RedisModule } from '../redis/index.js';
import { SandboxModule } from '../sandbox/index.js';
import { BullmqRunDispatcher } from './bullmq-run-dispatcher.js';
import { EmbeddedRunDispatcher } from './embedded-run-dispatcher.js';
import { MemoryRunEvents } from './memory-run-events.js';
import { MemoryRunInput } from './memory-run-input.js';
import { MemoryRunStore } from './memory-run-store.js';
import { RedisRunEvents } from './redis-run-events.js';
import { RedisRunInput } from './redis-run-input.js';
import { RUN_EVENTS } from './run-events.js';
import { RUN_INPUT } from './run-input.js';
import { RedisRunStore } from './redis-run-store.js';
import { RunCallbacks } from './run-callbacks.js';
import { RUN_DISPATCHER } from './run-dispatcher.js';
import { RunProcessor } from './run-processor.js';
import { RUN_JOB_QUEUE, runJobQueueProvider } from './run-queue.provider.js';
import { RUN_STORE } from './run-store.js';
import { RunWorker } from './run-worker.js';
import { SharedQueueMetrics } from './shared-queue-metrics.js';
import { DistributedRunsHealth, EmbeddedRunsHealth, RunsHealth } from './runs-health.js';
import { RUNS_CONFIG } from './runs.config.js';
import { RunsService } from './runs.service.js';

/** What a process does with runs, from REDIS_URL and ROLE. */
export interface RunsTopology {
  /** Runs, their queue and their records live in Redis (REDIS_URL). */
  distributed: boolean;
  /** Takes runs over HTTP (ROLE all or api). */
  takesRequests: boolean;
  /** Runs programs on its own engine (ROLE all or worker). */
  runsPrograms: boolean;
}

export function runsTopology(config: Pick<AppConfig, 'REDIS_URL' | 'ROLE'>): RunsTopology {
  return {
    distributed: Boolean(config.REDIS_URL),
    takesRequests: config.ROLE !== 'worker',
    runsPrograms: config.ROLE !== 'api',
  };
}

/**
 * Runs as records with a life of their own. One code path, two sets of drivers chosen here once:
 * embedded (no REDIS_URL: records in memory, runs through this process's admission to its own
 * RunProcessor) or distributed (records in Redis, runs on a BullMQ queue that RunWorkers take,
 * on any host). Global, so that the HTTP layer and health see whatever the role provides.
 */
@Module({})
export class RunsModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(RUN_JOB_QUEUE) private readonly queue?: Queue) {}

  static forRoot(config: AppConfig): DynamicModule {
    const { distributed, takesRequests, runsPrograms } = runsTopology(config);
    const providers: Provider[] = [
      RUNS_CONFIG.provider,
      RunCallbacks,
      { provide: RUN_STORE, useClass: distributed ? RedisRunStore : MemoryRunStore },
      ...(distributed
        ? [{ provide: RUN_EVENTS, useClass: RedisRunEvents }]
        : [MemoryRunEvents, { provide: RUN_EVENTS, useExisting: MemoryRunEvents }]),
      { provide: RUN_INPUT, useClass: distributed ? RedisRunInput : MemoryRunInput },
      { provide: RunsHealth, useClass: distributed ? DistributedRunsHealth : EmbeddedRunsHealth },
    ];
    if (distributed) providers.push(runJobQueueProvider, SharedQueueMetrics);
    if (runsPrograms) providers.push(RunProcessor);
    if (distributed && runsPrograms) providers.push(RunWorker);
    if (takesRequests) {
      providers.push(RunsService, {
        provide: RUN_DISPATCHER,
        useClass: distributed ? BullmqRunDispatcher : EmbeddedRunDispatcher,
      });
    }
    return {
      module: RunsModule,
      global: true,
      imports: [
        CallbacksModule,
        distributed ? RedisModule : AdmissionModule,
        ...(runsPrograms ? [SandboxModule] : []),
      ],
      providers,
      exports: [
        RunsHealth,
        ...(takesRequests ? [RunsService] : []),
        // What this process's engine has (GET /runtimes), where it runs programs.
        ...(runsPrograms ? [SandboxModule] : []),
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue?.close().catch(() => undefined);
  }
}

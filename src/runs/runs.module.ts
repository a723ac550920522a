import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module.js';
import { CallbacksModule } from '../callbacks/index.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { SandboxModule } from '../sandbox/index.js';
import { EmbeddedRunDispatcher } from './embedded-run-dispatcher.js';
import { MemoryRunStore } from './memory-run-store.js';
import { RUN_DISPATCHER } from './run-dispatcher.js';
import { RunCallbacks } from './run-callbacks.js';
import { RunProcessor } from './run-processor.js';
import { RUN_STORE } from './run-store.js';
import { RUNS_CONFIG } from './runs.config.js';
import { RunsService } from './runs.service.js';

/** Runs as records with a life of their own: the store, the dispatch to workers, the worker's side. */
@Module({
  imports: [AdmissionModule, SandboxModule, MetricsModule, CallbacksModule],
  providers: [
    RUNS_CONFIG.provider,
    { provide: RUN_STORE, useClass: MemoryRunStore },
    { provide: RUN_DISPATCHER, useClass: EmbeddedRunDispatcher },
    RunProcessor,
    RunCallbacks,
    RunsService,
  ],
  exports: [RunsService],
})
export class RunsModule {}

import { Module } from '@nestjs/common';
import { CLIENT_RUN_COUNTER, InMemoryClientRunCounter } from './client-run-counter.js';
import { ADMISSION_CONFIG, RunQueue } from './run-queue.js';

/** Admission control shared by the execution endpoint, health, metrics and shutdown. */
@Module({
  providers: [
    ADMISSION_CONFIG.provider,
    RunQueue,
    // In memory: each instance caps its own clients (shared through Redis once jobs are).
    { provide: CLIENT_RUN_COUNTER, useClass: InMemoryClientRunCounter },
  ],
  exports: [RunQueue],
})
export class AdmissionModule {}

import { Module } from '@nestjs/common';
import { ADMISSION_CONFIG, RunQueue } from './run-queue.js';

/** Admission control shared by the execution endpoint, health, metrics and shutdown. */
@Module({
  providers: [ADMISSION_CONFIG.provider, RunQueue],
  exports: [RunQueue],
})
export class AdmissionModule {}

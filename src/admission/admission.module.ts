import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module.js';
import { RunQueue } from './run-queue.js';

/** Admission control shared by the execution endpoint, health, metrics and shutdown. */
@Module({
  imports: [ConfigModule],
  providers: [RunQueue],
  exports: [RunQueue],
})
export class AdmissionModule {}

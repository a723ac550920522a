import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module.js';
import { SandboxModule } from '../sandbox/index.js';
import { MetricsController } from './metrics.controller.js';
import { RunMetrics } from './run-metrics.js';

@Module({
  imports: [AdmissionModule, SandboxModule],
  controllers: [MetricsController],
  providers: [RunMetrics],
  exports: [RunMetrics],
})
export class MetricsModule {}

import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module.js';
import { ConfigModule } from '../config/config.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { SandboxModule } from '../sandbox/sandbox.module.js';
import { ExecutionController } from './execution.controller.js';
import { ExecutionService } from './execution.service.js';
import { CodeLengthRule, StdinSizeRule } from './program-limits.js';

@Module({
  imports: [ConfigModule, SandboxModule, RateLimitModule, AdmissionModule, MetricsModule],
  controllers: [ExecutionController],
  providers: [ExecutionService, CodeLengthRule, StdinSizeRule],
})
export class ExecutionModule {}

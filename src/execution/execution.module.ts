import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { SandboxModule } from '../sandbox/index.js';
import { ExecutionController } from './execution.controller.js';
import { ExecutionService } from './execution.service.js';
import { CodeLengthRule, EXECUTION_CONFIG, StdinSizeRule } from './program-limits.js';

@Module({
  imports: [AuthModule, SandboxModule, RateLimitModule, AdmissionModule, MetricsModule],
  controllers: [ExecutionController],
  providers: [EXECUTION_CONFIG.provider, ExecutionService, CodeLengthRule, StdinSizeRule],
})
export class ExecutionModule {}

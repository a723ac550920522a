import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { SandboxModule } from '../sandbox/sandbox.module.js';
import { ExecutionController } from './execution.controller.js';
import { CodeLengthRule, StdinSizeRule } from './program-limits.js';

@Module({
  imports: [ConfigModule, SandboxModule, RateLimitModule],
  controllers: [ExecutionController],
  providers: [CodeLengthRule, StdinSizeRule],
})
export class ExecutionModule {}

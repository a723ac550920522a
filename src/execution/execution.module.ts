import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { CallbacksModule } from '../callbacks/index.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { LiveStreamLimit } from './live-stream-limit.js';
import { ExecutionController } from './execution.controller.js';
import {
  CodeLengthRule,
  EXECUTION_CONFIG,
  FilesRule,
  LimitCapRule,
  StdinSizeRule,
} from './program-limits.js';
import { RunRequesterPipe } from './run-requester.js';
import { RunsController } from './runs.controller.js';
import { RuntimesController } from './runtimes.controller.js';

/**
 * The HTTP face of runs: POST /run (run and wait), POST /runs, GET and DELETE /runs/{id}. The
 * validation rules of their bodies live here, so class-validator's container is this module.
 */
@Module({
  // RunsService comes from the global RunsModule (AppModule.forRoot chooses its drivers).
  imports: [AuthModule, RateLimitModule, CallbacksModule],
  controllers: [ExecutionController, RunsController, RuntimesController],
  providers: [
    EXECUTION_CONFIG.provider,
    CodeLengthRule,
    StdinSizeRule,
    LimitCapRule,
    FilesRule,
    RunRequesterPipe,
    LiveStreamLimit,
  ],
  exports: [EXECUTION_CONFIG.token, LiveStreamLimit],
})
export class ExecutionModule {}

import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ExecutionModule } from '../execution/index.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { InteractiveGateway } from './interactive.gateway.js';
import { InteractiveSessions } from './interactive-sessions.js';

/**
 * Interactive runs over a WebSocket (GET /runs/interactive): a program's output as it comes and
 * its stdin as the client types. RunsService comes from the global RunsModule.
 */
@Module({
  imports: [AuthModule, RateLimitModule, ExecutionModule],
  providers: [InteractiveGateway, InteractiveSessions],
})
export class InteractiveModule {}

import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SandboxModule } from '../sandbox/sandbox.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule, SandboxModule],
  controllers: [HealthController],
})
export class HealthModule {}

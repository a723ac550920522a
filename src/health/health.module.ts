import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AdmissionModule } from '../admission/admission.module.js';
import { SandboxModule } from '../sandbox/index.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule, SandboxModule, AdmissionModule],
  controllers: [HealthController],
})
export class HealthModule {}

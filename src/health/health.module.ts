import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SandboxModule } from '../sandbox/index.js';
import { HealthController } from './health.controller.js';

@Module({})
export class HealthModule {
  /**
   * /health and /health/live. `sandbox`: this process runs programs (not ROLE=api), so the
   * engine, image and runtime are probed too; the queue's state comes from the global RunsHealth.
   */
  static forRoot({ sandbox }: { sandbox: boolean }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule, ...(sandbox ? [SandboxModule] : [])],
      controllers: [HealthController],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module.js';
import { SandboxModule } from '../sandbox/index.js';
import { MetricsController } from './metrics.controller.js';
import { RunMetrics } from './run-metrics.js';

@Module({})
export class MetricsModule {
  /**
   * /metrics and RunMetrics, for every module of the app (global: the role decides once which
   * parts exist). `sandbox`: this process runs programs (not ROLE=api), so the pool is measured.
   */
  static forRoot({ sandbox }: { sandbox: boolean }): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      imports: [AdmissionModule, ...(sandbox ? [SandboxModule] : [])],
      controllers: [MetricsController],
      providers: [RunMetrics],
      exports: [RunMetrics],
    };
  }
}

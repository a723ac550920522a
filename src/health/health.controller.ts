import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { RunQueue } from '../admission/run-queue.js';
import { SandboxReadiness } from '../sandbox/index.js';

/** How long a probe waits for the engine before calling it down. */
const PROBE_TIMEOUT_MS = 2000;

@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly sandbox: SandboxReadiness,
    private readonly queue: RunQueue,
  ) {}

  /**
   * Readiness: 200 when a program sent now would run (engine reachable, image present, queue
   * not saturated, not shutting down), 503 otherwise, so a load balancer sends it elsewhere.
   */
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: can programs run right now?' })
  ready() {
    return this.health.check([
      () =>
        this.indicator
          .check('engine')
          .attempt(() => this.sandbox.engineReachable())
          .withTimeout(PROBE_TIMEOUT_MS),
      () =>
        this.indicator
          .check('image')
          .attempt(() => this.sandbox.imagePresent())
          .withTimeout(PROBE_TIMEOUT_MS),
      () =>
        this.indicator
          .check('runtime')
          .attempt(() => this.sandbox.runtimeRegistered())
          .withTimeout(PROBE_TIMEOUT_MS),
      () =>
        this.indicator.check('queue').attempt(() => {
          const stats = this.queue.stats;
          if (stats.draining) throw new Error('shutting down');
          if (this.queue.saturated)
            throw new Error(
              `saturated: ${stats.running} running, ${stats.waiting} waiting (limits ${stats.maxConcurrent} and ${stats.queueLimit})`,
            );
          return { ...stats };
        }),
    ]);
  }

  /** Liveness: 200 while the process answers at all. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: is the process up?' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

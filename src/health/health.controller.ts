import { Controller, Get, Optional } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { RunsHealth } from '../runs/index.js';
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
    private readonly runs: RunsHealth,
    /** Absent in ROLE=api, which runs no programs and needs no engine. */
    @Optional() private readonly sandbox?: SandboxReadiness,
  ) {}

  /**
   * Readiness: 200 when a program sent now would run (engine reachable, image present, queue
   * not saturated, not shutting down), 503 otherwise, so a load balancer sends it elsewhere.
   */
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: can programs run right now?' })
  ready() {
    const sandbox = this.sandbox;
    const probe = (name: string, attempt: () => Promise<Record<string, unknown> | void>) => () =>
      this.indicator.check(name).attempt(attempt).withTimeout(PROBE_TIMEOUT_MS);
    return this.health.check([
      ...(sandbox
        ? [
            probe('engine', () => sandbox.engineReachable()),
            probe('image', () => sandbox.imagePresent()),
            probe('runtime', () => sandbox.runtimeRegistered()),
          ]
        : []),
      probe('queue', () => this.runs.check()),
    ]);
  }

  /** Liveness: 200 while the process answers at all. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: is the process up?' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

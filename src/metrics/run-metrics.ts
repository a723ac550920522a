import { Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RunQueue } from '../admission/run-queue.js';
import { InstanceIdentity, SandboxService, type RunStatus } from '../sandbox/index.js';

/**
 * The event-loop delay metrics sample the loop with a timer this often (ms). prom-client's
 * default, 10, wakes every process 100 times a second, idle or not. Measured here on idle
 * processes over 30 s: an API spent 5.5-6.0 ms of CPU a second with 10 and 1.0 ms with 100; a
 * worker's event loop woke 200 times a second with 10 and 25 with 100. A block longer than this
 * always shows in the figures; a shorter one shows when a sample falls due during it.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * The service's Prometheus metrics, in a registry of its own (not prom-client's global one),
 * so two apps in one process never share counters.
 */
@Injectable()
export class RunMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<'status'>;
  private readonly duration: Histogram<'status'>;
  private readonly rejections: Counter<'reason'>;
  private readonly queueWait: Histogram;

  /** `sandbox` and `identity` are absent in ROLE=api, which runs no programs. */
  constructor(
    queue: RunQueue,
    @Optional() sandbox?: SandboxService,
    @Optional() identity?: InstanceIdentity,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'sce_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
    this.runs = new Counter({
      name: 'sce_runs_total',
      help: 'Programs that ran, by how they ended.',
      labelNames: ['status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'sce_run_duration_seconds',
      help: 'Wall time of the programs themselves, by how they ended.',
      labelNames: ['status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.queueWait = new Histogram({
      name: 'sce_run_queue_wait_seconds',
      help: 'Time from a run being accepted to a worker (this process) starting it.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rejections = new Counter({
      name: 'sce_run_rejections_total',
      help: 'Runs refused before or instead of running, by reason (client_limit, queue_full, queue_timeout, shutting_down, client_gone, engine_unavailable, image_missing, runtime_missing).',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'sce_runs_in_flight',
      help: 'Programs holding a run slot right now.',
      registers,
      collect() {
        this.set(queue.stats.running);
      },
    });
    new Gauge({
      name: 'sce_queue_depth',
      help: 'Runs waiting for a slot right now.',
      registers,
      collect() {
        this.set(queue.stats.waiting);
      },
    });
    new Gauge({
      name: 'sce_max_concurrent_runs',
      help: 'Configured bound on programs running at once (SANDBOX_MAX_CONCURRENT).',
      registers,
    }).set(queue.maxConcurrent);
    if (sandbox && identity) this.sandboxMetrics(sandbox, identity, registers);
    new Gauge({
      name: 'sce_queue_limit',
      help: 'Configured bound on runs waiting (SANDBOX_QUEUE_LIMIT).',
      registers,
    }).set(queue.queueLimit);
  }

  /** The instance's id and its warm pool, read at scrape time. */
  private sandboxMetrics(
    sandbox: SandboxService,
    identity: InstanceIdentity,
    registers: Registry[],
  ): void {
    new Gauge({
      name: 'sce_instance_info',
      help: "Always 1; its label is the instance id put on this instance's containers.",
      labelNames: ['instance'],
      registers,
    }).set({ instance: identity.id }, 1);
    // The warm pool's counters live in the sandbox's WarmPool; these read them at scrape time.
    new Gauge({
      name: 'sce_pool_idle_containers',
      help: 'Started containers waiting for a program right now (the warm pool).',
      registers,
      collect() {
        this.set(sandbox.poolStats().idle);
      },
    });
    new Gauge({
      name: 'sce_pool_size',
      help: 'Idle containers the pools keep: the configured sizes of the runtimes whose image is there (0 = pool off).',
      registers,
      collect() {
        this.set(sandbox.poolStats().size);
      },
    });
    new Counter({
      name: 'sce_pool_hits_total',
      help: 'Runs served by an idle pooled container.',
      registers,
      collect() {
        this.reset();
        this.inc(sandbox.poolStats().hits);
      },
    });
    new Counter({
      name: 'sce_pool_misses_total',
      help: 'Runs that found the pool empty and got a container made on the spot.',
      registers,
      collect() {
        this.reset();
        this.inc(sandbox.poolStats().misses);
      },
    });
    new Counter({
      name: 'sce_pool_discarded_total',
      help: 'Idle pooled containers that died before receiving a program, and were replaced.',
      registers,
      collect() {
        this.reset();
        this.inc(sandbox.poolStats().discarded);
      },
    });
  }

  /** Records a program that ran to an outcome. */
  ran(status: RunStatus, durationMs: number): void {
    this.runs.inc({ status });
    this.duration.observe({ status }, durationMs / 1000);
  }

  /** Records how long a run waited before this process started it. */
  waited(waitedMs: number): void {
    this.queueWait.observe(waitedMs / 1000);
  }

  rejected(reason: string): void {
    this.rejections.inc({ reason });
  }
}

import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { RunMetrics } from '../metrics/run-metrics.js';
import { RUN_JOB_QUEUE } from './run-queue.provider.js';
import { workerNames } from './runs-health.js';
import { RunWorker } from './run-worker.js';
import { RUNS_CONFIG, type RunsConfig } from './runs.config.js';

/**
 * The distributed mode's figures on /metrics, beside each process's own: the shared queue and
 * the live workers (read from Redis at scrape time, by every process), and on a worker what it
 * carries. A scrape while Redis is away leaves the shared gauges out rather than failing.
 */
@Injectable()
export class SharedQueueMetrics {
  constructor(
    metrics: RunMetrics,
    @Inject(RUN_JOB_QUEUE) queue: Queue,
    @Inject(RUNS_CONFIG.token) config: RunsConfig,
    @Optional() worker?: RunWorker,
  ) {
    const registers = [metrics.registry];
    new Gauge({
      name: 'sce_shared_queue_waiting',
      help: 'Runs waiting in the shared queue for a worker (every API process together).',
      registers,
      async collect() {
        this.set(await queue.getWaitingCount().catch(() => NaN));
      },
    });
    new Gauge({
      name: 'sce_shared_queue_active',
      help: 'Runs a worker has taken from the shared queue and not yet finished.',
      registers,
      async collect() {
        this.set(await queue.getActiveCount().catch(() => NaN));
      },
    });
    new Gauge({
      name: 'sce_shared_queue_limit',
      help: 'Configured bound on runs waiting in the shared queue (SANDBOX_QUEUE_LIMIT).',
      registers,
    }).set(config.SANDBOX_QUEUE_LIMIT);
    new Gauge({
      name: 'sce_workers',
      help: 'Live workers, one series each (1), labelled <instance>@<engine>.',
      labelNames: ['worker'],
      registers,
      async collect() {
        this.reset();
        const names = await queue.getWorkers().then(workerNames, () => []);
        for (const name of names) this.set({ worker: name }, 1);
      },
    });
    if (!worker) return;
    new Gauge({
      name: 'sce_worker_runs_in_flight',
      help: 'Runs this worker is carrying right now.',
      registers,
      collect() {
        this.set(worker.inFlight);
      },
    });
    new Gauge({
      name: 'sce_worker_concurrency',
      help: 'Configured bound on runs this worker carries at once (WORKER_CONCURRENCY).',
      registers,
    }).set(config.WORKER_CONCURRENCY);
  }
}

import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { REDIS_CONFIG, REDIS_CONNECTION, type RedisConfig } from '../redis/index.js';
import { InstanceIdentity } from '../sandbox/index.js';
import { RunProcessor } from './run-processor.js';
import { CANCEL_CHANNEL, RUN_QUEUE_NAME, type RunJob } from './run-job.js';
import { RUNS_CONFIG, type RunsConfig } from './runs.config.js';

/**
 * The worker's side of the distributed mode: takes runs from the BullMQ queue, WORKER_CONCURRENCY
 * at once, and runs each through RunProcessor on this process's engine. A worker that dies
 * mid-run stops renewing its lock; BullMQ's stalled-job check (run by every live worker) puts
 * the job back, and another worker runs it again as its next attempt, up to RUN_MAX_ATTEMPTS
 * starts in all. Past that, or on any failure of the job itself, the run ends `internal_error`.
 */
@Injectable()
export class RunWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunWorker.name);
  private worker: Worker | undefined;
  private subscriber: Redis | undefined;
  private running = 0;

  constructor(
    private readonly processor: RunProcessor,
    private readonly identity: InstanceIdentity,
    @Inject(REDIS_CONNECTION) private readonly redis: Redis,
    @Inject(REDIS_CONFIG.token) private readonly redisConfig: RedisConfig,
    @Inject(RUNS_CONFIG.token) private readonly config: RunsConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const worker = new Worker(RUN_QUEUE_NAME, (job: Job, _token, signal) => this.run(job, signal), {
      // A worker's connection blocks waiting for jobs: BullMQ wants it to retry forever.
      connection: { url: this.redisConfig.REDIS_URL, maxRetriesPerRequest: null },
      concurrency: this.config.WORKER_CONCURRENCY,
      // Seen in /health: which instance, on which engine.
      name: `${this.identity.id}@${this.config.DOCKER_HOST ?? 'local-engine'}`,
      lockDuration: this.config.WORKER_LOCK_MS,
      stalledInterval: this.config.WORKER_LOCK_MS,
      maxStalledCount: this.config.RUN_MAX_ATTEMPTS - 1,
    });
    worker.on('error', (error) => this.logger.debug(`worker: ${error.message}`));
    worker.on('failed', (job, error) => {
      if (!job) return;
      const { runId } = job.data as RunJob;
      this.logger.warn({ event: 'run_job_failed', runId, reason: error.message }, 'run job failed');
      void this.processor
        .fail(runId, new Error(`The run could not finish: ${error.message}`))
        .catch(() => undefined);
    });
    this.worker = worker;
    // Cancels reach every worker; the one running the run aborts it (cancelJob is a no-op
    // elsewhere).
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true });
    subscriber.on('message', (_channel: string, runId: string) => {
      if (worker.cancelJob(runId, 'cancelled')) {
        this.logger.log({ event: 'run_cancel_received', runId }, 'cancelling a run');
      }
    });
    subscriber.on('error', () => undefined);
    await subscriber.subscribe(CANCEL_CHANNEL).catch(() => undefined);
    this.subscriber = subscriber;
  }

  /** Stops taking runs and lets those in flight finish (each within its time limit). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    this.subscriber?.disconnect();
  }

  /** Runs this worker carries right now (for /metrics). */
  get inFlight(): number {
    return this.running;
  }

  private async run(job: Job, signal?: AbortSignal): Promise<void> {
    const { runId, program, requestId, run, awaited } = job.data as RunJob;
    this.running++;
    try {
      await this.processor.process(runId, program, {
        signal,
        requestId,
        attempt: job.attemptsStarted,
        believed: run,
        awaited,
      });
    } finally {
      this.running--;
    }
  }
}

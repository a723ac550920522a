import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RunRejectedError } from '../admission/run-rejected.error.js';
import { REDIS_CONNECTION, redisUnavailable } from '../redis/index.js';
import type { DispatchOptions, RunDispatcher } from './run-dispatcher.js';
import { CANCEL_CHANNEL, type RunJob } from './run-job.js';
import { RUN_JOB_QUEUE } from './run-queue.provider.js';
import type { RunProgram, RunRecord } from './run-record.js';
import { RUN_STORE, type RunStore } from './run-store.js';
import { RUNS_CONFIG, type RunsConfig } from './runs.config.js';

/**
 * The distributed mode's dispatcher: runs go on a BullMQ queue in Redis, where the workers of
 * every host take them (RunWorker). The queue is bounded (SANDBOX_QUEUE_LIMIT waiting runs):
 * past it a run is refused at once with 503. A cancel goes out on a Redis channel to whichever
 * worker runs the run, and takes a waiting one off the queue.
 */
@Injectable()
export class BullmqRunDispatcher implements RunDispatcher, OnApplicationShutdown {
  private readonly logger = new Logger(BullmqRunDispatcher.name);
  private readonly queueLimit: number;
  private readonly retryAfterSeconds: number;
  private readonly waitTimers = new Set<NodeJS.Timeout>();

  constructor(
    @Inject(RUN_JOB_QUEUE) private readonly queue: Queue,
    @Inject(REDIS_CONNECTION) private readonly redis: Redis,
    @Inject(RUN_STORE) private readonly store: RunStore,
    @Inject(RUNS_CONFIG.token) config: RunsConfig,
  ) {
    this.queue.on('error', (error) => this.logger.debug(`queue: ${error.message}`));
    this.queueLimit = config.SANDBOX_QUEUE_LIMIT;
    this.retryAfterSeconds = Math.max(1, Math.ceil(config.SANDBOX_TIMEOUT_MS / 1000));
  }

  onApplicationShutdown(): void {
    for (const timer of this.waitTimers) clearTimeout(timer);
  }

  async dispatch(
    run: RunRecord,
    program: RunProgram,
    { maxWaitMs, requestId, awaited }: DispatchOptions,
  ): Promise<void> {
    // The count and the job go out together (one round trip); the count first, on the same
    // connection (the queue shares it), so it never includes this job. A job past the limit
    // is taken off again, and the caller deletes its record, so a worker that took it
    // meanwhile finds no run and skips it.
    const job: RunJob = { runId: run.id, program, requestId, run, ...(awaited ? { awaited } : {}) };
    const [waiting, added] = await Promise.allSettled([
      this.redis.llen(this.queue.keys.wait).catch(redisUnavailable),
      this.queue.add('run', job, { jobId: run.id }).catch(redisUnavailable),
    ]);
    if (waiting.status === 'rejected' || added.status === 'rejected') {
      if (added.status === 'fulfilled') this.takeOff(run.id);
      throw waiting.status === 'rejected'
        ? waiting.reason
        : (added as PromiseRejectedResult).reason;
    }
    if (waiting.value >= this.queueLimit) {
      this.takeOff(run.id);
      throw new RunRejectedError(
        'queue_full',
        `The service is busy: ${waiting.value} programs are waiting for a worker (the limit is ${this.queueLimit}). Retry later.`,
        this.retryAfterSeconds,
      );
    }
    if (Number.isFinite(maxWaitMs)) this.giveUpWaitingAfter(run.id, maxWaitMs);
  }

  private takeOff(id: string): void {
    void this.queue.remove(id).catch(() => undefined);
  }

  cancel(id: string): void {
    // The worker running it kills it; a waiting job leaves the queue (a worker that takes it
    // anyway finds it cancelled and skips it).
    void this.redis.publish(CANCEL_CHANNEL, id).catch(() => undefined);
    void this.queue.remove(id).catch(() => undefined);
  }

  /** POST /run waits a bounded time for a worker: a run not started by then ends unrun. */
  private giveUpWaitingAfter(id: string, maxWaitMs: number): void {
    const timer = setTimeout(() => {
      this.waitTimers.delete(timer);
      void this.store
        .update(id, (run) =>
          run.status === 'queued'
            ? {
                ...run,
                status: 'internal_error',
                finishedAt: Date.now(),
                error: {
                  code: 'queue_timeout',
                  message: `The service is busy: no worker took the program within ${maxWaitMs} ms. Retry later.`,
                  retryAfterSeconds: this.retryAfterSeconds,
                },
              }
            : undefined,
        )
        .then(() => this.queue.remove(id))
        .catch(() => undefined);
    }, maxWaitMs);
    timer.unref();
    this.waitTimers.add(timer);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RunQueue } from '../admission/run-queue.js';
import { REDIS_CONNECTION } from '../redis/index.js';
import { RUN_JOB_QUEUE } from './run-queue.provider.js';
import { RUNS_CONFIG, type RunsConfig } from './runs.config.js';

/** The names of live workers (RunWorker: `<instance>@<engine>`), from Queue.getWorkers(). */
export function workerNames(workers: Record<string, string | undefined>[]): string[] {
  // BullMQ names a worker's connection `<queue's client name>:w:<worker name>`.
  return workers.map((worker) => {
    const raw = worker.rawname ?? '';
    const at = raw.indexOf(':w:');
    return at >= 0 ? raw.slice(at + 3) : raw;
  });
}

/** Whether runs can be taken right now; /health asks it. Throws, saying why, when they cannot. */
export abstract class RunsHealth {
  abstract check(): Promise<Record<string, unknown>>;
}

/** Embedded: this process's admission (not draining, not saturated). */
@Injectable()
export class EmbeddedRunsHealth extends RunsHealth {
  constructor(private readonly queue: RunQueue) {
    super();
  }

  check(): Promise<Record<string, unknown>> {
    const stats = this.queue.stats;
    if (stats.draining) throw new Error('shutting down');
    if (this.queue.saturated) {
      throw new Error(
        `saturated: ${stats.running} running, ${stats.waiting} waiting (limits ${stats.maxConcurrent} and ${stats.queueLimit})`,
      );
    }
    return Promise.resolve({ ...stats });
  }
}

/** Distributed: Redis answers, the queue has room, and which workers are connected. */
@Injectable()
export class DistributedRunsHealth extends RunsHealth {
  private readonly queueLimit: number;

  constructor(
    @Inject(REDIS_CONNECTION) private readonly redis: Redis,
    @Inject(RUN_JOB_QUEUE) private readonly queue: Queue,
    @Inject(RUNS_CONFIG.token) config: RunsConfig,
  ) {
    super();
    this.queueLimit = config.SANDBOX_QUEUE_LIMIT;
  }

  async check(): Promise<Record<string, unknown>> {
    await this.redis.ping();
    const [waiting, active, names] = await Promise.all([
      this.queue.getWaitingCount(),
      this.queue.getActiveCount(),
      this.queue.getWorkers().then(workerNames),
    ]);
    if (waiting >= this.queueLimit) {
      throw new Error(`saturated: ${waiting} runs waiting (limit ${this.queueLimit})`);
    }
    return { waiting, active, queueLimit: this.queueLimit, workers: names };
  }
}

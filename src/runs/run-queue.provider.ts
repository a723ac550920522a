import type { Provider } from '@nestjs/common';
import { Queue } from 'bullmq';
import { FAIL_FAST, REDIS_CONFIG, type RedisConfig } from '../redis/index.js';
import { RUN_QUEUE_NAME } from './run-job.js';

/** Injection token of the BullMQ queue of runs (the distributed mode). */
export const RUN_JOB_QUEUE = Symbol('RUN_JOB_QUEUE');

/**
 * The queue's producer side, on a fail-fast connection of its own (a job added while Redis is
 * away fails at once, and the request answers 503). Untyped: bullmq 6's generics do not resolve
 * under this TypeScript; its data is a RunJob.
 */
export const runJobQueueProvider: Provider = {
  provide: RUN_JOB_QUEUE,
  inject: [REDIS_CONFIG.token],
  useFactory: (config: RedisConfig): Queue =>
    new Queue(RUN_QUEUE_NAME, {
      connection: { url: config.REDIS_URL!, ...FAIL_FAST },
      // Finished jobs are not kept: the RunStore holds the run.
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    }),
};

import type { Provider } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { REDIS_CONNECTION } from '../redis/index.js';
import { RUN_QUEUE_NAME } from './run-job.js';

/** Injection token of the BullMQ queue of runs (the distributed mode). */
export const RUN_JOB_QUEUE = Symbol('RUN_JOB_QUEUE');

/**
 * The queue's producer side, on the shared fail-fast connection (a job added while Redis is
 * away fails at once, and the request answers 503). The same connection as the RunStore's, so
 * a run's record, written first, reaches Redis before its job even when the two are sent
 * together (RunsService.submit). Untyped: bullmq 6's generics do not resolve under this
 * TypeScript; its data is a RunJob.
 */
export const runJobQueueProvider: Provider = {
  provide: RUN_JOB_QUEUE,
  inject: [REDIS_CONNECTION],
  useFactory: (redis: Redis): Queue =>
    new Queue(RUN_QUEUE_NAME, {
      connection: redis,
      // Finished jobs are not kept: the RunStore holds the run.
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    }),
};

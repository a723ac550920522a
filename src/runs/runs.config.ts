import { configSlice, type ConfigSlice } from '../config/config-slice.js';

/** The settings the runs' bookkeeping reads. */
export const RUNS_CONFIG = configSlice('runs', [
  'RUN_RESULT_TTL_S',
  'RUN_RESULTS_LIMIT',
  'SANDBOX_QUEUE_WAIT_MS',
  'SANDBOX_QUEUE_LIMIT',
  'SANDBOX_TIMEOUT_MS',
  'WORKER_CONCURRENCY',
  'WORKER_LOCK_MS',
  'RUN_MAX_ATTEMPTS',
  'DOCKER_HOST',
] as const);
export type RunsConfig = ConfigSlice<(typeof RUNS_CONFIG.keys)[number]>;

/**
 * Every label the service puts on what it creates on an engine, in one place: reaping, leak
 * checks, tests and scripts select on these names, so they must never drift apart.
 */
export const CONTAINER_LABELS = {
  /** On every container the service creates; reaping and leak checks select on it. */
  managed: 'safe-code-executor.managed',
  /** The service instance that created the container. */
  instance: 'safe-code-executor.instance',
  /**
   * On containers the warm pool creates ahead of time (value POOL_LABEL_VALUE). Labels are
   * fixed at creation, so a pooled container keeps it while it runs its one program.
   */
  pool: 'safe-code-executor.pool',
  /** The HTTP request id of the run, on containers made for one request. */
  request: 'safe-code-executor.request',
  /** Longest the container may live, in ms from its creation (engine clock); older is a leak. */
  maxLifetimeMs: 'safe-code-executor.max-lifetime-ms',
} as const;

/** Value of CONTAINER_LABELS.pool: "created ahead of time by the pool", not "idle right now". */
export const POOL_LABEL_VALUE = 'warm';

/** Labels of the lease records (empty volumes) that say an instance is alive. */
export const LEASE_LABELS = {
  /** On every lease record. */
  lease: 'safe-code-executor.lease',
  /** The instance the lease belongs to. */
  instance: 'safe-code-executor.lease-instance',
  /** How long the lease lasts from its creation, in ms. */
  durationMs: 'safe-code-executor.lease-ms',
} as const;

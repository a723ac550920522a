/** Injection token of the LeaseStore. */
export const LEASE_STORE = Symbol('LEASE_STORE');

/** One instance's claim to be alive, as recorded on the engine. */
export interface InstanceLease {
  /** The record's own name (to remove it). */
  name: string;
  instanceId: string;
  /** Engine clock, ms since the epoch, when the lease was written. */
  writtenAt: number;
  /** How long the lease lasts from writtenAt. */
  durationMs: number;
}

/**
 * Leases of service instances, kept on the engine they share so every instance can read
 * every other's. Times come from the engine's clock, so hosts with skewed clocks agree.
 * Rejects with EngineUnavailableError when the engine cannot be reached.
 */
export interface LeaseStore {
  /** Writes a fresh lease of `durationMs` for the instance; answers its name (`list` has the rest). */
  write(instanceId: string, durationMs: number): Promise<string>;
  list(): Promise<InstanceLease[]>;
  /** Resolves quietly if the lease is already gone. */
  remove(name: string): Promise<void>;
  /** The engine's clock now, ms since the epoch. */
  now(): Promise<number>;
}

import type { RunRecord } from './run-record.js';

/** Injection token of the RunStore. */
export const RUN_STORE = Symbol('RUN_STORE');

/**
 * Where runs are kept, from submission until RUN_RESULT_TTL_S after they end. The embedded
 * mode keeps them in memory (MemoryRunStore); the distributed mode in Redis.
 */
export interface RunStore {
  /** Stores a new run. */
  create(run: RunRecord): Promise<void>;
  /** The run, or undefined once it expired (or never was). */
  get(id: string): Promise<RunRecord | undefined>;
  /**
   * Changes a run atomically: `change` gets the run as stored and returns the new record, or
   * undefined to leave it as it is. Resolves with the run as it then stands (undefined if
   * there is none). `believed`: the run as the caller last knew it; a store may try the change
   * on it first and read the run only if it is no longer so (one round trip less).
   */
  update(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
    believed?: RunRecord,
  ): Promise<RunRecord | undefined>;
  /** Forgets a run (one refused before it was accepted). */
  delete(id: string): Promise<void>;
  /**
   * Resolves with the run once it has ended (at once if it has); rejects when `signal` aborts,
   * and when there is no such run, unless `creating`: the caller is about to create it (and
   * aborts `signal` if that fails). A store that listens for ends already need not read such a
   * run at all: its end, whenever it comes, is announced.
   */
  ended(id: string, options?: EndedOptions): Promise<RunRecord>;
  /**
   * Tells the callers of ended() for this run, in every process, that it ended so, ahead of
   * the update() that stores the end (and announces it again). For a caller that needs the end
   * and not its storage (POST /run): its answer need not wait for the end to be durable. Rejects
   * if it could not be told; the stored end is announced all the same.
   */
  announceEnd(run: RunRecord): Promise<void>;
}

export interface EndedOptions {
  signal?: AbortSignal;
  creating?: boolean;
}

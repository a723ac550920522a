/** Injection token of the RunInput. */
export const RUN_INPUT = Symbol('RUN_INPUT');

/**
 * Live stdin of interactive runs, from whichever API process holds the client's connection to
 * the worker that runs the program. Everything written is kept until the run ends, so input sent
 * before the program started (or before a retry) is not lost. Embedded: in memory
 * (MemoryRunInput); distributed: a Redis stream per run (RedisRunInput).
 */
export interface RunInput {
  /** Makes room for an interactive run's stdin, before it is dispatched (the API). */
  open(runId: string): Promise<void>;
  /** Appends to the run's stdin (the API); dropped once the run has ended. */
  write(runId: string, data: string): Promise<void>;
  /** Ends the run's stdin: the program reads end of file after what was written (the API). */
  close(runId: string): Promise<void>;
  /**
   * The run's stdin from the start, then as it is written; ends at its close, or when `signal`
   * aborts (the worker, once per container the program is sent to).
   */
  read(runId: string, signal: AbortSignal): AsyncIterable<string>;
  /** Forgets a run's stdin (it has ended). */
  forget(runId: string): Promise<void>;
}

import { Injectable } from '@nestjs/common';
import { RunQueue } from '../admission/run-queue.js';
import type { DispatchOptions, RunDispatcher } from './run-dispatcher.js';
import { RunProcessor } from './run-processor.js';
import type { RunProgram, RunRecord } from './run-record.js';

/**
 * The embedded mode's dispatcher: runs go through this process's admission (RunQueue: run
 * slots, the bounded queue, fairness between clients) to its own RunProcessor. What is queued
 * lives in memory: it does not outlive the process (the distributed mode's queue does).
 */
@Injectable()
export class EmbeddedRunDispatcher implements RunDispatcher {
  /** One abort switch per run queued or running here. */
  private readonly live = new Map<string, AbortController>();

  constructor(
    private readonly admission: RunQueue,
    private readonly processor: RunProcessor,
  ) {}

  async dispatch(
    run: RunRecord,
    program: RunProgram,
    { maxWaitMs, requestId, awaited }: DispatchOptions,
  ): Promise<void> {
    const abort = new AbortController();
    this.live.set(run.id, abort);
    const { accepted, done } = this.admission.submit(
      () =>
        this.processor.process(run.id, program, {
          signal: abort.signal,
          requestId,
          believed: run,
          awaited,
        }),
      { client: run.client, signal: abort.signal, maxWaitMs },
    );
    void done
      // Refused after it was accepted (its wait ran out, the service drains, or it was
      // cancelled while it waited): the run ends with that reason (a cancel already ended it).
      .catch((error: unknown) => this.processor.fail(run.id, error))
      .catch(() => undefined) // (the memory store does not fail; nothing more to do if it did)
      .finally(() => this.live.delete(run.id));
    await accepted;
  }

  cancel(id: string): void {
    this.live.get(id)?.abort();
  }
}

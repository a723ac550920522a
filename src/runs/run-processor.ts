import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { SandboxService } from '../sandbox/index.js';
import { RunCallbacks } from './run-callbacks.js';
import type { RunProgram, RunRecord } from './run-record.js';
import { RUN_STORE, type RunStore } from './run-store.js';

/**
 * The worker's side of a run: marks it running, runs the program in the sandbox, and stores
 * how it ended. A run cancelled meanwhile stays cancelled: every write is conditional.
 */
@Injectable()
export class RunProcessor {
  private readonly logger = new Logger(RunProcessor.name);

  constructor(
    @Inject(RUN_STORE) private readonly store: RunStore,
    private readonly sandbox: SandboxService,
    private readonly metrics: RunMetrics,
    private readonly callbacks: RunCallbacks,
  ) {}

  /**
   * Runs an accepted run to its end and resolves with its record then. Never rejects for the
   * program's or the engine's failures: they end the run (status `internal_error`, with the
   * error) rather than lose it.
   */
  async process(
    id: string,
    program: RunProgram,
    { signal, requestId }: { signal?: AbortSignal; requestId?: string },
  ): Promise<RunRecord | undefined> {
    const started = await this.store.update(id, (run) =>
      run.status === 'queued'
        ? { ...run, status: 'running', startedAt: Date.now(), attempts: run.attempts + 1 }
        : undefined,
    );
    if (started?.status !== 'running') return started; // cancelled (or expired) while queued
    this.logger.log(
      { event: 'run_started', runId: id, waitedMs: started.startedAt! - started.createdAt },
      'run admitted',
    );
    try {
      const result = await this.sandbox.run(program, { signal, requestId });
      this.metrics.ran(result.status, result.durationMs);
      this.logger.log(
        {
          event: 'run_finished',
          runId: id,
          status: result.status,
          exitCode: result.exitCode,
          durationMs: result.durationMs,
          truncated: result.truncated,
          clientGone: signal?.aborted ?? false,
        },
        'run finished',
      );
      return await this.end(id, (run) =>
        run.status === 'running'
          ? { ...run, status: result.status, result, finishedAt: Date.now() }
          : undefined,
      );
    } catch (error) {
      return this.fail(id, error);
    }
  }

  /** Ends a run that could not run (`internal_error`), unless it has ended already. */
  async fail(id: string, error: unknown): Promise<RunRecord | undefined> {
    const failure =
      error instanceof DomainError
        ? { code: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds }
        : { code: 'internal' as const, message: 'The run failed inside the service.' };
    if (error instanceof DomainError) this.metrics.rejected(error.code);
    else this.logger.error({ event: 'run_failed', runId: id, err: error }, 'run failed');
    return this.end(id, (run) =>
      run.status === 'queued' || run.status === 'running'
        ? { ...run, status: 'internal_error', error: failure, finishedAt: Date.now() }
        : undefined,
    );
  }

  /** Stores the run's end (if `change` makes one) and announces it to its callback. */
  private async end(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
  ): Promise<RunRecord | undefined> {
    let ended = false;
    const run = await this.store.update(id, (current) => {
      const next = change(current);
      ended = next !== undefined;
      return next;
    });
    if (ended) this.callbacks.ended(run);
    return run;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RunQueue } from '../admission/run-queue.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { DomainError } from '../common/domain-error.js';
import { SandboxService, type Program, type RunResult } from '../sandbox/index.js';
import { codePointLength } from './program-limits.js';

export interface ExecutionContext {
  requestId: string;
  /** Who the run counts against (ClientIdentity), for the per-client cap and fair queueing. */
  client: string;
  /** Fires when the client goes away: a queued run is dropped, a running one killed. */
  signal?: AbortSignal;
}

/**
 * One POST /run: admission through the RunQueue, the run itself in the sandbox, and the
 * record of it in metrics and logs. Logs describe the code (length, hash), never its text.
 */
@Injectable()
export class ExecutionService {
  private readonly logger = new Logger(ExecutionService.name);

  constructor(
    private readonly queue: RunQueue,
    private readonly sandbox: SandboxService,
    private readonly metrics: RunMetrics,
  ) {}

  async run(program: Program, { requestId, client, signal }: ExecutionContext): Promise<RunResult> {
    this.logger.log(
      {
        event: 'run_requested',
        codeLength: codePointLength(program.code),
        codeSha256: createHash('sha256').update(program.code).digest('hex'),
        stdinBytes: Buffer.byteLength(program.stdin ?? '', 'utf8'),
      },
      'run requested',
    );
    const requested = Date.now();
    try {
      const result = await this.queue.run(
        () => {
          this.logger.log({ waitedMs: Date.now() - requested }, 'run admitted');
          return this.sandbox.run(program, { signal, requestId });
        },
        { client, signal },
      );
      this.metrics.ran(result.status, result.durationMs);
      this.logger.log(
        {
          event: 'run_finished',
          status: result.status,
          exitCode: result.exitCode,
          durationMs: result.durationMs,
          truncated: result.truncated,
          clientGone: signal?.aborted ?? false,
        },
        'run finished',
      );
      return result;
    } catch (error) {
      if (error instanceof DomainError) {
        this.metrics.rejected(error.code);
        this.logger.warn(
          { event: 'run_refused', reason: error.code },
          `run refused: ${error.message}`,
        );
      }
      throw error;
    }
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RunQueue } from '../admission/run-queue.js';
import { RunRejectedError } from '../admission/run-rejected.error.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { runLifetimeLabels } from '../sandbox/container-reaper.js';
import type { RunResult } from '../sandbox/run-result.js';
import { SandboxError } from '../sandbox/sandbox.errors.js';
import { SandboxService, type Program } from '../sandbox/sandbox.service.js';
import { codePointLength } from './program-limits.js';

/** Label carrying the HTTP request id, so a container can be traced to its request's logs. */
export const REQUEST_LABEL = 'safe-code-executor.request';

export interface ExecutionContext {
  requestId: string;
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

  async run(program: Program, { requestId, signal }: ExecutionContext): Promise<RunResult> {
    this.logger.log(
      {
        event: 'run_requested',
        codeLength: codePointLength(program.code),
        codeSha256: createHash('sha256').update(program.code).digest('hex'),
        stdinBytes: Buffer.byteLength(program.stdin ?? '', 'utf8'),
      },
      'run requested',
    );
    try {
      const result = await this.queue.run(
        () =>
          this.sandbox.run(program, {
            signal,
            labels: {
              [REQUEST_LABEL]: requestId,
              ...runLifetimeLabels(this.sandbox.policy.timeoutMs),
            },
          }),
        signal,
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
      if (error instanceof RunRejectedError || error instanceof SandboxError) {
        this.metrics.rejected(error.kind);
        this.logger.warn(
          { event: 'run_refused', reason: error.kind },
          `run refused: ${error.message}`,
        );
      }
      throw error;
    }
  }
}

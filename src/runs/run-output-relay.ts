import type { Logger } from '@nestjs/common';
import type { StreamName } from '../sandbox/index.js';
import type { RunEvents } from './run-events.js';

/**
 * Carries a running program's output into its events as it comes, one write at a time: what the
 * program writes while a write is under way joins the next one (pieces of the same stream run
 * together), so a program that prints fast costs a few writes, not one per line, and the first
 * line waits for nothing. Live output is a view: a write that fails (Redis away) is dropped and
 * logged once, as the run's result holds all the output anyway.
 */
export class RunOutputRelay {
  private readonly pending: { stream: StreamName; text: string }[] = [];
  private writing: Promise<void> | undefined;
  private failed = false;
  private discarded = false;

  /** `after`: nothing is written before it settles (the run's start, whose event comes first). */
  constructor(
    private readonly events: RunEvents,
    private readonly runId: string,
    private readonly logger: Logger,
    private readonly after: Promise<unknown> = Promise.resolve(),
  ) {}

  push(stream: StreamName, text: string): void {
    if (this.discarded) return;
    const last = this.pending.at(-1);
    if (last?.stream === stream) last.text += text;
    else this.pending.push({ stream, text });
    this.writing ??= this.drain();
  }

  /** Drops what is pending and all that comes later (a run that did not start after all). */
  discard(): void {
    this.discarded = true;
    this.pending.length = 0;
  }

  /** Resolves once everything pushed so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    await this.after.catch(() => undefined);
    for (let piece = this.pending.shift(); piece; piece = this.pending.shift()) {
      try {
        await this.events.output(this.runId, piece.stream, piece.text);
      } catch (error) {
        if (!this.failed) {
          this.failed = true;
          this.logger.warn(
            { event: 'run_output_dropped', runId: this.runId, reason: String(error) },
            'live output could not be stored; the result keeps all of it',
          );
        }
      }
    }
    this.writing = undefined;
  }
}

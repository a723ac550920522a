import type { Logger } from '@nestjs/common';
import type { StreamName } from '../sandbox/index.js';
import type { RunEvents } from './run-events.js';

/**
 * Carries a running program's output into its events as it comes, one write at a time while the
 * program runs: what the program writes while a write is under way joins the next one (pieces of
 * the same stream run together), so a program that prints fast costs a few writes, not one per
 * line, and the first line waits for nothing. Once the program has ended (close()), what is left
 * is sent at once, without waiting for the answers to earlier writes: RunEvents applies writes in
 * the order they are made, so the run's end, sent after, still comes after them, and the end
 * costs one round trip rather than one per pending piece. Live output is a view: a write that
 * fails (Redis away) is dropped and logged once, as the run's result holds all the output anyway.
 */
export class RunOutputRelay {
  private readonly pending: { stream: StreamName; text: string }[] = [];
  private writing: Promise<void> | undefined;
  private failed = false;
  private discarded = false;
  private closed = false;
  /** Wakes a drain waiting on a write's answer when the program ends. */
  private wakeOnClose: (() => void) | undefined;

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

  /**
   * The program has ended: sends what is pending without further waiting, and resolves once
   * every piece pushed so far has been handed to RunEvents (not once each is stored), so that
   * a write made next follows them.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeOnClose?.();
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    await this.after.catch(() => undefined);
    for (let piece = this.pending.shift(); piece; piece = this.pending.shift()) {
      const written = this.write(piece.stream, piece.text);
      if (this.closed) continue;
      const closing = new Promise<void>((resolve) => (this.wakeOnClose = resolve));
      await Promise.race([written, closing]);
      this.wakeOnClose = undefined;
    }
    this.writing = undefined;
  }

  private async write(stream: StreamName, text: string): Promise<void> {
    try {
      await this.events.output(this.runId, stream, text);
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
}

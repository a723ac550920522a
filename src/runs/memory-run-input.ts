import { Injectable } from '@nestjs/common';
import { EventEmitter, on } from 'node:events';
import type { RunInput } from './run-input.js';

interface Stdin {
  chunks: string[];
  closed: boolean;
}

/**
 * The embedded mode's RunInput: each interactive run's stdin in memory from its submission
 * (open) until it ends (RunProcessor forgets it); what is written to a run without room (never
 * opened, or ended) is dropped, so nothing outlives its run. Bounded by the API's cap on stdin
 * per run.
 */
@Injectable()
export class MemoryRunInput implements RunInput {
  private readonly inputs = new Map<string, Stdin>();
  private readonly written = new EventEmitter();

  constructor() {
    this.written.setMaxListeners(0); // one listener per reader; none leaks
  }

  open(runId: string): Promise<void> {
    if (!this.inputs.has(runId)) this.inputs.set(runId, { chunks: [], closed: false });
    return Promise.resolve();
  }

  write(runId: string, data: string): Promise<void> {
    const stdin = this.inputs.get(runId);
    if (stdin && !stdin.closed) {
      stdin.chunks.push(data);
      this.written.emit(runId);
    }
    return Promise.resolve();
  }

  close(runId: string): Promise<void> {
    const stdin = this.inputs.get(runId);
    if (stdin) stdin.closed = true;
    this.written.emit(runId);
    return Promise.resolve();
  }

  async *read(runId: string, signal: AbortSignal): AsyncIterable<string> {
    const changes = on(this.written, runId, { signal });
    let next = 0;
    try {
      for (;;) {
        const stdin = this.inputs.get(runId);
        if (!stdin) return; // forgotten: the run has ended
        while (next < stdin.chunks.length) yield stdin.chunks[next++];
        if (stdin.closed) return;
        const change = await (changes as AsyncIterator<unknown>).next();
        if (change.done) return;
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      await (changes as AsyncIterator<unknown>).return?.();
    }
  }

  forget(runId: string): Promise<void> {
    this.inputs.delete(runId);
    return Promise.resolve();
  }
}

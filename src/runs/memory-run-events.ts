import { Injectable } from '@nestjs/common';
import { EventEmitter, on } from 'node:events';
import type { StreamName } from '../sandbox/index.js';
import type { FollowOptions, RunEvent, RunEventType, RunEvents } from './run-events.js';

/**
 * The embedded mode's RunEvents: each run's events in this process's memory, as long as
 * MemoryRunStore keeps the run (it calls forget). Bounded by the run's output cap (output
 * events carry only kept output) and by the store's own bounds on runs.
 */
@Injectable()
export class MemoryRunEvents implements RunEvents {
  private readonly logs = new Map<string, RunEvent[]>();
  private readonly appended = new EventEmitter();

  constructor() {
    this.appended.setMaxListeners(0); // one listener per follower; none leaks
  }

  output(runId: string, stream: StreamName, data: string): Promise<void> {
    this.append(runId, stream, JSON.stringify({ data }));
    return Promise.resolve();
  }

  /** Appends an event (the store: status and result; output through output()). */
  append(runId: string, type: RunEventType, data: string): void {
    let log = this.logs.get(runId);
    if (!log) this.logs.set(runId, (log = []));
    const event = { id: String(log.length + 1), type, data };
    log.push(event);
    this.appended.emit(runId, event);
  }

  /** Forgets a run's events (the store forgot the run). */
  forget(runId: string): void {
    this.logs.delete(runId);
  }

  async *follow(
    runId: string,
    { after, signal, ended }: FollowOptions = {},
  ): AsyncIterable<RunEvent> {
    signal?.throwIfAborted();
    // Listening before reading the log: nothing appended between the two is missed.
    const live = on(this.appended, runId, { signal });
    const afterSeq = after !== undefined && /^\d+$/.test(after) ? Number(after) : 0;
    let last = afterSeq;
    try {
      for (const event of (this.logs.get(runId) ?? []).slice(afterSeq)) {
        last = Number(event.id);
        yield event;
        if (event.type === 'result') return;
      }
      if (ended) return;
      for await (const [event] of live as AsyncIterable<[RunEvent]>) {
        if (Number(event.id) <= last) continue;
        last = Number(event.id);
        yield event;
        if (event.type === 'result') return;
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    } finally {
      await (live as AsyncIterator<unknown>).return?.();
    }
  }
}

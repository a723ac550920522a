import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter, once } from 'node:events';
import { MemoryRunEvents } from './memory-run-events.js';
import { transitionEvent } from './run-events.js';
import { hasEnded, type RunRecord } from './run-record.js';
import type { EndedOptions, RunStore } from './run-store.js';
import { RUNS_CONFIG, type RunsConfig } from './runs.config.js';

/**
 * The embedded mode's RunStore: a map in this process's memory. Bounded: runs that have ended
 * expire RUN_RESULT_TTL_S after they ended, and past RUN_RESULTS_LIMIT of them the oldest go
 * first. Runs not yet ended are bounded by admission (the run slots and the queue). A run's
 * start and end go into its events (MemoryRunEvents) in the same step, and leave with it.
 */
@Injectable()
export class MemoryRunStore implements RunStore, OnApplicationShutdown {
  private readonly runs = new Map<string, RunRecord>();
  /** Ids of ended runs, oldest end first (a Set keeps insertion order). */
  private readonly endedOrder = new Set<string>();
  private readonly endings = new EventEmitter();
  private readonly ttlMs: number;
  private readonly limit: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    @Inject(RUNS_CONFIG.token) config: RunsConfig,
    private readonly events: MemoryRunEvents,
  ) {
    this.ttlMs = config.RUN_RESULT_TTL_S * 1000;
    this.limit = config.RUN_RESULTS_LIMIT;
    // Every waiter of POST /run listens here; there is no leak to warn of.
    this.endings.setMaxListeners(0);
    this.sweeper = setInterval(() => this.expire(), Math.min(this.ttlMs, 60_000));
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  create(run: RunRecord): Promise<void> {
    this.runs.set(run.id, structuredClone(run));
    if (hasEnded(run)) this.noteEnded(run);
    return Promise.resolve();
  }

  get(id: string): Promise<RunRecord | undefined> {
    const run = this.current(id);
    return Promise.resolve(run && structuredClone(run));
  }

  async update(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
  ): Promise<RunRecord | undefined> {
    const current = await this.get(id);
    if (!current) return undefined;
    const next = change(current);
    if (!next) return current;
    this.runs.set(id, structuredClone(next));
    const event = transitionEvent(current, next);
    if (event) this.events.append(id, event.type, event.data);
    if (!hasEnded(current) && hasEnded(next)) this.noteEnded(next);
    return structuredClone(next);
  }

  delete(id: string): Promise<void> {
    this.forget(id);
    return Promise.resolve();
  }

  async ended(id: string, { signal, creating = false }: EndedOptions = {}): Promise<RunRecord> {
    const run = this.current(id);
    if (run && hasEnded(run)) return structuredClone(run);
    if (!run && !creating) throw new Error(`no run ${id}`);
    const [ended] = (await once(this.endings, id, { signal })) as [RunRecord];
    return structuredClone(ended);
  }

  /** Nothing to do: an update() here announces the end to ended() in the same step. */
  announceEnd(_run: RunRecord): Promise<void> {
    return Promise.resolve();
  }

  /** How many runs it holds (for tests). */
  get size(): number {
    return this.runs.size;
  }

  /** The run as stored (not a copy), unless it has expired. */
  private current(id: string): RunRecord | undefined {
    const run = this.runs.get(id);
    if (run && this.expired(run)) {
      this.forget(id);
      return undefined;
    }
    return run;
  }

  private noteEnded(run: RunRecord): void {
    this.endedOrder.add(run.id);
    while (this.endedOrder.size > this.limit) {
      const [oldest] = this.endedOrder;
      this.forget(oldest);
    }
    this.endings.emit(run.id, run);
  }

  private expired(run: RunRecord): boolean {
    return run.finishedAt !== undefined && Date.now() - run.finishedAt >= this.ttlMs;
  }

  private expire(): void {
    for (const id of this.endedOrder) {
      const run = this.runs.get(id);
      if (run && !this.expired(run)) break; // the rest ended later
      this.forget(id);
    }
  }

  private forget(id: string): void {
    this.runs.delete(id);
    this.endedOrder.delete(id);
    this.events.forget(id);
  }
}

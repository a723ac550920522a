import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DomainError } from '../common/domain-error.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { EXECUTION_CONFIG, type ExecutionConfig } from './program-limits.js';

/**
 * At most LIVE_STREAMS_PER_CLIENT live connections per client on this instance: event streams
 * and interactive WebSockets together, each held for as long as a run may last. Counted in this
 * process (a connection lives in one process); past the cap, `client_limit` (429). On shutdown
 * (after the runs in flight have drained) `closing` aborts, so that event streams of runs that
 * are still waiting end and their clients resume elsewhere with Last-Event-ID, instead of
 * holding the server open.
 */
@Injectable()
export class LiveStreamLimit implements BeforeApplicationShutdown {
  private readonly open = new Map<string, number>();
  private readonly limit: number;
  private readonly shutdown = new AbortController();

  /** Aborts when the instance shuts down. */
  get closing(): AbortSignal {
    return this.shutdown.signal;
  }

  beforeApplicationShutdown(): void {
    this.shutdown.abort();
  }

  constructor(@Inject(EXECUTION_CONFIG.token) config: ExecutionConfig, metrics: RunMetrics) {
    this.limit = config.LIVE_STREAMS_PER_CLIENT;
    const open = this.open;
    new Gauge({
      name: 'sce_live_connections',
      help: 'Event streams and interactive sockets open on this instance.',
      registers: [metrics.registry],
      collect() {
        let total = 0;
        for (const count of open.values()) total += count;
        this.set(total);
      },
    });
  }

  /** Takes one of the client's places; returns what gives it back (once). */
  acquire(client: string): () => void {
    const count = this.open.get(client) ?? 0;
    if (count >= this.limit) {
      throw new DomainError(
        'client_limit',
        `Too many live connections: this client already has ${count} open (the limit is ${this.limit}). Close one and retry.`,
        1,
      );
    }
    this.open.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(client) ?? 1) - 1;
      if (left > 0) this.open.set(client, left);
      else this.open.delete(client);
    };
  }
}

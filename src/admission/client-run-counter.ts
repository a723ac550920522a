import { Injectable } from '@nestjs/common';

/** Injection token of the ClientRunCounter. */
export const CLIENT_RUN_COUNTER = Symbol('ClientRunCounter');

/**
 * How many runs each client has in flight or waiting, against a cap. Asynchronous, so one
 * shared by several instances (Redis: an atomic check-and-increment, with entries that expire
 * so a crashed instance's places come back) can replace the in-memory one without changing
 * its callers.
 */
export interface ClientRunCounter {
  /** Takes one of `client`'s places if it holds fewer than `limit`; resolves with whether it did. */
  tryAcquire(client: string, limit: number): Promise<boolean>;
  /** Gives back a place taken by tryAcquire. */
  release(client: string): Promise<void>;
}

/** The counter of one instance, in its memory. */
@Injectable()
export class InMemoryClientRunCounter implements ClientRunCounter {
  private readonly held = new Map<string, number>();

  tryAcquire(client: string, limit: number): Promise<boolean> {
    const held = this.held.get(client) ?? 0;
    if (held >= limit) return Promise.resolve(false);
    this.held.set(client, held + 1);
    return Promise.resolve(true);
  }

  release(client: string): Promise<void> {
    const held = (this.held.get(client) ?? 0) - 1;
    // Forget clients with nothing held, so the map grows with current clients only.
    if (held > 0) this.held.set(client, held);
    else this.held.delete(client);
    return Promise.resolve();
  }

  /** Places `client` holds right now (for tests). */
  heldBy(client: string): number {
    return this.held.get(client) ?? 0;
  }
}

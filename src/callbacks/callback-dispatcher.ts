import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { nextDelayMs, type CallbackRetryPolicy } from './callback-retry-policy.js';
import { CallbackSender } from './callback-sender.js';

/**
 * Hands a finished run to its callback URL, with retries. dispatch() returns at once; the
 * delivery goes on in the background. The embedded mode uses InMemoryCallbackDispatcher; the
 * distributed mode runs the tries through its queue.
 */
export interface CallbackDispatcher {
  dispatch(runId: string, url: string, body: object): void;
}

/** The injection token of the CallbackDispatcher in use. */
export const CALLBACK_DISPATCHER = Symbol('CallbackDispatcher');

/** The injection token of the retry policy (callback-retry-policy.ts). */
export const CALLBACK_RETRY_POLICY = Symbol('CallbackRetryPolicy');

/** Deliveries the in-memory dispatcher holds at once (waiting or being tried); more are dropped. */
export const MAX_PENDING_CALLBACKS = 1000;

/** Optional injection token overriding MAX_PENDING_CALLBACKS. */
export const CALLBACK_MAX_PENDING = Symbol('CallbackMaxPending');

interface Delivery {
  readonly id: string;
  readonly runId: string;
  readonly url: string;
  readonly body: object;
  attempt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Callbacks in this process's memory: each delivery is tried at once, then after the policy's
 * delays, until it is delivered, fails permanently, or has used its tries. Timers are unref'd
 * (a pending callback does not keep the process alive) and cleared on shutdown, which also
 * aborts the tries in flight; a callback still pending then is lost, and logged as such.
 */
@Injectable()
export class InMemoryCallbackDispatcher implements CallbackDispatcher, OnModuleDestroy {
  private readonly logger = new Logger('Callbacks');
  private readonly pending = new Map<string, Delivery>();
  private readonly shutdown = new AbortController();
  private readonly maxPending: number;

  constructor(
    private readonly sender: CallbackSender,
    @Inject(CALLBACK_RETRY_POLICY) private readonly policy: CallbackRetryPolicy,
    @Optional() @Inject(CALLBACK_MAX_PENDING) maxPending?: number,
  ) {
    this.maxPending = maxPending ?? MAX_PENDING_CALLBACKS;
  }

  /** Deliveries waiting or being tried. */
  get pendingCount(): number {
    return this.pending.size;
  }

  dispatch(runId: string, url: string, body: object): void {
    if (this.shutdown.signal.aborted) {
      this.logger.warn({ event: 'callback_dropped', runId, reason: 'shutting down' });
      return;
    }
    if (this.pending.size >= this.maxPending) {
      this.logger.warn({
        event: 'callback_dropped',
        runId,
        reason: `${this.maxPending} callbacks already pending`,
      });
      return;
    }
    const delivery: Delivery = { id: randomUUID(), runId, url, body, attempt: 0 };
    this.pending.set(delivery.id, delivery);
    this.schedule(delivery, 0);
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
    for (const delivery of this.pending.values()) {
      clearTimeout(delivery.timer);
      this.logger.warn({
        event: 'callback_abandoned',
        runId: delivery.runId,
        deliveryId: delivery.id,
        attempt: delivery.attempt,
        reason: 'shutting down',
      });
    }
    this.pending.clear();
  }

  private schedule(delivery: Delivery, delayMs: number): void {
    delivery.timer = setTimeout(() => {
      this.attempt(delivery).catch((error: unknown) => {
        this.pending.delete(delivery.id);
        this.logger.error({
          event: 'callback_gave_up',
          runId: delivery.runId,
          deliveryId: delivery.id,
          attempt: delivery.attempt,
          reason: error instanceof Error ? error.message : String(error),
        });
      });
    }, delayMs);
    delivery.timer.unref();
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.timer = undefined;
    delivery.attempt += 1;
    const { runId, id: deliveryId, attempt } = delivery;
    const result = await this.sender.deliver(
      delivery.url,
      delivery.body,
      deliveryId,
      this.shutdown.signal,
    );
    // Shut down while this try was in flight: onModuleDestroy has logged it.
    if (this.shutdown.signal.aborted) return;
    if (result.outcome === 'delivered') {
      this.pending.delete(deliveryId);
      this.logger.log({
        event: 'callback_delivered',
        runId,
        deliveryId,
        attempt,
        status: result.status,
      });
      return;
    }
    const delayMs = result.outcome === 'retryable' ? nextDelayMs(attempt, this.policy) : undefined;
    const failure = { runId, deliveryId, attempt, reason: result.reason, status: result.status };
    this.logger.warn({ event: 'callback_failed', ...failure, retryInMs: delayMs });
    if (delayMs !== undefined) {
      this.schedule(delivery, delayMs);
      return;
    }
    this.pending.delete(deliveryId);
    this.logger.error({
      event: 'callback_gave_up',
      ...failure,
      why: result.outcome === 'permanent' ? 'permanent failure' : `${attempt} tries used`,
    });
  }
}

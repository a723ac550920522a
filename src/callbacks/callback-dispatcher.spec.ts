import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { InMemoryCallbackDispatcher } from './callback-dispatcher.js';
import { nextDelayMs, type CallbackRetryPolicy } from './callback-retry-policy.js';
import type { CallbackSender, DeliveryResult } from './callback-sender.js';

const policy: CallbackRetryPolicy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 };

interface Call {
  at: number;
  url: string;
  body: object;
  deliveryId: string;
  signal?: AbortSignal;
}

/** A sender that answers with `results` in turn (the last one over and over) and records calls. */
function fakeSender(...results: DeliveryResult[]) {
  const calls: Call[] = [];
  const sender = {
    deliver: (url: string, body: object, deliveryId: string, signal?: AbortSignal) => {
      calls.push({ at: Date.now(), url, body, deliveryId, signal });
      return Promise.resolve(results[Math.min(calls.length, results.length) - 1]);
    },
  };
  return { sender: sender as unknown as CallbackSender, calls };
}

const retryable: DeliveryResult = { outcome: 'retryable', reason: 'HTTP 503', status: 503 };
const delivered: DeliveryResult = { outcome: 'delivered', status: 200 };

describe('nextDelayMs', () => {
  it('doubles from the base, capped, and ends at the last try', () => {
    const long = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((attempt) => nextDelayMs(attempt, long))).toEqual([
      1000,
      2000,
      4000,
      8000,
      16_000,
      32_000,
      60_000,
      60_000,
      60_000,
      undefined,
    ]);
    expect(nextDelayMs(1, { maxAttempts: 1, baseDelayMs: 1000, maxDelayMs: 60_000 })).toBe(
      undefined,
    );
  });
});

describe('InMemoryCallbackDispatcher', () => {
  let logged: { level: string; entry: Record<string, unknown> }[];

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    logged = [];
    for (const level of ['log', 'warn', 'error'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((entry: unknown) => {
        logged.push({ level, entry: entry as Record<string, unknown> });
      });
    }
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const events = () => logged.map(({ entry }) => entry);

  it('tries at once, then after the policy delays, until delivered; logs each try', async () => {
    const { sender, calls } = fakeSender(retryable, retryable, delivered);
    const dispatcher = new InMemoryCallbackDispatcher(sender, policy);

    dispatcher.dispatch('run-1', 'https://hooks.example.com/x', { id: 'run-1' });
    expect(dispatcher.pendingCount).toBe(1);
    await jest.advanceTimersByTimeAsync(10_000);

    expect(calls.map((call) => call.at)).toEqual([0, 1000, 3000]);
    expect(new Set(calls.map((call) => call.deliveryId)).size).toBe(1);
    expect(calls[0]).toMatchObject({ url: 'https://hooks.example.com/x', body: { id: 'run-1' } });
    expect(events()).toEqual([
      expect.objectContaining({
        event: 'callback_failed',
        runId: 'run-1',
        attempt: 1,
        reason: 'HTTP 503',
        retryInMs: 1000,
      }),
      expect.objectContaining({
        event: 'callback_failed',
        runId: 'run-1',
        attempt: 2,
        retryInMs: 2000,
      }),
      expect.objectContaining({
        event: 'callback_delivered',
        runId: 'run-1',
        attempt: 3,
        status: 200,
      }),
    ]);
    expect(dispatcher.pendingCount).toBe(0);
  });

  it('gives up after the last try and says so', async () => {
    const { sender, calls } = fakeSender(retryable);
    const dispatcher = new InMemoryCallbackDispatcher(sender, policy);

    dispatcher.dispatch('run-2', 'https://hooks.example.com/x', {});
    await jest.advanceTimersByTimeAsync(600_000);

    expect(calls.map((call) => call.at)).toEqual([0, 1000, 3000, 7000]);
    const last = logged.at(-1);
    expect(last?.level).toBe('error');
    expect(last?.entry).toMatchObject({
      event: 'callback_gave_up',
      runId: 'run-2',
      attempt: 4,
      reason: 'HTTP 503',
      why: '4 tries used',
    });
    expect(events().filter((entry) => entry.event === 'callback_failed')).toHaveLength(4);
    expect(dispatcher.pendingCount).toBe(0);
  });

  it('does not retry a permanent failure', async () => {
    const { sender, calls } = fakeSender({ outcome: 'permanent', reason: 'HTTP 404', status: 404 });
    const dispatcher = new InMemoryCallbackDispatcher(sender, policy);

    dispatcher.dispatch('run-3', 'https://hooks.example.com/x', {});
    await jest.advanceTimersByTimeAsync(600_000);

    expect(calls).toHaveLength(1);
    expect(events()).toEqual([
      expect.objectContaining({ event: 'callback_failed', attempt: 1, retryInMs: undefined }),
      expect.objectContaining({ event: 'callback_gave_up', attempt: 1, why: 'permanent failure' }),
    ]);
  });

  it('holds a bounded number of deliveries and drops the rest, logged', async () => {
    const { sender, calls } = fakeSender(retryable);
    const dispatcher = new InMemoryCallbackDispatcher(sender, policy, 2);

    dispatcher.dispatch('a', 'https://hooks.example.com/x', {});
    dispatcher.dispatch('b', 'https://hooks.example.com/x', {});
    dispatcher.dispatch('c', 'https://hooks.example.com/x', {});
    await jest.advanceTimersByTimeAsync(0);

    expect(dispatcher.pendingCount).toBe(2);
    expect(calls).toHaveLength(2);
    expect(events()).toContainEqual(
      expect.objectContaining({
        event: 'callback_dropped',
        runId: 'c',
        reason: '2 callbacks already pending',
      }),
    );
  });

  it('on shutdown clears its timers, aborts the try in flight and logs what it abandons', async () => {
    const { sender, calls } = fakeSender(retryable);
    const dispatcher = new InMemoryCallbackDispatcher(sender, policy);
    dispatcher.dispatch('run-4', 'https://hooks.example.com/x', {});
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(1);

    dispatcher.onModuleDestroy();

    expect(jest.getTimerCount()).toBe(0);
    expect(calls[0].signal?.aborted).toBe(true);
    expect(dispatcher.pendingCount).toBe(0);
    expect(events()).toContainEqual(
      expect.objectContaining({ event: 'callback_abandoned', runId: 'run-4', attempt: 1 }),
    );
    dispatcher.dispatch('run-5', 'https://hooks.example.com/x', {});
    await jest.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(1);
    expect(events()).toContainEqual(
      expect.objectContaining({
        event: 'callback_dropped',
        runId: 'run-5',
        reason: 'shutting down',
      }),
    );
  });
});

describe('InMemoryCallbackDispatcher timers', () => {
  it('do not keep the process alive', () => {
    const { sender } = fakeSender(retryable);
    const dispatcher = new InMemoryCallbackDispatcher(sender, policy);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      dispatcher.dispatch('run-6', 'https://hooks.example.com/x', {});
      const timer = spy.mock.results[0].value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
    } finally {
      dispatcher.onModuleDestroy();
      jest.restoreAllMocks();
    }
  });
});

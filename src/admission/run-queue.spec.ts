import { describe, expect, it, jest } from '@jest/globals';
import { AppConfig } from '../config/app-config.js';
import { InMemoryClientRunCounter } from './client-run-counter.js';
import { RunQueue } from './run-queue.js';
import { RunRejectedError } from './run-rejected.error.js';

/** A queue and its per-client counter; the cap is out of the way unless a test sets it. */
function queueAndCounter(overrides: Partial<AppConfig>) {
  const counter = new InMemoryClientRunCounter();
  const config = Object.assign(new AppConfig(), { CLIENT_MAX_INFLIGHT: 1000 }, overrides);
  return { q: new RunQueue(config, counter), counter };
}

function queue(overrides: Partial<AppConfig>): RunQueue {
  return queueAndCounter(overrides).q;
}

/** Runs of one client, for the tests of the bounds that hold whoever the client is. */
const A = { client: 'ip:192.0.2.1' };

/** A task that runs until released, to hold a slot. */
function holder() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  return {
    task: async () => {
      started = true;
      await done;
      return 'ran';
    },
    release: () => release(),
    started: () => started,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function rejection(promise: Promise<unknown>): Promise<RunRejectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RunRejectedError))
    throw new Error(`expected a rejection, got ${String(error)}`);
  return error;
}

describe('RunQueue', () => {
  it('runs up to the bound at once, queues the rest in order and refuses past the queue', async () => {
    const q = queue({
      SANDBOX_MAX_CONCURRENT: 2,
      SANDBOX_QUEUE_LIMIT: 1,
      SANDBOX_TIMEOUT_MS: 5000,
    });
    const [a, b, c] = [holder(), holder(), holder()];
    const runs = [q.run(a.task, A), q.run(b.task, A), q.run(c.task, A)];
    await tick();
    expect([a.started(), b.started(), c.started()]).toEqual([true, true, false]);
    expect(q.stats).toMatchObject({ running: 2, waiting: 1 });
    expect(q.saturated).toBe(true);

    const refused = await rejection(q.run(() => Promise.resolve('never'), A));
    expect(refused.code).toBe('queue_full');
    expect(refused.retryAfterSeconds).toBe(5);

    a.release();
    await tick();
    expect(c.started()).toBe(true);
    expect(q.stats).toMatchObject({ running: 2, waiting: 0 });
    b.release();
    c.release();
    expect(await Promise.all(runs)).toEqual(['ran', 'ran', 'ran']);
    expect(q.stats).toMatchObject({ running: 0, waiting: 0 });
  });

  it('refuses a run that waited longer than the maximum wait, without running it', async () => {
    jest.useFakeTimers();
    try {
      const q = queue({
        SANDBOX_MAX_CONCURRENT: 1,
        SANDBOX_QUEUE_LIMIT: 5,
        SANDBOX_QUEUE_WAIT_MS: 1000,
      });
      const a = holder();
      const first = q.run(a.task, A);
      const waiting = jest.fn(() => Promise.resolve('late'));
      const second = q.run(waiting, A);
      const refused = rejection(second);
      // Async: the run enters the queue after the per-client counter answers.
      await jest.advanceTimersByTimeAsync(1001);
      expect((await refused).code).toBe('queue_timeout');
      expect(q.stats.waiting).toBe(0);
      a.release();
      await first;
      expect(waiting).not.toHaveBeenCalled();
    } finally {
      jest.useRealTimers();
    }
  });

  it('says when a submitted run is accepted, and lets a run accepted for later wait past the wait limit', async () => {
    jest.useFakeTimers();
    try {
      const q = queue({
        SANDBOX_MAX_CONCURRENT: 1,
        SANDBOX_QUEUE_LIMIT: 1,
        SANDBOX_QUEUE_WAIT_MS: 1000,
      });
      const a = holder();
      const first = q.submit(a.task, A);
      await first.accepted; // a slot at once
      expect(q.stats.running).toBe(1);
      const later = q.submit(() => Promise.resolve('later'), { ...A, maxWaitMs: Infinity });
      await later.accepted; // a place in the queue
      expect(q.stats.waiting).toBe(1);
      const refused = q.submit(() => Promise.resolve('never'), A);
      expect((await rejection(refused.accepted)).code).toBe('queue_full');
      expect((await rejection(refused.done)).code).toBe('queue_full');
      await jest.advanceTimersByTimeAsync(60_000);
      expect(q.stats.waiting).toBe(1);
      a.release();
      expect(await first.done).toBe('ran');
      expect(await later.done).toBe('later');
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops a waiting run whose client went away', async () => {
    const q = queue({ SANDBOX_MAX_CONCURRENT: 1, SANDBOX_QUEUE_LIMIT: 5 });
    const a = holder();
    const first = q.run(a.task, A);
    const controller = new AbortController();
    const second = q.run(() => Promise.resolve('never'), { ...A, signal: controller.signal });
    controller.abort();
    expect((await rejection(second)).code).toBe('client_gone');
    expect(q.stats.waiting).toBe(0);
    a.release();
    await first;
  });

  it('drains: refuses new and queued runs, resolves once the runs in flight finish', async () => {
    const q = queue({ SANDBOX_MAX_CONCURRENT: 1, SANDBOX_QUEUE_LIMIT: 5 });
    const a = holder();
    const first = q.run(a.task, A);
    const queued = q.run(() => Promise.resolve('never'), A);
    await tick();
    let drained = false;
    const draining = q.drain().then(() => (drained = true));
    expect((await rejection(queued)).code).toBe('shutting_down');
    expect((await rejection(q.run(() => Promise.resolve('never'), A))).code).toBe('shutting_down');
    await tick();
    expect(drained).toBe(false);
    a.release();
    expect(await first).toBe('ran');
    await draining;
    expect(drained).toBe(true);
  });

  it('frees the slot when a task fails', async () => {
    const q = queue({ SANDBOX_MAX_CONCURRENT: 1, SANDBOX_QUEUE_LIMIT: 0 });
    await expect(q.run(() => Promise.reject(new Error('boom')), A)).rejects.toThrow('boom');
    expect(await q.run(() => Promise.resolve('next'), A)).toBe('next');
  });

  describe('between clients', () => {
    /** Holders named `<client><n>`, each recording when it got its slot. */
    function clientsOf(q: RunQueue) {
      const started: string[] = [];
      const holders = new Map<string, ReturnType<typeof holder>>();
      const runs: Promise<unknown>[] = [];
      return {
        started,
        submit(...names: string[]) {
          for (const name of names) {
            const h = holder();
            holders.set(name, h);
            const task = () => {
              started.push(name);
              return h.task();
            };
            runs.push(q.run(task, { client: name.replace(/\d+$/, '') }));
          }
        },
        release: (name: string) => holders.get(name)?.release(),
        all: () => Promise.all(runs),
      };
    }

    it('gives a freed slot to the waiting clients in turn, not in order of arrival', async () => {
      const q = queue({ SANDBOX_MAX_CONCURRENT: 1, SANDBOX_QUEUE_LIMIT: 10 });
      const c = clientsOf(q);
      c.submit('a1');
      await tick();
      c.submit('a2', 'a3', 'b1', 'b2', 'c1');
      await tick();
      expect(q.stats).toMatchObject({ running: 1, waiting: 5 });
      for (const name of ['a1', 'b1', 'c1', 'a2', 'b2']) {
        c.release(name);
        await tick();
      }
      c.release('a3');
      await c.all();
      // a1 had the slot, so b and c (never served) come first; then a, b again.
      expect(c.started).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
    });

    it('gives a freed slot to the client with the fewest runs in flight', async () => {
      const q = queue({ SANDBOX_MAX_CONCURRENT: 3, SANDBOX_QUEUE_LIMIT: 10 });
      const c = clientsOf(q);
      c.submit('a1', 'a2', 'b1');
      await tick();
      c.submit('a3', 'a4', 'b2');
      await tick();
      // b was served last, but a still holds two slots: b's run goes first.
      c.release('b1');
      await tick();
      expect(c.started).toEqual(['a1', 'a2', 'b1', 'b2']);
      for (const name of ['a1', 'a2', 'b2', 'a3', 'a4']) c.release(name);
      await c.all();
      expect(c.started).toEqual(['a1', 'a2', 'b1', 'b2', 'a3', 'a4']);
    });

    it("refuses a client's run past CLIENT_MAX_INFLIGHT running or waiting, and no other's", async () => {
      const { q, counter } = queueAndCounter({
        SANDBOX_MAX_CONCURRENT: 1,
        SANDBOX_QUEUE_LIMIT: 10,
        SANDBOX_TIMEOUT_MS: 3000,
        CLIENT_MAX_INFLIGHT: 2,
      });
      const [a1, a2, b1] = [holder(), holder(), holder()];
      const runs = [q.run(a1.task, { client: 'a' }), q.run(a2.task, { client: 'a' })];
      await tick();
      const refused = await rejection(q.run(() => Promise.resolve('never'), { client: 'a' }));
      expect(refused.code).toBe('client_limit');
      expect(refused.retryAfterSeconds).toBe(3);
      expect(refused.message).toBe(
        'This client already has 2 programs running or waiting, the most one client may have (CLIENT_MAX_INFLIGHT). Retry when one has finished.',
      );
      expect(q.stats).toMatchObject({ running: 1, waiting: 1 });
      runs.push(q.run(b1.task, { client: 'b' }));
      await tick();
      expect(q.stats).toMatchObject({ running: 1, waiting: 2 });

      // The place comes back once a run has finished, before its answer is out.
      a1.release();
      expect(await runs[0]).toBe('ran');
      expect(counter.heldBy('a')).toBe(1);
      const a3 = holder();
      runs.push(q.run(a3.task, { client: 'a' }));
      for (const h of [b1, a2, a3]) {
        await tick();
        h.release();
      }
      await Promise.all(runs);
      expect([counter.heldBy('a'), counter.heldBy('b')]).toEqual([0, 0]);
    });

    it('gives the place back when a waiting run leaves the queue without running', async () => {
      const { q, counter } = queueAndCounter({
        SANDBOX_MAX_CONCURRENT: 1,
        SANDBOX_QUEUE_LIMIT: 1,
        CLIENT_MAX_INFLIGHT: 5,
      });
      const a = holder();
      const first = q.run(a.task, { client: 'a' });
      const controller = new AbortController();
      const gone = q.run(() => Promise.resolve('never'), {
        client: 'b',
        signal: controller.signal,
      });
      await tick();
      expect((await rejection(q.run(() => Promise.resolve('never'), { client: 'b' }))).code).toBe(
        'queue_full',
      );
      expect(counter.heldBy('b')).toBe(1);
      controller.abort();
      expect((await rejection(gone)).code).toBe('client_gone');
      expect(counter.heldBy('b')).toBe(0);
      const queued = q.run(() => Promise.resolve('never'), { client: 'b' });
      await tick();
      const draining = q.drain();
      expect((await rejection(queued)).code).toBe('shutting_down');
      expect(counter.heldBy('b')).toBe(0);
      a.release();
      await first;
      await draining;
      expect(counter.heldBy('a')).toBe(0);
    });
  });
});

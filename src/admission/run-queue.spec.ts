import { describe, expect, it, jest } from '@jest/globals';
import { AppConfig } from '../config/app-config.js';
import { RunQueue } from './run-queue.js';
import { RunRejectedError } from './run-rejected.error.js';

function queue(overrides: Partial<AppConfig>): RunQueue {
  return new RunQueue(Object.assign(new AppConfig(), overrides));
}

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
    const runs = [q.run(a.task), q.run(b.task), q.run(c.task)];
    await tick();
    expect([a.started(), b.started(), c.started()]).toEqual([true, true, false]);
    expect(q.stats).toMatchObject({ running: 2, waiting: 1 });
    expect(q.saturated).toBe(true);

    const refused = await rejection(q.run(() => Promise.resolve('never')));
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
      const first = q.run(a.task);
      const waiting = jest.fn(() => Promise.resolve('late'));
      const second = q.run(waiting);
      jest.advanceTimersByTime(1001);
      expect((await rejection(second)).code).toBe('queue_timeout');
      expect(q.stats.waiting).toBe(0);
      a.release();
      await first;
      expect(waiting).not.toHaveBeenCalled();
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops a waiting run whose client went away', async () => {
    const q = queue({ SANDBOX_MAX_CONCURRENT: 1, SANDBOX_QUEUE_LIMIT: 5 });
    const a = holder();
    const first = q.run(a.task);
    const controller = new AbortController();
    const second = q.run(() => Promise.resolve('never'), controller.signal);
    controller.abort();
    expect((await rejection(second)).code).toBe('client_gone');
    expect(q.stats.waiting).toBe(0);
    a.release();
    await first;
  });

  it('drains: refuses new and queued runs, resolves once the runs in flight finish', async () => {
    const q = queue({ SANDBOX_MAX_CONCURRENT: 1, SANDBOX_QUEUE_LIMIT: 5 });
    const a = holder();
    const first = q.run(a.task);
    const queued = q.run(() => Promise.resolve('never'));
    await tick();
    let drained = false;
    const draining = q.drain().then(() => (drained = true));
    expect((await rejection(queued)).code).toBe('shutting_down');
    expect((await rejection(q.run(() => Promise.resolve('never')))).code).toBe('shutting_down');
    await tick();
    expect(drained).toBe(false);
    a.release();
    expect(await first).toBe('ran');
    await draining;
    expect(drained).toBe(true);
  });

  it('frees the slot when a task fails', async () => {
    const q = queue({ SANDBOX_MAX_CONCURRENT: 1, SANDBOX_QUEUE_LIMIT: 0 });
    await expect(q.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await q.run(() => Promise.resolve('next'))).toBe('next');
  });
});

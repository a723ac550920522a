import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Redis, type RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAIL_FAST } from '../../src/redis/index.js';
import {
  RedisRunStore,
  RUN_ENDED_CHANNEL,
  runKey,
  UNENDED_RUN_TTL_S,
} from '../../src/runs/redis-run-store.js';
import type { RunRecord } from '../../src/runs/run-record.js';
import type { RunsConfig } from '../../src/runs/runs.config.js';
import { PrivateRedis } from '../support/redis.js';
import { until } from '../support/until.js';

/**
 * The shared connection's options as the service uses them, plus a command timeout: without
 * one, a command to a frozen Redis (alive, silent) waits for ever; with it, it fails after
 * 500 ms and the store answers redis_unavailable.
 */
const OPTIONS: RedisOptions = { ...FAIL_FAST, commandTimeout: 500 };

function queued(): RunRecord {
  return {
    id: randomUUID(),
    owner: null,
    client: 'ip:127.0.0.1',
    status: 'queued',
    createdAt: Date.now(),
    attempts: 0,
  };
}

function finished(run: RunRecord): RunRecord {
  return { ...run, status: 'cancelled', finishedAt: Date.now() };
}

describe('RedisRunStore (against a private redis-server)', () => {
  const redis = new PrivateRedis();
  const connections: Redis[] = [];
  const stores: RedisRunStore[] = [];

  /** A store on a connection of its own, as in another process. */
  async function store({
    ttlS = 3600,
    options = OPTIONS,
  }: { ttlS?: number; options?: RedisOptions } = {}): Promise<RedisRunStore> {
    const connection = new Redis(redis.url, options);
    connection.on('error', () => undefined);
    connections.push(connection);
    await once(connection, 'ready'); // it fails fast: no command before it is ready
    const config = {
      RUN_RESULT_TTL_S: ttlS,
      RUN_RESULTS_LIMIT: 1000,
      SANDBOX_QUEUE_WAIT_MS: 1000,
    } as RunsConfig;
    const created = new RedisRunStore(connection, config);
    stores.push(created);
    return created;
  }

  /** Waits until `store` reaches Redis again (its connection reconnects by itself). */
  async function reachable(runStore: RedisRunStore): Promise<void> {
    await until('the store to reach Redis again', () =>
      runStore.get('none').then(
        () => true,
        () => false,
      ),
    );
  }

  async function subscriberCount(): Promise<number> {
    const reply = await redis.command('PUBSUB', 'NUMSUB', RUN_ENDED_CHANNEL);
    return Array.isArray(reply) ? Number(reply[1]) : 0;
  }

  beforeAll(async () => {
    await redis.start();
  });

  afterEach(() => {
    redis.thaw();
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.onApplicationShutdown()));
    for (const connection of connections) connection.disconnect();
    await redis.dispose();
  });

  it('creates, reads and deletes a run; one not yet ended has the 7-day safety TTL', async () => {
    const runs = await store();
    const run = queued();

    await runs.create(run);

    expect(await runs.get(run.id)).toEqual(run);
    const ttl = Number(await redis.command('TTL', runKey(run.id)));
    expect(ttl).toBeGreaterThan(UNENDED_RUN_TTL_S - 10);
    expect(ttl).toBeLessThanOrEqual(UNENDED_RUN_TTL_S);
    await runs.delete(run.id);
    expect(await runs.get(run.id)).toBeUndefined();
  });

  it('updates: the new record, the record unchanged when change declines, undefined for no run', async () => {
    const runs = await store();
    const run = queued();
    await runs.create(run);

    const running = await runs.update(run.id, (r) => ({ ...r, status: 'running' }));
    const same = await runs.update(run.id, () => undefined);

    expect(running).toEqual({ ...run, status: 'running' });
    expect(same).toEqual(running);
    expect(await runs.get(run.id)).toEqual(running);
    expect(await runs.update(randomUUID(), (r) => r)).toBeUndefined();
  });

  it('updates from a belief: written without a read when it holds, decided on the stored run when it does not', async () => {
    const [one, two] = await Promise.all([store(), store()]);
    const run = queued();
    await one.create(run);
    const reads = async () =>
      Number(
        /cmdstat_get:calls=(\d+)/.exec(String(await redis.command('INFO', 'commandstats')))?.[1] ??
          0,
      );

    const before = await reads();
    const running = await one.update(run.id, (r) => ({ ...r, status: 'running' }), run);
    expect(running).toEqual({ ...run, status: 'running' });
    expect(await reads()).toBe(before + 1); // the belief held: only the script's own GET

    // Another process ends the run; a change made on the stale belief is made again on the
    // stored run, which declines it.
    await two.update(run.id, finished);
    const seen: string[] = [];
    const after = await one.update(
      run.id,
      (r) => {
        seen.push(r.status);
        return r.status === 'running' ? { ...r, attempts: 9 } : undefined;
      },
      running,
    );
    expect(seen).toEqual(['running', 'cancelled']);
    expect(after).toMatchObject({ status: 'cancelled', attempts: 0 });
  });

  it('updates atomically: 50 concurrent increments through two connections count 50', async () => {
    const [one, two] = await Promise.all([store(), store()]);
    const run = queued();
    await one.create(run);

    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? one : two).update(run.id, (r) => ({ ...r, attempts: r.attempts + 1 })),
      ),
    );

    expect((await one.get(run.id))?.attempts).toBe(50);
  });

  it('ended(): resolves in one store when another ends the run', async () => {
    const [waiting, ending] = await Promise.all([store(), store()]);
    const run = queued();
    await ending.create(run);

    const end = waiting.ended(run.id);
    await sleep(100); // the waiter has subscribed and read the run, not yet ended
    const cancelled = await ending.update(run.id, finished);

    await expect(end).resolves.toEqual(cancelled);
  });

  it('announceEnd(): a waiter in another store takes the end it announces, before it is stored', async () => {
    const [waiting, ending] = await Promise.all([store(), store()]);
    const run = { ...queued(), status: 'running' as const, startedAt: Date.now(), attempts: 1 };
    await ending.create(run);
    const end = waiting.ended(run.id);
    await sleep(100); // the waiter has subscribed and read the run, still running

    const success: RunRecord = { ...run, status: 'success', finishedAt: Date.now() };
    await ending.announceEnd(success);

    await expect(end).resolves.toEqual(success);
    expect(await ending.get(run.id)).toEqual(run); // told, not stored
    redis.freeze();
    await expect(ending.announceEnd(success)).rejects.toMatchObject({ code: 'redis_unavailable' });
  });

  it('ended(): resolves at once for a run that has ended, rejects for no run and on abort', async () => {
    const runs = await store();
    const run = queued();
    await runs.create(run);
    const cancelled = await runs.update(run.id, finished);
    const other = queued();
    await runs.create(other);
    const controller = new AbortController();

    await expect(runs.ended(run.id)).resolves.toEqual(cancelled);
    await expect(runs.ended(randomUUID())).rejects.toThrow(/no run/);
    const aborted = runs.ended(other.id, { signal: controller.signal });
    controller.abort(new Error('client gone'));
    await expect(aborted).rejects.toThrow('client gone');
    expect((runs as unknown as { waiters: Map<string, unknown> }).waiters.size).toBe(0);
  });

  it('ended() of a run its caller creates: no record yet is no error, and once its subscriber listens it reads nothing', async () => {
    const [waiting, ending] = await Promise.all([store(), store()]);
    const first = queued();
    // Not listening yet: it subscribes and reads, finds no run, and waits.
    const firstEnd = waiting.ended(first.id, { creating: true });
    await sleep(100);
    await ending.create(first);
    await expect(firstEnd).resolves.toEqual(await ending.update(first.id, finished));

    const reads = jest.spyOn(waiting, 'get');
    const run = queued();
    const end = waiting.ended(run.id, { creating: true });
    await ending.create(run);
    const cancelled = await ending.update(run.id, finished);

    await expect(end).resolves.toEqual(cancelled);
    expect(reads).not.toHaveBeenCalled();
    const controller = new AbortController();
    const refused = waiting.ended(randomUUID(), { signal: controller.signal, creating: true });
    controller.abort(new Error('refused'));
    await expect(refused).rejects.toThrow('refused');
    expect((waiting as unknown as { waiters: Map<string, unknown> }).waiters.size).toBe(0);
  });

  it('TTL: an ended run is kept RUN_RESULT_TTL_S, then it is gone', async () => {
    const runs = await store({ ttlS: 1 });
    const run = queued();
    await runs.create(run);

    await runs.update(run.id, finished);

    const ttlMs = Number(await redis.command('PTTL', runKey(run.id)));
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(1000);
    await until(
      'the ended run to expire',
      () => runs.get(run.id),
      (r) => r === undefined,
      {
        withinMs: 5000,
      },
    );
  });

  it('answers redis_unavailable while Redis is frozen, and works once it is thawed', async () => {
    const runs = await store();
    const run = queued();
    await runs.create(run);

    redis.freeze();
    await expect(runs.get(run.id)).rejects.toMatchObject({ code: 'redis_unavailable' });
    await expect(runs.update(run.id, finished)).rejects.toMatchObject({
      code: 'redis_unavailable',
    });
    redis.thaw();

    await reachable(runs);
    expect((await runs.get(run.id))?.status).toBe('queued');
  });

  it('answers redis_unavailable while Redis is stopped, and works after it restarts', async () => {
    const runs = await store();
    const run = queued();
    await runs.create(run);

    await redis.stop();
    try {
      await expect(runs.get(run.id)).rejects.toMatchObject({ code: 'redis_unavailable' });
      await expect(runs.update(run.id, finished)).rejects.toMatchObject({
        code: 'redis_unavailable',
      });
      await expect(runs.create(queued())).rejects.toMatchObject({ code: 'redis_unavailable' });
    } finally {
      await redis.start();
    }

    await reachable(runs);
    expect((await runs.update(run.id, finished))?.status).toBe('cancelled');
  });

  it('ended(): a waiter survives a hard restart of Redis and resolves when the run ends after it', async () => {
    const [waiting, ending] = await Promise.all([store(), store()]);
    const run = queued();
    await ending.create(run);
    const end = waiting.ended(run.id);
    await sleep(100);
    const subscribers = await subscriberCount();

    // A run being created across the restart: the check after the reconnect finds no record,
    // which for it is no error.
    const later = queued();
    const laterEnd = waiting.ended(later.id, { creating: true });

    await redis.restart({ hard: true });
    await reachable(ending);
    // Every subscriber is back on the channel (ioredis resubscribes; so does the store).
    await until('the subscribers to subscribe again', subscriberCount, (n) => n >= subscribers);
    const cancelled = await ending.update(run.id, finished);
    await ending.create(later);
    const laterCancelled = await ending.update(later.id, finished);

    await expect(end).resolves.toEqual(cancelled);
    await expect(laterEnd).resolves.toEqual(laterCancelled);
  });

  it('ended(): a waiter learns of an end that came while its subscriber was away (no message)', async () => {
    // Its subscriber reconnects 1.5 s after Redis went away, its shared connection 3 s after:
    // the end below is written meanwhile, without a PUBLISH, so only the check after the
    // subscriber's reconnect can find it, and that check must wait for the shared connection.
    const waiting = await store({ options: { ...OPTIONS, retryStrategy: () => 1500 } });
    const shared = connections.at(-1)!;
    const before = queued();
    const run = queued();
    await waiting.create(before);
    await waiting.update(before.id, finished);
    await waiting.ended(before.id); // the subscriber (a duplicate: 1.5 s) listens
    shared.options.retryStrategy = () => 3000;
    await waiting.create(run);
    const end = waiting.ended(run.id);
    await sleep(100);

    await redis.restart({ hard: true });
    const cancelled = finished(run);
    await redis.command('SET', runKey(run.id), JSON.stringify(cancelled), 'KEEPTTL');

    await expect(end).resolves.toEqual(cancelled);
  });
});

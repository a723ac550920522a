import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisThrottlerStorage } from '../../src/rate-limit/redis-throttler-storage.js';
import { connectRedis } from '../../src/redis/index.js';
import { PrivateRedis } from '../support/redis.js';
import { until } from '../support/until.js';

/**
 * The rate limiter's Redis storage against a real redis-server, through the service's own
 * fail-fast connections. Each test counts a client of its own (a fresh key).
 */
describe('RedisThrottlerStorage', () => {
  const redis = new PrivateRedis();
  const connections: Redis[] = [];
  let storage: RedisThrottlerStorage;

  /** A connection once it is ready (a fail-fast connection refuses commands until then). */
  async function connect(): Promise<Redis> {
    const connection = connectRedis(redis.url, 'throttle-test');
    connections.push(connection);
    await once(connection, 'ready');
    return connection;
  }

  /** One request of `client`: a window of `ttl` ms, `limit` runs, blocked `block` ms over it. */
  function hit(
    on: RedisThrottlerStorage,
    client: string,
    { ttl = 60_000, limit = 3, block = ttl }: { ttl?: number; limit?: number; block?: number } = {},
  ) {
    return on.increment(client, ttl, limit, block, 'run');
  }

  beforeAll(async () => {
    await redis.start();
    storage = new RedisThrottlerStorage(await connect());
  });

  afterAll(async () => {
    for (const connection of connections) connection.disconnect();
    await redis.dispose();
  });

  it('counts a client’s hits within its window, then blocks the one over the limit', async () => {
    const client = randomUUID();
    for (let n = 1; n <= 3; n++) {
      expect(await hit(storage, client)).toEqual({
        totalHits: n,
        timeToExpire: 60,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
    }
    expect(await hit(storage, client, { block: 20_000 })).toEqual({
      totalHits: 4,
      timeToExpire: 20,
      isBlocked: true,
      timeToBlockExpire: 20,
    });
    // Another client is counted on its own.
    expect((await hit(storage, randomUUID())).totalHits).toBe(1);
  });

  it('writes only keys under sce:throttle:, each with an expiry', async () => {
    const client = randomUUID();
    await hit(storage, client, { limit: 1 });
    await hit(storage, client, { limit: 1 });
    // The block ended the window, so only the block is left.
    const keys = (await redis.command('KEYS', `*${client}*`)) as string[];
    expect(keys).toEqual([`sce:throttle:{${client}}:run:block`]);
    expect(await redis.command('PTTL', keys[0])).toBeGreaterThan(0);
    const other = randomUUID();
    await hit(storage, other);
    expect(await redis.command('PTTL', `sce:throttle:{${other}}:run:hits`)).toBeGreaterThan(0);
  });

  it('starts a new window once the old one has expired', async () => {
    const client = randomUUID();
    const window = { ttl: 300, limit: 2 };
    expect((await hit(storage, client, window)).totalHits).toBe(1);
    expect((await hit(storage, client, window)).totalHits).toBe(2);
    await sleep(400);
    expect(await hit(storage, client, window)).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps a blocked client blocked for the block duration, uncounted, then counts afresh', async () => {
    const client = randomUUID();
    const limits = { ttl: 200, limit: 1, block: 900 };
    expect((await hit(storage, client, limits)).isBlocked).toBe(false);
    expect(await hit(storage, client, limits)).toMatchObject({
      totalHits: 2,
      isBlocked: true,
      timeToBlockExpire: 1,
    });
    // The window (200 ms) is over, the block (900 ms) is not.
    await sleep(400);
    expect(await hit(storage, client, limits)).toMatchObject({ totalHits: 2, isBlocked: true });
    await sleep(600);
    expect(await hit(storage, client, limits)).toEqual({
      totalHits: 1,
      timeToExpire: 1,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('without a block duration, refuses a client over the limit until its window ends', async () => {
    const client = randomUUID();
    const limits = { ttl: 300, limit: 1, block: 0 };
    expect((await hit(storage, client, limits)).isBlocked).toBe(false);
    expect(await hit(storage, client, limits)).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 1,
    });
    await sleep(400);
    expect(await hit(storage, client, limits)).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('shares the counts between two storages on two connections (two API instances)', async () => {
    const one = storage;
    const other = new RedisThrottlerStorage(await connect());
    const client = randomUUID();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await hit(i % 2 === 0 ? one : other, client));
    expect(answers.map((a) => [a.totalHits, a.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect((await hit(one, client)).isBlocked).toBe(true);
    expect((await hit(other, client)).isBlocked).toBe(true);
  });

  it('is atomic: of 50 concurrent hits on two connections, exactly the limit pass', async () => {
    const storages = [storage, new RedisThrottlerStorage(await connect())];
    const client = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => hit(storages[i % 2], client, { limit: 10 })),
    );
    const passed = answers.filter((a) => !a.isBlocked);
    expect(passed).toHaveLength(10);
    expect(passed.map((a) => a.totalHits).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  });

  it('loads its script again when Redis has forgotten it', async () => {
    const client = randomUUID();
    expect((await hit(storage, client)).totalHits).toBe(1);
    expect(await redis.command('SCRIPT', 'FLUSH')).toBe('OK');
    expect((await hit(storage, client)).totalHits).toBe(2);
  });

  it('rejects while Redis is away (for the guard to answer 503), and counts afresh once it is back', async () => {
    const client = randomUUID();
    expect((await hit(storage, client)).totalHits).toBe(1);
    expect((await hit(storage, client)).totalHits).toBe(2);
    expect(await redis.command('SET', `survivor-${client}`, 'kept')).toBe('OK');
    await redis.kill(); // kill -9: what the AOF holds is all a restart has
    await expect(hit(storage, client)).rejects.toThrow();
    await redis.start();
    const again = await until(
      'the storage to count again',
      () => hit(storage, client).catch(() => undefined),
      (record) => record !== undefined,
      { withinMs: 10_000 },
    );
    // The restart forgot the count: the private Redis replays its AOF, but counts are never
    // written there (they are not worth an fsync on every request's way).
    expect(again.totalHits).toBe(1);
    // The AOF was replayed: a key written through it survived.
    expect(await redis.command('GET', `survivor-${client}`)).toBe('kept');
  });
});

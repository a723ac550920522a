import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PrivateRedis, redisCommand } from './redis.js';

// The fault tests of the distributed mode rest on this helper: if a hard restart lost an
// acknowledged write, or stop() left Redis answering, they would prove nothing.
describe('PrivateRedis (the tests’ own redis-server)', () => {
  const redis = new PrivateRedis();

  beforeAll(async () => {
    await redis.start();
  });

  afterAll(async () => {
    await redis.dispose();
  });

  it('keeps a write it acknowledged through a kill -9 and a restart on the same port', async () => {
    const url = redis.url;
    expect(await redis.command('SET', 'accepted-run', 'queued')).toBe('OK');

    await redis.restart({ hard: true });

    expect(redis.url).toBe(url);
    expect(await redis.command('GET', 'accepted-run')).toBe('queued');
  });

  it('answers nothing while frozen, and again once thawed', async () => {
    redis.freeze();
    try {
      await expect(redisCommand(redis.url, ['PING'], { timeoutMs: 300 })).rejects.toThrow(
        /did not answer/,
      );
    } finally {
      redis.thaw();
    }
    expect(await redis.command('PING')).toBe('PONG');
  });

  it('refuses connections once stopped, and has the data again after start()', async () => {
    await redis.stop();
    await expect(redis.command('PING')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await redis.start();
    expect(await redis.command('GET', 'accepted-run')).toBe('queued');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { logged } from '../support/logs.js';
import { PrivateRedis } from '../support/redis.js';
import { startService, type RunningService } from '../support/service.js';
import { until } from '../support/until.js';

/** Two clients, each its own API key, so each has a quota of its own. */
const KEY_A = 'alpha-key-0123456789abcdef';
const KEY_B = 'bravo-key-0123456789abcdef';

function run(service: RunningService, key: string) {
  return request(service.url).post('/run').set('X-API-Key', key).send({ code: 'print(1)' });
}

/**
 * With REDIS_URL set, RATE_LIMIT counts a client's runs across every API instance together:
 * two instances of the built service share one private Redis. The limiter fails closed while
 * Redis is away and recovers by itself when it returns.
 */
describe('a rate limit shared through Redis by two API instances', () => {
  const redis = new PrivateRedis();
  let instances: RunningService[] = [];

  beforeAll(async () => {
    await redis.start();
    const env = {
      REDIS_URL: redis.url,
      RATE_LIMIT: '5',
      RATE_LIMIT_WINDOW_MS: '60000',
      API_KEYS: `${KEY_A},${KEY_B}`,
      // Two services on one engine: one warm container each is plenty for these few runs.
      SANDBOX_POOL_SIZE: '1',
    };
    instances = await Promise.all([startService(env), startService(env)]);
  });

  afterAll(async () => {
    try {
      for (const service of instances) {
        expect(await service.leftovers()).toEqual([]);
        expect(await service.stop()).toBe(0);
      }
    } finally {
      for (const service of instances) await service.stop('SIGKILL');
      await redis.dispose();
    }
  });

  it('lets one client run exactly RATE_LIMIT programs across both instances, then answers 429', async () => {
    const [one, other] = instances;
    for (let n = 1; n <= 5; n++) {
      const response = await run(n % 2 === 1 ? one : other, KEY_A);
      expect({ n, status: response.status, output: response.body.output }).toEqual({
        n,
        status: 200,
        output: '1',
      });
      expect(response.headers['ratelimit-remaining']).toBe(String(5 - n));
    }

    for (const service of [other, one]) {
      const refused = await run(service, KEY_A);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.body.message).toBe(
        `rate limit of 5 runs per 60 s reached; retry in ${retryAfter} s`,
      );
    }

    // POST /runs draws on the same quota as POST /run.
    const submitted = await request(one.url)
      .post('/runs')
      .set('X-API-Key', KEY_A)
      .send({ code: 'print(1)' });
    expect(submitted.status).toBe(429);

    // Reading a run is never counted nor refused: an unknown id is a 404, not a 429.
    const read = await request(one.url)
      .get('/runs/00000000-0000-4000-8000-000000000000')
      .set('X-API-Key', KEY_A);
    expect(read.status).toBe(404);
    // Another client has its own quota, on either instance.
    expect((await run(other, KEY_B)).status).toBe(200);
  });

  it('answers 503 (fail closed, never 500) while Redis is away, and runs again once it is back', async () => {
    const [one, other] = instances;
    await redis.stop();
    for (const service of [one, other]) {
      const refused = await run(service, KEY_B);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body).toEqual({
        statusCode: 503,
        message: 'the rate limiter is unavailable, so runs are refused for now; retry shortly',
        error: 'Service Unavailable',
      });
      // Logged (asynchronously) as the limiter's failure.
      await until(
        'the refusal in the log',
        () => logged(service.logs(), { event: 'rate_limiter_unavailable' }),
        (entries) => entries.length > 0,
        { withinMs: 5000 },
      );
    }

    await redis.start();
    for (const service of [one, other]) {
      // The connection reconnects by itself (within about 2 s); until then, still 503.
      const response = await until(
        'the instance to run programs again after Redis came back',
        () => run(service, KEY_B),
        (r) => r.status !== 503,
        { withinMs: 15_000, everyMs: 200 },
      );
      expect({ status: response.status, output: response.body.output }).toEqual({
        status: 200,
        output: '1',
      });
    }
    // The restart began every window afresh (counts are not written to the AOF): the first
    // client, over its limit before, runs again.
    expect((await run(one, KEY_A)).status).toBe(200);
  });
});

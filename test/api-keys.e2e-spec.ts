import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { startService, type RunningService } from './support/service.js';

const KEY_A = 'alpha-key-0123456789abcdef';
const KEY_B = 'bravo-key-0123456789abcdef';
const PROGRAM = { code: 'print("with a key")' };

const MISSING = {
  statusCode: 401,
  message: 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
  error: 'Unauthorized',
};
const INVALID = { statusCode: 401, message: 'the API key is not valid', error: 'Unauthorized' };

describe('API keys (API_KEYS set)', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({ API_KEYS: `${KEY_A}, ${KEY_B}`, RATE_LIMIT: '4' });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
  });

  it('answers 401 without a key, with a bad key or with another scheme, and runs nothing', async () => {
    const cases: [Record<string, string>, object][] = [
      [{}, MISSING],
      [{ Authorization: `Basic ${KEY_A}` }, MISSING],
      [{ Authorization: `Bearer ${KEY_A}x` }, INVALID],
      [{ 'X-API-Key': KEY_A.slice(0, -1) }, INVALID],
    ];
    for (const [headers, body] of cases) {
      const response = await request(t.url).post('/run').set(headers).send(PROGRAM);
      expect({ headers, status: response.status, body: response.body }).toEqual({
        headers,
        status: 401,
        body,
      });
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
    expect(await t.leftovers()).toEqual([]);
  });

  it('rate-limits requests without a valid key by address, so keys cannot be guessed fast', async () => {
    // The four 401s above used this address's whole quota of 4.
    const response = await request(t.url).post('/run').send(PROGRAM);
    expect(response.status).toBe(429);
  });

  it('runs with a key in Authorization: Bearer or in X-API-Key', async () => {
    const bearer = await request(t.url)
      .post('/run')
      .set('Authorization', `Bearer ${KEY_A}`)
      .send(PROGRAM);
    expect(bearer.status).toBe(200);
    expect(bearer.body.output).toBe('with a key');
    const header = await request(t.url).post('/run').set('X-API-Key', KEY_B).send(PROGRAM);
    expect(header.status).toBe(200);
    expect(header.body.output).toBe('with a key');
  });

  it('gives each key its own quota, apart from its address', async () => {
    // KEY_A used 1 of 4 above; three more, then 429. KEY_B (used once) still has quota.
    const withA = () => request(t.url).post('/run').set('X-API-Key', KEY_A).send({});
    expect((await withA()).headers['ratelimit-remaining']).toBe('2');
    expect((await withA()).headers['ratelimit-remaining']).toBe('1');
    expect((await withA()).headers['ratelimit-remaining']).toBe('0');
    const refused = await withA();
    expect(refused.status).toBe(429);
    const withB = await request(t.url)
      .post('/run')
      .set('Authorization', `Bearer ${KEY_B}`)
      .send({});
    expect(withB.status).toBe(400);
    expect(withB.headers['ratelimit-remaining']).toBe('2');
  });

  it('keeps the page, the docs and health open without a key', async () => {
    for (const path of ['/', '/app.js', '/docs', '/docs-json', '/health/live']) {
      expect({ path, status: (await request(t.url).get(path)).status }).toEqual({
        path,
        status: 200,
      });
    }
  });
});

describe('API keys (API_KEYS unset)', () => {
  it('leaves POST /run open to anyone, whatever key headers are sent', async () => {
    const t = await startService({ API_KEYS: '' });
    try {
      for (const headers of [
        {},
        { Authorization: 'Bearer anything-at-all-here' },
        { 'X-API-Key': 'x' },
      ]) {
        const response = await request(t.url).post('/run').set(headers).send({ code: 'print(1)' });
        expect(response.status).toBe(200);
        expect(response.body.output).toBe('1');
      }
    } finally {
      expect(await t.stop()).toBe(0);
    }
  });

  it('refuses to start with a key shorter than 16 characters, without printing it', async () => {
    const error = await startService({ API_KEYS: 'short-secret' }).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toContain(
      'API_KEYS=<redacted>: key #1 is 12 characters; use at least 16',
    );
    expect(error?.message).not.toContain('short-secret');
  });
});

describe('API keys in the log', () => {
  it('writes no key, valid or not, in any header, whatever the answer', async () => {
    const valid = 'logged-key-never-0123456789';
    const invalid = 'guessed-key-never-0123456789';
    const proxy = 'proxy-secret-never-0123456789';
    const cookie = 'cookie-secret-never-0123456789';
    // The valid key's run, its two refused bodies and its last run count: 3 per window.
    const t = await startService({ API_KEYS: valid, RATE_LIMIT: '3' });
    try {
      const answers = [
        // A run, a refused key, a body the parser refuses, a validation error, a page, a 404...
        await request(t.url).post('/run').set('X-API-Key', valid).send(PROGRAM),
        await request(t.url).post('/run').set('X-API-Key', invalid).send(PROGRAM),
        await request(t.url)
          .post('/run')
          .set('Authorization', `Bearer ${valid}`)
          .set('Content-Type', 'application/json')
          .send('{"code": '),
        await request(t.url).post('/run').set('x-api-key', valid).send({}),
        await request(t.url)
          .get('/')
          .set('Proxy-Authorization', `Basic ${proxy}`)
          .set('Cookie', `session=${cookie}`)
          .set('X-API-Key', valid),
        await request(t.url).get('/no-such-page').set('X-API-Key', invalid),
        // ...and a run refused by the rate limit (the valid key's fourth counted request).
        await request(t.url).post('/run').set('X-API-Key', valid).send(PROGRAM),
      ];
      expect(answers.map((answer) => answer.status)).toEqual([
        200,
        401,
        400,
        400,
        200,
        expect.any(Number),
        429,
      ]);
      // The requests were logged (so the check below looked at something), their keys not.
      // A request's line is written once its answer has gone out: wait for the lines.
      const ids = answers.flatMap((answer) => answer.headers['x-request-id'] ?? []);
      const unlogged = () => ids.filter((id) => !t.logs().includes(`"reqId":"${id}"`));
      for (let attempt = 0; attempt < 50 && unlogged().length > 0; attempt++) await sleep(100);
      expect(unlogged()).toEqual([]);
      const logs = t.logs();
      for (const secret of [valid, invalid, proxy, cookie]) {
        expect({ secret, logged: logs.includes(secret) }).toEqual({ secret, logged: false });
      }
      expect(logs).toContain('"x-api-key":"[Redacted]"');
    } finally {
      expect(await t.leftovers()).toEqual([]);
      expect(await t.stop()).toBe(0);
    }
  });
});

import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { logged } from './support/logs.js';
import { startService, type RunningService } from './support/service.js';

/**
 * POST /run is rate-limited per client; nothing else is. Most requests here send `{}`: the
 * limiter counts a request before validation, so a 400 costs a run of quota without starting a
 * container, which keeps this suite fast.
 */
const EMPTY = {};

async function post(url: string, headers: Record<string, string> = {}) {
  return request(url).post('/run').set(headers).send(EMPTY);
}

/**
 * POST /run `{}` over a connection from `localAddress` (any 127.x address reaches the service on
 * 127.0.0.1), so one test can be both a proxy and a client connecting directly.
 */
function postFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/run`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(EMPTY));
  });
}

function expectRateLimitHeaders(
  response: { headers: Record<string, string> },
  limit: number,
  remaining: number,
) {
  expect(response.headers['ratelimit-limit']).toBe(String(limit));
  expect(response.headers['ratelimit-remaining']).toBe(String(remaining));
  expect(Number(response.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(0);
}

describe('rate limiting of POST /run', () => {
  const services: RunningService[] = [];
  async function start(env: Record<string, string>): Promise<RunningService> {
    const service = await startService(env);
    services.push(service);
    return service;
  }

  afterEach(async () => {
    for (const service of services.splice(0)) {
      expect(await service.leftovers()).toEqual([]);
      expect(await service.stop()).toBe(0);
    }
  });

  afterAll(async () => {
    for (const service of services) await service.stop('SIGKILL');
  });

  it('allows 30 runs a minute per client by default', async () => {
    // An empty RATE_LIMIT falls back to the default (startService raises it otherwise).
    const t = await start({ RATE_LIMIT: '', RATE_LIMIT_WINDOW_MS: '' });
    const first = await post(t.url);
    expect(first.status).toBe(400);
    expectRateLimitHeaders(first, 30, 29);
    expect(Number(first.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
    for (let i = 2; i <= 30; i++) expect((await post(t.url)).status).toBe(400);
    const refused = await post(t.url);
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(
      /^rate limit of 30 runs per 60 s reached; retry in \d+ s$/,
    );
  });

  it('answers over the limit with a 429, a JSON message, Retry-After and RateLimit headers', async () => {
    const t = await start({ RATE_LIMIT: '3', RATE_LIMIT_WINDOW_MS: '60000' });
    const ran = await request(t.url).post('/run').send({ code: 'print("counted")' });
    expect(ran.status).toBe(200);
    expect(ran.body.output).toBe('counted');
    expectRateLimitHeaders(ran, 3, 2);
    expectRateLimitHeaders(await post(t.url), 3, 1);
    expectRateLimitHeaders(await post(t.url), 3, 0);

    const refused = await request(t.url).post('/run').send({ code: 'print("not run")' });
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({
      statusCode: 429,
      message: `rate limit of 3 runs per 60 s reached; retry in ${retryAfter} s`,
      error: 'Too Many Requests',
    });
    expectRateLimitHeaders(refused, 3, 0);
    expect(refused.headers['ratelimit-reset']).toBe(String(retryAfter));
  });

  it('counts a run request as it arrives: one refused for its body (not JSON) counts too, on both paths', async () => {
    const t = await start({ RATE_LIMIT: '4', RATE_LIMIT_WINDOW_MS: '60000' });
    const garbled = await request(t.url)
      .post('/run')
      .set('content-type', 'application/json')
      .send('{"code": ');
    expect(garbled.status).toBe(400);
    const garbledRuns = await request(t.url)
      .post('/runs')
      .set('content-type', 'application/json')
      .send('{"code": ');
    expect(garbledRuns.status).toBe(400);
    expectRateLimitHeaders(await post(t.url), 4, 1);
    const submitted = await request(t.url).post('/runs').send({ code: 'print(1)' });
    expect(submitted.status).toBe(202);
    expectRateLimitHeaders(submitted, 4, 0);
    expect((await post(t.url)).status).toBe(429);
  });

  it('lets the page, the docs, health and static files through however often they are asked', async () => {
    const t = await start({ RATE_LIMIT: '1' });
    expect((await post(t.url)).status).toBe(400);
    expect((await post(t.url)).status).toBe(429);
    for (let round = 0; round < 3; round++) {
      for (const path of [
        '/',
        '/index.html',
        '/style.css',
        '/app.js',
        '/docs',
        '/docs-json',
        '/health/live',
      ]) {
        const response = await request(t.url).get(path);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
        expect(response.headers['ratelimit-limit']).toBeUndefined();
      }
    }
    // Still limited: the free requests did not reset anything either.
    expect((await post(t.url)).status).toBe(429);
  });

  it('gives the quota back when the window has passed', async () => {
    const t = await start({ RATE_LIMIT: '1', RATE_LIMIT_WINDOW_MS: '1500' });
    expect((await post(t.url)).status).toBe(400);
    const refused = await post(t.url);
    expect(refused.status).toBe(429);
    await sleep(Number(refused.headers['retry-after']) * 1000 + 250);
    const again = await post(t.url);
    expect(again.status).toBe(400);
    expectRateLimitHeaders(again, 1, 0);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set, so a spoofed header buys no quota', async () => {
    const t = await start({ RATE_LIMIT: '2' });
    expect((await post(t.url, { 'X-Forwarded-For': '198.51.100.1' })).status).toBe(400);
    expect((await post(t.url, { 'X-Forwarded-For': '198.51.100.2' })).status).toBe(400);
    for (const spoofed of ['198.51.100.3', '203.0.113.9, 198.51.100.4', '::1', 'unknown']) {
      const response = await post(t.url, { 'X-Forwarded-For': spoofed, 'X-Real-IP': spoofed });
      expect({ spoofed, status: response.status }).toEqual({ spoofed, status: 429 });
    }
  });

  it('with TRUST_PROXY=1 believes only the address the trusted proxy appended', async () => {
    const t = await start({ RATE_LIMIT: '2', TRUST_PROXY: '1', TRUST_PROXY_ADDRESSES: 'loopback' });
    // The proxy (this test, on loopback) appends the client it saw as the last entry.
    const client = (forged: string) => ({ 'X-Forwarded-For': `${forged}, 203.0.113.7` });
    expect((await post(t.url, client('10.0.0.1'))).status).toBe(400);
    expect((await post(t.url, client('10.0.0.2'))).status).toBe(400);
    // Whatever the client writes in front, it is still 203.0.113.7.
    expect((await post(t.url, client('10.0.0.3'))).status).toBe(429);
    // A different real client behind the proxy has its own quota.
    const other = await post(t.url, { 'X-Forwarded-For': '203.0.113.8' });
    expect(other.status).toBe(400);
    expectRateLimitHeaders(other, 2, 1);
  });

  it('with TRUST_PROXY=1, a client connecting directly (not from TRUST_PROXY_ADDRESSES) cannot choose its address', async () => {
    // The proxy connects from 127.0.0.1; the direct client from 127.0.0.2.
    const t = await start({
      RATE_LIMIT: '1',
      TRUST_PROXY: '1',
      TRUST_PROXY_ADDRESSES: '127.0.0.1',
    });
    const direct = (forwardedFor: string) =>
      postFrom('127.0.0.2', t.url, { 'X-Forwarded-For': forwardedFor });
    const viaProxy = (forwardedFor: string) =>
      postFrom('127.0.0.1', t.url, { 'X-Forwarded-For': forwardedFor });

    // Two different X-Forwarded-For values sent directly: one client, 127.0.0.2.
    expect((await direct('198.51.100.1')).status).toBe(400);
    const refused = await direct('198.51.100.2');
    expect(refused.status).toBe(429);
    expectRateLimitHeaders(refused, 1, 0);

    // Relayed by the proxy, each request is its forwarded client's: 198.51.100.1 was not
    // charged for the direct request that named it, and 198.51.100.3 has a quota of its own.
    expect((await viaProxy('198.51.100.1')).status).toBe(400);
    expect((await viaProxy('198.51.100.3')).status).toBe(400);
    expect((await viaProxy('198.51.100.3')).status).toBe(429);
  });

  it('refuses to start with a TRUST_PROXY hop count but no TRUST_PROXY_ADDRESSES', async () => {
    await expect(startService({ TRUST_PROXY: '1' })).rejects.toThrow(
      /service exited \(1\) before listening:[\s\S]*TRUST_PROXY="1": a hop count needs TRUST_PROXY_ADDRESSES/,
    );
  });

  it('with TRUST_PROXY naming addresses believes only those proxies', async () => {
    // The service trusts 10.0.0.1 as its proxy; this test connects from 127.0.0.1, so its
    // X-Forwarded-For is not believed.
    const t = await start({ RATE_LIMIT: '1', TRUST_PROXY: '10.0.0.1' });
    expect((await post(t.url, { 'X-Forwarded-For': '198.51.100.1' })).status).toBe(400);
    expect((await post(t.url, { 'X-Forwarded-For': '198.51.100.2' })).status).toBe(429);

    const viaLoopback = await start({ RATE_LIMIT: '1', TRUST_PROXY: '127.0.0.1/8,::1' });
    expect((await post(viaLoopback.url, { 'X-Forwarded-For': '198.51.100.1' })).status).toBe(400);
    expect((await post(viaLoopback.url, { 'X-Forwarded-For': '198.51.100.2' })).status).toBe(400);
    expect((await post(viaLoopback.url, { 'X-Forwarded-For': '198.51.100.2' })).status).toBe(429);
  });

  it.each(['true', '*', '0.0.0.0/0'])('refuses to start with TRUST_PROXY=%s', async (value) => {
    await expect(startService({ TRUST_PROXY: value })).rejects.toThrow(
      /service exited \(1\) before listening:[\s\S]*TRUST_PROXY=/,
    );
  });

  it('fails closed: when the limiter storage fails, runs are refused with a 503, never let through', async () => {
    const t = await start({ HARNESS_FAULTS: 'rate-limit-storage' });
    for (let i = 0; i < 3; i++) {
      const response = await request(t.url).post('/run').send({ code: 'print("must not run")' });
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.body).toEqual({
        statusCode: 503,
        message: 'the rate limiter is unavailable, so runs are refused for now; retry shortly',
        error: 'Service Unavailable',
      });
    }
    expect(await t.leftovers()).toEqual([]);
    expect(logged(t.logs(), { event: 'rate_limiter_unavailable' })).not.toEqual([]);
    // Everything that is not a run still works.
    expect((await request(t.url).get('/')).status).toBe(200);
    expect((await request(t.url).get('/health/live')).status).toBe(200);
  });
});

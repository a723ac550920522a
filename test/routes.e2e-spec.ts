import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startService, type RunningService } from './support/service.js';

/** The page and its assets, by name, with the type each is served as. */
const PAGE_FILES: [string, RegExp][] = [
  ['/', /^text\/html/],
  ['/index.html', /^text\/html/],
  ['/app.js', /^(text|application)\/javascript/],
  ['/style.css', /^text\/css/],
];

describe('what answers at which path', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService();
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
  });

  it('serves the page at / and its assets by name, to GET and HEAD', async () => {
    for (const [path, type] of PAGE_FILES) {
      const get = await request(t.url).get(path);
      expect({ path, status: get.status, type: get.headers['content-type'] }).toEqual({
        path,
        status: 200,
        type: expect.stringMatching(type),
      });
      const head = await request(t.url).head(path);
      expect({ path, status: head.status, length: head.headers['content-length'] }).toEqual({
        path,
        status: 200,
        length: get.headers['content-length'],
      });
    }
    expect((await request(t.url).get('/')).text).toContain('<title>Safe Code Executor');
  });

  it('answers any other path with the JSON 404, never the page', async () => {
    const unknown = [
      '/nonexistent',
      '/helth',
      '/health/nope',
      '/run/extra',
      '/docs-json/extra',
      '/index.htm',
      '/app.js/x',
      '/public/index.html',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/.env',
      '/favicon.ico',
    ];
    for (const path of unknown) {
      for (const method of ['get', 'head'] as const) {
        const response = await request(t.url)[method](path);
        expect({ path, method, status: response.status }).toEqual({ path, method, status: 404 });
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        if (method === 'get') {
          expect(response.body).toEqual({
            statusCode: 404,
            message: `Cannot GET ${path}`,
            error: 'Not Found',
          });
        }
      }
    }
  });

  it('keeps the API, the docs and health where they were', async () => {
    // GET /run is not a route: a 404 in the same JSON shape, not the page.
    const getRun = await request(t.url).get('/run');
    expect(getRun.status).toBe(404);
    expect(getRun.body).toEqual({
      statusCode: 404,
      message: 'Cannot GET /run',
      error: 'Not Found',
    });
    const run = await request(t.url).post('/run').send({ code: 'print(2 + 2)' });
    expect(run.status).toBe(200);
    expect(run.body.output).toBe('4');
    for (const [path, type] of [
      ['/docs', /^text\/html/],
      ['/docs-json', /^application\/json/],
      ['/health/live', /^application\/json/],
      ['/metrics', /^text\/plain/],
    ] as const) {
      const response = await request(t.url).get(path);
      expect({ path, status: response.status, type: response.headers['content-type'] }).toEqual({
        path,
        status: 200,
        type: expect.stringMatching(type),
      });
    }
    expect((await request(t.url).get('/docs')).text).toContain('swagger-ui');
  });
});

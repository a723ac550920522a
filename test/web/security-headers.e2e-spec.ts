import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { launchBrowser } from '../support/browser.js';
import { startService, type RunningService } from '../support/service.js';

/** Directives of a Content-Security-Policy header, by name. */
function directives(policy: string | undefined): Map<string, string> {
  const parsed = new Map<string, string>();
  for (const part of (policy ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) parsed.set(name, values.join(' '));
  }
  return parsed;
}

describe('security headers, and framing in a real browser', () => {
  let t: RunningService;
  let browser: Browser;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startService(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
  });

  it('sends a policy that forbids framing, X-Frame-Options and nosniff on every answer', async () => {
    const answers = [
      ['GET /', await request(t.url).get('/')],
      ['GET /app.js', await request(t.url).get('/app.js')],
      ['GET /style.css', await request(t.url).get('/style.css')],
      ['GET /docs', await request(t.url).get('/docs')],
      ['GET /docs/swagger-ui-init.js', await request(t.url).get('/docs/swagger-ui-init.js')],
      ['GET /docs-json', await request(t.url).get('/docs-json')],
      ['POST /run', await request(t.url).post('/run').send({})],
      [
        'POST /run refused by the body parser',
        await request(t.url)
          .post('/run')
          .set('Content-Type', 'application/json; charset=utf-7')
          .send('{"code":"print(1)"}'),
      ],
      ['GET /no-such-page', await request(t.url).get('/no-such-page')],
      ['GET /health/live', await request(t.url).get('/health/live')],
    ] as const;
    for (const [name, response] of answers) {
      const policy = directives(response.headers['content-security-policy']);
      expect({
        name,
        frameAncestors: policy.get('frame-ancestors'),
        frameOptions: response.headers['x-frame-options'],
        nosniff: response.headers['x-content-type-options'],
      }).toEqual({ name, frameAncestors: "'none'", frameOptions: 'DENY', nosniff: 'nosniff' });
    }
    // The page's scripts come from this server only: no inline or evaluated script.
    const page = directives(answers[0][1].headers['content-security-policy']);
    expect(page.get('script-src')).toBe("'self'");
    expect(page.get('object-src')).toBe("'none'");
    expect(page.get('base-uri')).toBe("'none'");
    // Pictures a run returned are shown from blob: URLs the page makes; nothing else is loosened.
    expect(page.get('img-src')).toBe("'self' data: blob:");
    expect(page.get('default-src')).toBe("'self'");
    expect(page.get('connect-src')).toBe("'self'");
    // One policy, in the header: a second one in a meta tag would only drift from it.
    expect(answers[0][1].text).not.toContain('http-equiv="Content-Security-Policy"');
  });

  it('is not shown in a frame of another site: neither the page nor /docs', async () => {
    // Another origin on the loopback (a port of its own), so the browser's rules for local
    // addresses do not stand in for the service's own refusal.
    const framer = createServer((request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(
        request.url === '/inner'
          ? '<!doctype html><title>inner</title><p>framed fine</p>'
          : `<!doctype html><title>framer</title>
            <iframe name="control" src="/inner"></iframe>
            <iframe name="page" src="${t.url}/"></iframe>
            <iframe name="docs" src="${t.url}/docs"></iframe>`,
      );
    });
    framer.listen(0, '127.0.0.1');
    await once(framer, 'listening');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const refusals: string[] = [];
      page.on('console', (message) => {
        if (message.text().includes('frame-ancestors')) refusals.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`);
      await page.waitForLoadState('load');
      const shown = async (name: string) =>
        (await page.frame({ name })?.evaluate('document.documentElement.outerHTML'))?.toString() ??
        '';
      // The control frame shows: framing as such works in this browser.
      expect(await shown('control')).toContain('framed fine');
      for (const name of ['page', 'docs']) {
        // A refused frame holds the browser's own error page, not the service's document.
        const html = await shown(name).catch(() => '');
        expect({ name, shows: /Safe Code Executor|swagger-ui/.test(html) }).toEqual({
          name,
          shows: false,
        });
      }
      expect(refusals).toHaveLength(2);
    } finally {
      await context.close();
      framer.close();
    }
  });
});

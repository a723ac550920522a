import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage } from '../support/browser.js';
import { startService, type RunningService } from '../support/service.js';

const OPERATION = '#operations-execution-ExecutionController_run';
const RUN_WAIT_MS = 30_000;

/** Expands POST /run, presses "Try it out" then "Execute", and returns the status and body shown. */
async function tryItOut(page: Page): Promise<{ status: string; body: string }> {
  const operation = page.locator(OPERATION);
  if ((await operation.locator('.try-out__btn').count()) === 0) {
    await operation.locator('.opblock-summary-control').click();
  }
  const tryOut = operation.locator('.try-out__btn');
  if ((await tryOut.innerText()).trim() === 'Try it out') await tryOut.click();
  // The example body from the OpenAPI document is pre-filled; run it as a user would.
  expect(await operation.locator('textarea.body-param__text').inputValue()).toContain(
    'print(2 + 2)',
  );
  await operation.locator('button.execute').click();
  const status = operation.locator('.live-responses-table tbody td.response-col_status');
  await status.waitFor({ timeout: RUN_WAIT_MS });
  const body = operation
    .locator('.live-responses-table tbody .response-col_description pre')
    .first();
  const result = { status: (await status.innerText()).trim(), body: await body.innerText() };
  // Clear, so a second Execute shows a fresh answer.
  await operation.locator('button.btn-clear').click();
  return result;
}

describe('Swagger UI at /docs in a real browser', () => {
  let browser: Browser;
  const services: RunningService[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    for (const service of services) {
      expect(await service.leftovers()).toEqual([]);
      expect(await service.stop()).toBe(0);
    }
  });

  it('loads from this server alone and runs POST /run with "Try it out" to a 200', async () => {
    const service = await startService();
    services.push(service);
    const opened = await openPage(browser, `${service.url}/docs`);
    const { page } = opened;
    await page.waitForSelector(OPERATION);
    expect(await page.locator('.info .title').innerText()).toContain('Safe Code Executor');

    const answer = await tryItOut(page);
    expect(answer.status).toBe('200');
    expect(JSON.parse(answer.body)).toMatchObject({ output: '4', status: 'success', exitCode: 0 });
    // Every documented answer is listed with the operation.
    const rows = await page
      .locator(`${OPERATION} .responses-table:not(.live-responses-table) > tbody > tr.response`)
      .all();
    const documented = await Promise.all(rows.map((row) => row.getAttribute('data-code')));
    expect(documented).toEqual(['200', '400', '401', '413', '415', '429', '503']);
    // Swagger UI's scripts, styles and fonts all came from this server: it works offline.
    expect(opened.foreignRequests).toEqual([]);
    expect(opened.pageErrors).toEqual([]);
  });

  it('sends the API key entered with Authorize', async () => {
    const key = 'swagger-test-key-0123456789';
    const service = await startService({ API_KEYS: key });
    services.push(service);
    const opened = await openPage(browser, `${service.url}/docs`);
    const { page } = opened;
    await page.waitForSelector(OPERATION);

    const refused = await tryItOut(page);
    expect(refused.status).toBe('401');
    expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 401, error: 'Unauthorized' });

    await page.locator('.scheme-container button.authorize').click();
    const bearer = page.locator('.modal-ux .auth-container').first();
    await bearer.locator('input').fill(key);
    await bearer.locator('button.authorize').click();
    await page.locator('.modal-ux button.close-modal').click();

    const answer = await tryItOut(page);
    expect(answer.status).toBe('200');
    expect(JSON.parse(answer.body)).toMatchObject({ output: '4', status: 'success' });
    expect(opened.foreignRequests).toEqual([]);
  });
});

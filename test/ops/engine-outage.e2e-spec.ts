import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import request from 'supertest';
import { CONTAINER_LABELS } from '../../src/sandbox/container-labels.js';
import { startService, type RunningService } from '../support/service.js';
import { PrivateEngine } from '../support/private-engine.js';
import { post } from '../support/ops.js';
import { until } from '../support/until.js';

const IMAGE = process.env.SANDBOX_IMAGE || 'safe-code-executor-python:3.11';

/**
 * Engine outages on an engine of the test's own (never the shared one): stopped, then frozen.
 * The service must answer 503 quickly with a clear message, report itself not ready, and
 * recover on its own when the engine is back.
 */
describe('Docker engine outages', () => {
  const engine = new PrivateEngine();
  let t: RunningService;
  /** The shared engine's default bridge, as it was before the private engine started. */
  let bridgeBefore = false;

  beforeAll(async () => {
    bridgeBefore = existsSync('/sys/class/net/docker0');
    await engine.start();
    await engine.ensureImage(IMAGE);
    t = await startService({ DOCKER_HOST: engine.dockerHost, ENGINE_TIMEOUT_MS: '2000' });
  }, 180_000);

  afterAll(async () => {
    if (t) expect(await t.stop()).toBe(0);
    const left = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${CONTAINER_LABELS.managed}=true`] },
    });
    await engine.stop();
    expect(left).toEqual([]);
  }, 60_000);

  async function expectRunsAgain(): Promise<void> {
    await until('ready again', async () => (await request(t.url).get('/health')).status === 200);
    const again = await post(t.url, 'print(6 * 7)');
    expect(again.status).toBe(200);
    expect(again.body.output).toBe('42');
  }

  it("leaves the host's network alone: the shared engine keeps its bridge", () => {
    expect(existsSync('/sys/class/net/docker0')).toBe(bridgeBefore);
  });

  it('answers 503 with "engine unavailable" while the engine is stopped, and recovers by itself', async () => {
    expect((await post(t.url, 'print(1)')).status).toBe(200);
    await request(t.url).get('/health').expect(200);

    await engine.stop();
    const down = await post(t.url, 'print(1)');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.body.message).toMatch(/^The Docker engine is unavailable/);
    const health = await request(t.url).get('/health').expect(503);
    expect(health.body.details.engine.status).toBe('down');
    await request(t.url).get('/health/live').expect(200);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/sce_run_rejections_total\{reason="engine_unavailable"\} [1-9]/);

    await engine.start();
    await expectRunsAgain();
  });

  it('answers 503 within its engine timeout when the engine hangs, and recovers when it wakes', async () => {
    engine.freeze();
    try {
      const hung = await post(t.url, 'print(1)');
      expect(hung.status).toBe(503);
      expect(hung.body.message).toMatch(/^The Docker engine is unavailable/);
      await request(t.url).get('/health').expect(503);
    } finally {
      engine.thaw();
    }
    await expectRunsAgain();
  });
});

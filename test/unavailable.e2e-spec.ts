import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { containersOfRequest, post } from './support/ops.js';
import { until } from './support/until.js';
import { docker, startService, type RunningService } from './support/service.js';

describe('when programs cannot run', () => {
  describe('the sandbox image is missing', () => {
    let t: RunningService;
    beforeAll(async () => {
      t = await startService({ SANDBOX_IMAGE: 'safe-code-executor-missing:never' });
    });
    afterAll(async () => {
      expect(await t.stop()).toBe(0);
    });

    it('answers POST /run with 503, Retry-After and how to fix it', async () => {
      const response = await request(t.url).post('/run').send({ code: 'print(1)' }).expect(503);
      expect(response.headers['retry-after']).toBe('30');
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message:
          'The sandbox image "safe-code-executor-missing:never" is missing on the Docker engine. Build it with: npm run sandbox:build',
      });
      expect(await t.leftovers()).toEqual([]);
    });

    it('reports the missing image on /health with 503', async () => {
      const response = await request(t.url).get('/health').expect(503);
      expect(response.body.details.engine.status).toBe('up');
      expect(response.body.details.image.status).toBe('down');
    });
  });

  describe('the Docker engine cannot be reached', () => {
    let t: RunningService;
    beforeAll(async () => {
      t = await startService({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    });
    afterAll(async () => {
      expect(await t.stop()).toBe(0);
    });

    it('answers POST /run with 503, Retry-After and what to do', async () => {
      const response = await request(t.url).post('/run').send({ code: 'print(1)' }).expect(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(String(response.body.message)).toMatch(
        /^The Docker engine is unavailable \(.+\)\. Start Docker or point DOCKER_HOST at a running engine\.$/,
      );
    });

    it('turns /health to 503 while liveness stays 200', async () => {
      const health = await request(t.url).get('/health').expect(503);
      expect(health.body.details.engine.status).toBe('down');
      await request(t.url).get('/health/live').expect(200, { status: 'ok' });
    });
  });

  describe('the container is removed from outside while its program runs', () => {
    let t: RunningService;
    beforeAll(async () => {
      t = await startService();
    });
    afterAll(async () => {
      const leftovers = await t.leftovers();
      expect(await t.stop()).toBe(0);
      expect(leftovers).toEqual([]);
    });

    it('answers 503 saying so, never a 500, and stays healthy', async () => {
      const answer = post(t.url, 'print("started", flush=True)\nwhile True: pass', 'lost-1');
      const victim = await until(
        'the program runs',
        async () =>
          (await containersOfRequest('lost-1', t.logs())).find((c) => c.State === 'running')?.Id,
        (id) => id !== undefined,
      );
      await docker.getContainer(victim).remove({ force: true });
      const response = await answer;
      // A forced removal kills first: if the service reads the exit before the container is
      // gone, the program is reported killed (137); if after, the run is lost and said so.
      if (response.status === 200) {
        expect(response.body).toMatchObject({ status: 'runtime_error', exitCode: 137 });
      } else {
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('1');
        expect(String(response.body.message)).toMatch(
          /^The sandbox container [0-9a-f]{12} was removed by something outside the service while the program ran; run it again\.$/,
        );
      }
      await request(t.url).get('/health').expect(200);
      const next = await request(t.url).post('/run').send({ code: 'print(2 + 2)' }).expect(200);
      expect(next.body.output).toBe('4');
    });
  });

  it('refuses to start when its engine lacks the image and SANDBOX_IMAGE_ARCHIVE cannot be read', async () => {
    await expect(
      startService({
        SANDBOX_IMAGE: 'sce-missing-image:none',
        SANDBOX_IMAGE_ARCHIVE: '/nonexistent/sandbox-image.tar',
      }),
    ).rejects.toThrow(
      /exited \(1\) before listening:[\s\S]*SANDBOX_IMAGE_ARCHIVE: cannot read \/nonexistent\/sandbox-image\.tar/,
    );
  });

  it('refuses to start with an invalid setting and names it', async () => {
    await expect(startService({ SANDBOX_MEMORY_MB: 'lots' })).rejects.toThrow(
      /exited \(1\) before listening:[\s\S]*SANDBOX_MEMORY_MB="lots"/,
    );
  });
});

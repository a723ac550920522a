import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { logged } from './support/logs.js';
import { LOOP } from './support/ops.js';
import { startService, type RunningService } from './support/service.js';
import { until } from './support/until.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Reads a run until `done` says it is what the test waits for. */
function runOnceItIs(url: string, id: string, done: (body: { status: string }) => boolean) {
  return until(
    `run ${id} to change`,
    async () => (await request(url).get(`/runs/${id}`).expect(200)).body as { status: string },
    done,
    { withinMs: 30_000, everyMs: 50 },
  );
}

const ended = (body: { status: string }) => !['queued', 'running'].includes(body.status);

describe('runs as jobs (POST /runs, GET and DELETE /runs/{id}), embedded', () => {
  let t: RunningService;

  beforeAll(async () => {
    // One slot, so that a second run waits in the queue.
    t = await startService({ SANDBOX_MAX_CONCURRENT: '1', SANDBOX_TIMEOUT_MS: '20000' });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
    expect(await t.containers()).toEqual([]);
  });

  it('accepts a run (202, Location), runs it, and keeps exactly what POST /run answers', async () => {
    const accepted = await request(t.url)
      .post('/runs')
      .send({ code: 'import sys\nprint(sys.stdin.read() * 2)', stdin: 'ab' })
      .expect(202);
    const { id } = accepted.body as { id: string };
    expect(id).toMatch(UUID_V4);
    expect(accepted.headers.location).toBe(`/runs/${id}`);
    expect(accepted.body).toMatchObject({ id, status: 'queued', attempts: 0 });

    const run = await runOnceItIs(t.url, id, ended);
    expect(run).toMatchObject({
      id,
      status: 'success',
      attempts: 1,
      result: { output: 'abab', stdout: 'abab\n', stderr: '', exitCode: 0, status: 'success' },
    });
    const { createdAt, startedAt, finishedAt } = run as unknown as Record<string, string>;
    expect(Date.parse(createdAt)).toBeLessThanOrEqual(Date.parse(startedAt));
    expect(Date.parse(startedAt)).toBeLessThanOrEqual(Date.parse(finishedAt));
    expect(Object.keys(run).sort()).toEqual(
      ['attempts', 'createdAt', 'finishedAt', 'id', 'result', 'startedAt', 'status'].sort(),
    );
  });

  it('answers 404 for a run that does not exist, whatever the id looks like', async () => {
    const unknown = await request(t.url).get('/runs/9d4c8f3e-8b7a-4c6d-9e5f-1a2b3c4d5e6f');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/No run/);
    await request(t.url).get('/runs/not-a-run').expect(404);
    await request(t.url).delete('/runs/9d4c8f3e-8b7a-4c6d-9e5f-1a2b3c4d5e6f').expect(404);
  });

  it('refuses a bad body as POST /run does, and a callback while callbacks are off', async () => {
    const missing = await request(t.url).post('/runs').send({}).expect(400);
    expect(JSON.stringify(missing.body.message)).toMatch(/code/);
    const callback = await request(t.url)
      .post('/runs')
      .send({ code: 'print(1)', callbackUrl: 'https://example.com/hook' })
      .expect(400);
    expect(callback.body.message).toMatch(/CALLBACK_SECRET/);
  });

  it('cancels a running run (killed, nothing left) and a queued one (never starts)', async () => {
    const running = (await request(t.url).post('/runs').send({ code: LOOP }).expect(202)).body
      .id as string;
    await runOnceItIs(t.url, running, (run) => run.status === 'running');
    const queued = (await request(t.url).post('/runs').send({ code: 'print("never")' }).expect(202))
      .body.id as string;
    expect((await request(t.url).get(`/runs/${queued}`).expect(200)).body.status).toBe('queued');

    const cancelledQueued = await request(t.url).delete(`/runs/${queued}`).expect(200);
    expect(cancelledQueued.body).toMatchObject({ id: queued, status: 'cancelled' });
    const cancelledRunning = await request(t.url).delete(`/runs/${running}`).expect(200);
    expect(cancelledRunning.body).toMatchObject({ id: running, status: 'cancelled' });

    // The loop's container goes at once; the queued run never started.
    expect(await t.leftovers()).toEqual([]);
    expect(await runOnceItIs(t.url, running, ended)).toMatchObject({ status: 'cancelled' });
    expect((await request(t.url).get(`/runs/${queued}`).expect(200)).body).toMatchObject({
      status: 'cancelled',
      attempts: 0,
    });
    expect(logged(t.logs(), { event: 'run_started', runId: queued })).toEqual([]);
    // Cancelling again, or a run that ended, leaves it as it is.
    expect((await request(t.url).delete(`/runs/${running}`).expect(200)).body.status).toBe(
      'cancelled',
    );
  });
});

describe('runs with API keys', () => {
  let t: RunningService;
  beforeAll(async () => {
    t = await startService({ API_KEYS: 'key-of-alice-0123456789,key-of-bob-0123456789' });
  });
  afterAll(async () => {
    expect(await t.stop()).toBe(0);
  });

  it("shows a run only to the key that made it: 404 for another key's, 401 without a key", async () => {
    const alice = { Authorization: 'Bearer key-of-alice-0123456789' };
    const bob = { Authorization: 'Bearer key-of-bob-0123456789' };
    const id = (
      await request(t.url).post('/runs').set(alice).send({ code: 'print(7)' }).expect(202)
    ).body.id as string;
    await request(t.url).get(`/runs/${id}`).set(bob).expect(404);
    await request(t.url).delete(`/runs/${id}`).set(bob).expect(404);
    await request(t.url).get(`/runs/${id}`).expect(401);
    const run = await until(
      'the run to end',
      async () =>
        (await request(t.url).get(`/runs/${id}`).set(alice).expect(200)).body as { status: string },
      ended,
    );
    expect(run).toMatchObject({ status: 'success', result: { output: '7' } });
  });
});

describe('runs that end: expiry, and callbacks', () => {
  const SECRET = 'callback-secret-for-tests';
  let t: RunningService;
  let receiver: http.Server;
  let receiverUrl: string;
  const received: { body: string; signature: string | undefined; delivery: string | undefined }[] =
    [];
  /** Status codes the receiver answers, in turn (then 200). */
  const answers: number[] = [];

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({
          body,
          signature: req.headers['x-sce-signature-256'] as string | undefined,
          delivery: req.headers['x-sce-delivery'] as string | undefined,
        });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    // On every address, so a callback the guard wrongly let through to `localhost` would land
    // here too; only 127.0.0.2 is allowed.
    await new Promise<void>((resolve) => receiver.listen(0, '0.0.0.0', resolve));
    receiverUrl = `http://127.0.0.2:${(receiver.address() as AddressInfo).port}/hook`;
    t = await startService({
      RUN_RESULT_TTL_S: '2',
      CALLBACK_SECRET: SECRET,
      CALLBACK_ALLOWED_HOSTS: '127.0.0.2',
      CALLBACK_BACKOFF_MS: '200',
    });
  });

  afterAll(async () => {
    expect(await t.stop()).toBe(0);
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('posts the ended run to its callback, signed, after retrying a failed try', async () => {
    answers.push(503);
    const id = (
      await request(t.url)
        .post('/runs')
        .send({ code: 'print("called back")', callbackUrl: receiverUrl })
        .expect(202)
    ).body.id as string;
    await until(
      'two tries',
      () => received.length,
      (n) => n >= 2,
      { withinMs: 20_000 },
    );
    const [first, second] = received;
    expect(second.body).toBe(first.body);
    expect(second.delivery).toBe(first.delivery);
    const body = JSON.parse(second.body) as Record<string, unknown>;
    expect(body).toMatchObject({ id, status: 'success', result: { output: 'called back' } });
    expect(second.signature).toBe(
      `sha256=${createHmac('sha256', SECRET).update(second.body).digest('hex')}`,
    );
    const [delivered] = await until(
      'the delivery to be logged',
      () => logged(t.logs(), { event: 'callback_delivered', runId: id }),
      (entries) => entries.length > 0,
    );
    expect(delivered).toBeDefined();
  });

  it('refuses a callback to a forbidden address at once, and never calls one a name leads to', async () => {
    const metadata = await request(t.url)
      .post('/runs')
      .send({ code: 'print(1)', callbackUrl: 'http://169.254.169.254/latest/meta-data/' })
      .expect(400);
    expect(JSON.stringify(metadata.body.message)).toMatch(/callbackUrl/);

    // `localhost` is a name: accepted, then refused when it resolves to 127.0.0.1 (loopback,
    // not allowed), without a connection.
    const before = received.length;
    const id = (
      await request(t.url)
        .post('/runs')
        .send({ code: 'print(1)', callbackUrl: `http://localhost:${new URL(receiverUrl).port}/` })
        .expect(202)
    ).body.id as string;
    const [gaveUp] = await until(
      'the refusal to be logged',
      () => logged(t.logs(), { event: 'callback_gave_up', runId: id }),
      (entries) => entries.length > 0,
      { withinMs: 20_000 },
    );
    expect(gaveUp).toMatchObject({ attempt: 1, why: 'permanent failure' });
    expect(String(gaveUp.reason)).toMatch(/loopback/);
    expect(received.length).toBe(before);
  });

  it('forgets an ended run after RUN_RESULT_TTL_S', async () => {
    const id = (await request(t.url).post('/runs').send({ code: 'print(1)' }).expect(202)).body
      .id as string;
    await runOnceItIs(t.url, id, ended);
    await until(
      'the run to expire',
      async () => (await request(t.url).get(`/runs/${id}`)).status,
      (status) => status === 404,
      { withinMs: 10_000, everyMs: 250 },
    );
  });
});

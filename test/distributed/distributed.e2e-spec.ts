import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { CONTAINER_LABELS } from '../../src/sandbox/container-labels.js';
import { logged } from '../support/logs.js';
import { joinedOutput, openEventStream, openInteractive, untilStdout } from '../support/live.js';
import { LOOP } from '../support/ops.js';
import { PrivateEngine } from '../support/private-engine.js';
import { PrivateRedis } from '../support/redis.js';
import { containersOf, startService, type RunningService } from '../support/service.js';
import { until } from '../support/until.js';

const IMAGE = process.env.SANDBOX_IMAGE || 'safe-code-executor-python:3.11';
const EXPORT_SCRIPT = join(import.meta.dirname, '..', '..', 'dist', 'scripts', 'sandbox-image.js');
const ARCHIVE = join(mkdtempSync(join(tmpdir(), 'sce-dist-image-')), 'sandbox-image.tar');
const ALICE = { Authorization: 'Bearer alice-key-0123456789' };
const CALLBACK_SECRET = 'distributed-callback-secret';
const BOB = { Authorization: 'Bearer bob-key-0123456789' };

interface RunBody {
  id: string;
  status: string;
  attempts: number;
  result?: { output: string; status: string };
  error?: { code: string; message: string };
}

const ended = (run: RunBody) => !['queued', 'running', 'unavailable'].includes(run.status);

/**
 * Several hosts on one machine: Redis, a second Docker engine beside the shared one, a worker on
 * each engine and two API instances that have no engine at all.
 */
describe('distributed: two APIs and two workers on two engines, through Redis', () => {
  const redis = new PrivateRedis();
  const engine2 = new PrivateEngine('sce-dist-test');
  let workerA: RunningService;
  let workerB: RunningService;
  let api1: RunningService;
  let api2: RunningService;
  const started: RunningService[] = [];
  /** Callbacks received: on every address, but only 127.0.0.2 is allowed. */
  const received: { body: string; signature?: string }[] = [];
  const answers: number[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ body, signature: req.headers['x-sce-signature-256'] as string | undefined });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });

  async function start(env: Record<string, string>): Promise<RunningService> {
    const service = await startService({
      REDIS_URL: redis.url,
      WORKER_LOCK_MS: '3000',
      SANDBOX_TIMEOUT_MS: '20000',
      WORKER_CONCURRENCY: '2',
      API_KEYS: 'alice-key-0123456789,bob-key-0123456789',
      // Workers send the callbacks of the runs they end; APIs those of runs they cancel.
      CALLBACK_SECRET,
      CALLBACK_ALLOWED_HOSTS: '127.0.0.2',
      CALLBACK_BACKOFF_MS: '200',
      ...env,
    });
    started.push(service);
    return service;
  }

  function submit(api: RunningService, code: string, key = ALICE) {
    return request(api.url).post('/runs').set(key).send({ code });
  }

  /** Submits a run that must be accepted; a refusal fails with its body. */
  async function accepted(api: RunningService, code: string): Promise<RunBody> {
    const answer = await submit(api, code);
    expect({ status: answer.status, body: answer.body as object }).toMatchObject({ status: 202 });
    return answer.body as RunBody;
  }

  async function runOnceItIs(
    api: RunningService,
    id: string,
    done: (run: RunBody) => boolean,
    withinMs = 30_000,
  ): Promise<RunBody> {
    return until(
      `run ${id}`,
      async () => {
        const answer = await request(api.url).get(`/runs/${id}`).set(ALICE);
        // 503 while Redis comes back; anything else but 200 is a failure.
        if (answer.status === 503) return { id, status: 'unavailable', attempts: 0 };
        expect(answer.status).toBe(200);
        return answer.body as RunBody;
      },
      done,
      { withinMs, everyMs: 100 },
    );
  }

  /** Which worker started the run (its `run_started` log line). */
  function workerOf(id: string): RunningService | undefined {
    return [workerA, workerB].find(
      (w) => logged(w.logs(), { event: 'run_started', runId: id }).length > 0,
    );
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '0.0.0.0', resolve));
    await redis.start();
    await engine2.start();
    // The second engine gets the image the way a new host does: worker B loads it at start
    // from an archive that `npm run sandbox:export` wrote from the first engine.
    await engine2.docker
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
    await promisify(execFile)(process.execPath, [EXPORT_SCRIPT, '--export', ARCHIVE]);
    workerA = await start({ ROLE: 'worker' });
    workerB = await start({
      ROLE: 'worker',
      DOCKER_HOST: engine2.dockerHost,
      SANDBOX_IMAGE_ARCHIVE: ARCHIVE,
    });
    // No engine: an API that tried to reach one would fail at this address.
    const noEngine = { ROLE: 'api', DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    api1 = await start(noEngine);
    api2 = await start(noEngine);
  }, 180_000);

  afterAll(async () => {
    for (const service of started.reverse()) await service.stop('SIGTERM');
    await engine2.stop();
    await redis.dispose();
    rmSync(dirname(ARCHIVE), { recursive: true, force: true });
    await new Promise((resolve) => receiver.close(resolve));
  }, 120_000);

  it('puts the image on a worker’s engine at start, from SANDBOX_IMAGE_ARCHIVE', async () => {
    expect(logged(workerB.logs(), { event: 'sandbox_image_loaded', image: IMAGE })).toHaveLength(1);
    expect(logged(workerA.logs(), { event: 'sandbox_image_loaded' })).toHaveLength(0);
    await engine2.docker.getImage(IMAGE).inspect();
  });

  it('reports Redis, the queue and both workers on /health of an API', async () => {
    const health = await until(
      'both workers to be connected',
      async () =>
        (await request(api1.url).get('/health')).body as {
          details?: { queue?: { workers?: string[] } };
        },
      (body) => (body.details?.queue?.workers?.length ?? 0) >= 2,
    );
    expect(health.details?.queue?.workers).toEqual(
      expect.arrayContaining([
        `${workerA.instanceId}@local-engine`,
        `${workerB.instanceId}@${engine2.dockerHost}`,
      ]),
    );
  });

  it('spreads runs over both engines; any API answers for any run', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const api = i % 2 ? api2 : api1;
      const answer = await submit(api, `import time\ntime.sleep(1)\nprint(${i})`).expect(202);
      ids.push((answer.body as RunBody).id);
    }
    for (const [i, id] of ids.entries()) {
      // Read from the API that did not take it.
      const run = await runOnceItIs(i % 2 ? api1 : api2, id, ended);
      expect(run).toMatchObject({ status: 'success', attempts: 1, result: { output: String(i) } });
    }
    const byWorker = ids.map((id) => workerOf(id));
    expect(byWorker).not.toContain(undefined);
    expect(byWorker.filter((w) => w === workerA).length).toBeGreaterThan(0);
    expect(byWorker.filter((w) => w === workerB).length).toBeGreaterThan(0);
  });

  it('shows the shared queue and the live workers on /metrics of an API, and its own runs on each worker', async () => {
    // A run reads as ended a moment before its worker tells BullMQ the job is done, so the
    // previous test's last job may still count as active: wait for the queue to settle.
    const api = await until(
      'the shared queue to be idle on /metrics',
      async () => (await request(api1.url).get('/metrics').set(ALICE).expect(200)).text,
      (text) => /^sce_shared_queue_active 0$/m.test(text),
    );
    expect(api).toContain(`sce_workers{worker="${workerA.instanceId}@local-engine"} 1`);
    expect(api).toContain(`sce_workers{worker="${workerB.instanceId}@${engine2.dockerHost}"} 1`);
    expect(api).toMatch(/^sce_shared_queue_waiting 0$/m);
    expect(api).toMatch(/^sce_shared_queue_active 0$/m);
    expect(api).toMatch(/^sce_shared_queue_limit \d+$/m);
    // Each worker ran some of the previous test's runs and says how long they waited.
    for (const worker of [workerA, workerB]) {
      const text = await until(
        'the worker to have no run in flight',
        async () => (await request(worker.url).get('/metrics').set(ALICE).expect(200)).text,
        (metrics) => /^sce_worker_runs_in_flight 0$/m.test(metrics),
      );
      const figure = (pattern: RegExp) => Number(pattern.exec(text)?.[1]);
      expect(figure(/^sce_runs_total\{status="success"\} (\d+)$/m)).toBeGreaterThan(0);
      expect(figure(/^sce_run_queue_wait_seconds_count (\d+)$/m)).toBeGreaterThan(0);
      expect(text).toMatch(/^sce_worker_runs_in_flight 0$/m);
      expect(text).toContain(`sce_instance_info{instance="${worker.instanceId}"} 1`);
    }
  });

  it('goes on with accepted runs while an API is killed and restarted; every API reads them', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await submit(api1, `import time\ntime.sleep(1)\nprint(${i})`).expect(202);
      ids.push((answer.body as RunBody).id);
    }
    expect(await api1.stop('SIGKILL')).toBeNull();
    for (const [i, id] of ids.entries()) {
      const run = await runOnceItIs(api2, id, ended);
      expect(run).toMatchObject({ status: 'success', result: { output: String(i) } });
    }
    api1 = await start({ ROLE: 'api', DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    for (const [i, id] of ids.entries()) {
      const run = await runOnceItIs(api1, id, ended);
      expect(run).toMatchObject({ status: 'success', result: { output: String(i) } });
    }
  });

  it('answers POST /run through the queue, as before', async () => {
    const answer = await request(api2.url)
      .post('/run')
      .set(BOB)
      .send({ code: 'print(2 + 2)' })
      .expect(200);
    expect(answer.body).toMatchObject({ output: '4', status: 'success', exitCode: 0 });
  });

  it('carries a run’s files, limits and language through the queue, and its out/ files back', async () => {
    const answer = await request(api1.url)
      .post('/run')
      .set(BOB)
      .send({
        language: 'py',
        code: 'import os, helper\nos.makedirs("out")\nopen("out/r.txt", "w").write(helper.word)\nprint(len(bytearray(150 * 2**20)))',
        files: [{ name: 'helper.py', content: 'word = "through Redis"' }],
        limits: { memoryMb: 256, timeoutMs: 4000 },
      })
      .expect(200);
    expect(answer.body).toMatchObject({
      status: 'success',
      output: String(150 * 2 ** 20),
      files: [{ name: 'r.txt', encoding: 'utf8', content: 'through Redis' }],
    });
  });

  it('streams a run’s output (SSE) from an API that did not take it, while a worker runs it', async () => {
    const { id } = await accepted(
      api1,
      'import time\nprint("first")\ntime.sleep(1)\nprint("second")',
    );
    const stream = await openEventStream(api2.url, `/runs/${id}/events`, ALICE);
    expect(stream.status).toBe(200);
    expect(await stream.next()).toMatchObject({ event: 'status', data: { status: 'running' } });
    await untilStdout(stream, 'first\n');
    // The first line came while the program still sleeps on its worker.
    expect(await runOnceItIs(api1, id, () => true)).toMatchObject({ status: 'running' });
    const all = await stream.ended;
    expect(joinedOutput(all)).toBe('first\nsecond\n');
    expect(all.at(-1)).toMatchObject({
      event: 'result',
      data: { id, status: 'success', result: { output: 'first\nsecond' } },
    });
    // A late follower, on the other API, gets the same stream from Redis; and can resume.
    expect(await (await openEventStream(api1.url, `/runs/${id}/events`, ALICE)).ended).toEqual(all);
    const resumed = await openEventStream(api1.url, `/runs/${id}/events`, {
      ...ALICE,
      'Last-Event-ID': all[1].id!,
    });
    expect(await resumed.ended).toEqual(all.slice(2));
  });

  it('keeps a fast printer’s output events whole and in order, all before its result', async () => {
    // Its last pieces are sent with its end, without waiting for the answers to earlier ones.
    const { id } = await accepted(
      api1,
      'import sys\nfor i in range(800):\n    sys.stdout.write(f"{i}\\n")\n    sys.stdout.flush()',
    );
    const events = await (await openEventStream(api2.url, `/runs/${id}/events`, ALICE)).ended;
    const expected = Array.from({ length: 800 }, (_, i) => `${i}\n`).join('');
    expect(joinedOutput(events)).toBe(expected);
    expect(events.filter((event) => event.event === 'result')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      event: 'result',
      data: { id, status: 'success', result: { stdout: expected } },
    });
  });

  it('runs an interactive program through Redis: the socket on an API, the program on a worker', async () => {
    const ws = await openInteractive(api2.url, ALICE);
    ws.send({ type: 'start', code: 'name = input("Name? ")\nprint("Hello, " + name + "!")' });
    const { id } = await ws.next('started');
    expect(await ws.next('stdout')).toMatchObject({ data: 'Name? ' });
    ws.send({ type: 'stdin', data: 'Ada\n' });
    expect(await ws.next('result')).toMatchObject({
      id,
      status: 'success',
      result: { stdout: 'Name? Hello, Ada!\n' },
    });
    expect(await ws.closed).toMatchObject({ code: 1000 });
    expect(workerOf(String(id))).toBeDefined();

    // Closing the socket kills the program on its worker.
    const left = await openInteractive(api1.url, ALICE);
    left.send({ type: 'start', code: 'print("up", flush=True)\nwhile True: pass' });
    const running = await left.next('started');
    await left.next('stdout');
    left.socket.close();
    expect(await runOnceItIs(api2, String(running.id), ended)).toMatchObject({
      status: 'cancelled',
    });
  });

  it('hides a run from another key (404), on every API', async () => {
    const id = ((await submit(api1, 'print(1)')).body as RunBody).id;
    await request(api1.url).get(`/runs/${id}`).set(BOB).expect(404);
    await request(api2.url).get(`/runs/${id}`).set(BOB).expect(404);
    await request(api2.url).delete(`/runs/${id}`).set(BOB).expect(404);
    await runOnceItIs(api2, id, ended);
  });

  it('cancels a running run (killed on its worker) and a queued one (never starts)', async () => {
    // Four slots in all (two workers, two each): four loops fill them, the fifth run waits.
    const loops: string[] = [];
    for (let i = 0; i < 4; i++) loops.push(((await submit(api1, LOOP)).body as RunBody).id);
    for (const id of loops) await runOnceItIs(api1, id, (run) => run.status === 'running');
    const queued = ((await submit(api2, 'print("never")')).body as RunBody).id;
    expect(
      ((await request(api2.url).get(`/runs/${queued}`).set(ALICE)).body as RunBody).status,
    ).toBe('queued');

    const cancelledQueued = await request(api2.url)
      .delete(`/runs/${queued}`)
      .set(ALICE)
      .expect(200);
    expect(cancelledQueued.body).toMatchObject({ status: 'cancelled' });
    for (const id of loops) {
      const cancelled = await request(api2.url).delete(`/runs/${id}`).set(ALICE).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    }
    // Every loop's container goes, on both engines.
    for (const worker of [workerA, workerB]) {
      await until(
        `${worker === workerA ? 'worker A' : 'worker B'}'s runs to be killed`,
        () =>
          loops.every((id) =>
            worker === workerOf(id)
              ? logged(worker.logs(), { event: 'run_finished', runId: id }).length > 0
              : true,
          ),
        Boolean,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(
      ((await request(api1.url).get(`/runs/${queued}`).set(ALICE)).body as RunBody).status,
    ).toBe('cancelled');
    expect(workerOf(queued)).toBeUndefined();
  });

  it('posts an ended run to its callback from the worker that ran it, signed, retried', async () => {
    answers.push(500);
    const url = `http://127.0.0.2:${(receiver.address() as AddressInfo).port}/hook`;
    const id = (
      (
        await request(api2.url)
          .post('/runs')
          .set(ALICE)
          .send({ code: 'print("hi")', callbackUrl: url })
      ).body as RunBody
    ).id;
    const tries = await until(
      'two tries of the callback',
      () => received.filter((r) => r.body.includes(id)),
      (list) => list.length >= 2,
      { withinMs: 20_000 },
    );
    expect(JSON.parse(tries[1].body)).toMatchObject({
      id,
      status: 'success',
      result: { output: 'hi' },
    });
    expect(tries[1].signature).toBe(
      `sha256=${createHmac('sha256', CALLBACK_SECRET).update(tries[1].body).digest('hex')}`,
    );
  });

  it('refuses a run at once (503, Retry-After) when the shared queue is full', async () => {
    const small = await start({
      ROLE: 'api',
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      SANDBOX_QUEUE_LIMIT: '2',
    });
    // From an idle queue (the previous tests' runs all taken and ended on the workers).
    await until(
      'the shared queue to be idle',
      async () =>
        (
          (await request(small.url).get('/health')).body as {
            details?: { queue?: { waiting?: number; active?: number } };
          }
        ).details?.queue,
      (queue) => queue?.waiting === 0 && queue.active === 0,
    );
    // One at a time: a run counts as waiting until a worker takes it.
    const loops: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { id } = await accepted(small, LOOP);
      await runOnceItIs(small, id, (run) => run.status === 'running');
      loops.push(id);
    }
    const waiting = [await accepted(small, 'print(1)'), await accepted(small, 'print(2)')];
    const refused = await submit(small, 'print(3)');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body.message).toMatch(/waiting for a worker \(the limit is 2\)/);
    for (const id of [...waiting.map((run) => run.id), ...loops]) {
      await request(small.url).delete(`/runs/${id}`).set(ALICE).expect(200);
    }
    for (const id of loops) await runOnceItIs(small, id, ended);
    await small.stop();
  });

  it('keeps every accepted run through a Redis restart, and answers 503 while it is away', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(
        (
          (await submit(i % 2 ? api1 : api2, `import time\ntime.sleep(0.5)\nprint(${i})`))
            .body as RunBody
        ).id,
      );
    }
    await redis.kill();
    const refused = await submit(api1, 'print(1)');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    await redis.start();
    for (const [i, id] of ids.entries()) {
      const run = await runOnceItIs(i % 2 ? api2 : api1, id, ended, 60_000);
      expect(run).toMatchObject({ status: 'success', result: { output: String(i) } });
    }
  });

  it('finishes a run whose worker was killed mid-run on the other worker, attempts 2', async () => {
    const id = (
      (await submit(api1, 'import time\ntime.sleep(4)\nprint("finished")')).body as RunBody
    ).id;
    await runOnceItIs(api1, id, (run) => run.status === 'running');
    // (Its log line may come a moment after the API shows the run running.)
    const doomed = await until(
      'the worker that runs it to log its start',
      () => Promise.resolve(workerOf(id)),
      (worker) => worker !== undefined,
    );
    const survivor = doomed === workerA ? workerB : workerA;
    expect(await doomed.stop('SIGKILL')).toBeNull();
    const run = await runOnceItIs(api2, id, ended, 60_000);
    expect(run).toMatchObject({ status: 'success', attempts: 2, result: { output: 'finished' } });
    expect(logged(survivor.logs(), { event: 'run_started', runId: id, attempt: 2 })).toHaveLength(
      1,
    );
    // Its events tell both starts, then the second attempt's output and the result.
    const events = await (await openEventStream(api2.url, `/runs/${id}/events`, ALICE)).ended;
    expect(events.filter((e) => e.event === 'status').map((e) => e.data)).toEqual([
      { status: 'running', attempt: 1 },
      { status: 'running', attempt: 2 },
    ]);
    expect(joinedOutput(events)).toBe('finished\n');
    expect(events.at(-1)).toMatchObject({ event: 'result', data: { attempts: 2 } });

    // The dead worker's containers are reaped on its engine by the next worker started there.
    const engine = doomed === workerA ? undefined : engine2;
    const leftBehind = () =>
      engine
        ? engine.docker.listContainers({
            all: true,
            filters: { label: [`${CONTAINER_LABELS.instance}=${doomed.instanceId}`] },
          })
        : containersOf(doomed.instanceId);
    expect((await leftBehind()).length).toBeGreaterThan(0);
    await start({
      ROLE: 'worker',
      INSTANCE_LEASE_MS: '3000',
      ...(engine ? { DOCKER_HOST: engine.dockerHost } : {}),
    });
    await until(
      'the dead worker’s containers to be reaped',
      leftBehind,
      (list) => list.length === 0,
      {
        withinMs: 60_000,
      },
    );
  });
});

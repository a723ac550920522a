import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import {
  joinedOutput,
  untilStdout,
  openEventStream,
  openInteractive,
  type ReceivedEvent,
} from './support/live.js';
import { LOOP } from './support/ops.js';
import { startService, type RunningService } from './support/service.js';
import { until } from './support/until.js';

/** Prints, sleeps a second, prints again: the first line must reach a follower before the end. */
const TWO_LINES = 'import time\nprint("first")\ntime.sleep(1)\nprint("second")';
const GREETER = 'name = input("Name? ")\nprint("Hello, " + name + "!")';

async function submit(url: string, code: string, headers: Record<string, string> = {}) {
  const answer = await request(url).post('/runs').set(headers).send({ code }).expect(202);
  return (answer.body as { id: string }).id;
}

describe('live output (SSE) and interactive runs (WebSocket), embedded', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({
      SANDBOX_OUTPUT_LIMIT_BYTES: '2048',
      MAX_STDIN_BYTES: '32',
      BODY_LIMIT_BYTES: '4096',
    });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
    expect(await t.containers()).toEqual([]);
  });

  it('streams a run’s events: its start, its first line while it still runs, then the rest and its result', async () => {
    const id = await submit(t.url, TWO_LINES);
    const stream = await openEventStream(t.url, `/runs/${id}/events`);
    expect(stream.status).toBe(200);
    expect(await stream.next()).toMatchObject({
      event: 'status',
      data: { status: 'running', attempt: 1 },
    });
    await untilStdout(stream, 'first\n');
    // The first line came while the program still sleeps: the run has not ended.
    const meanwhile = await request(t.url).get(`/runs/${id}`).expect(200);
    expect(meanwhile.body).toMatchObject({ status: 'running' });
    expect(stream.events.map((e) => e.event)).not.toContain('result');
    const all = await stream.ended;
    // (print writes its text and its newline apart: how output splits is the program's own.)
    expect(joinedOutput(all)).toBe('first\nsecond\n');
    expect(all.map((e) => e.event)).toEqual([
      'status',
      ...all.slice(1, -1).map(() => 'stdout'),
      'result',
    ]);
    expect(all.at(-1)!.data).toMatchObject({
      id,
      status: 'success',
      result: { output: 'first\nsecond', exitCode: 0 },
    });
    // Each event has an id of its own, so a client can resume from any of them.
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  });

  it('gives a late follower the whole stream; Last-Event-ID resumes after an event; nothing left is 204', async () => {
    const id = await submit(t.url, TWO_LINES);
    const live = await (await openEventStream(t.url, `/runs/${id}/events`)).ended;
    const late = await (await openEventStream(t.url, `/runs/${id}/events`)).ended;
    expect(late).toEqual(live);
    const resumed = await openEventStream(t.url, `/runs/${id}/events`, {
      'Last-Event-ID': live[1].id!,
    });
    expect(await resumed.ended).toEqual(live.slice(2));
    const query = await openEventStream(t.url, `/runs/${id}/events?lastEventId=${live[2].id}`);
    expect(await query.ended).toEqual(live.slice(3));
    const nothingLeft = await openEventStream(t.url, `/runs/${id}/events`, {
      'Last-Event-ID': live.at(-1)!.id!,
    });
    expect(nothingLeft.status).toBe(204);
    expect(await nothingLeft.ended).toEqual([]);
  });

  it('answers 404 for the events of an unknown run, and 426 for the WebSocket path without an upgrade', async () => {
    await request(t.url).get('/runs/00000000-0000-4000-8000-000000000000/events').expect(404);
    const plain = await request(t.url).get('/runs/interactive').expect(426);
    expect(plain.body.message).toMatch(/WebSocket/);
  });

  it('caps the stream as the result: the output limit applies to both alike', async () => {
    const id = await submit(t.url, 'print("x" * 100_000)');
    const events = await (await openEventStream(t.url, `/runs/${id}/events`)).ended;
    const result = events.at(-1)!.data as { result: { stdout: string; truncated: boolean } };
    expect(result.result.truncated).toBe(true);
    const streamed = joinedOutput(events);
    expect(Buffer.byteLength(streamed)).toBeLessThanOrEqual(2048);
    expect(streamed).toBe(result.result.stdout);
  });

  it('runs a program that reads input() as the client types it, and ends with its result', async () => {
    const ws = await openInteractive(t.url);
    ws.send({ type: 'start', code: GREETER });
    const started = await ws.next('started');
    expect(started.id).toEqual(expect.any(String));
    // The prompt arrives while the program waits for its line.
    expect(await ws.next('stdout')).toMatchObject({ data: 'Name? ' });
    ws.send({ type: 'stdin', data: 'Ada\n' });
    const result = await ws.next('result');
    expect(result).toMatchObject({
      id: started.id,
      status: 'success',
      result: { stdout: 'Name? Hello, Ada!\n', exitCode: 0 },
    });
    expect(joinedOutput(ws.messages)).toBe('Name? Hello, Ada!\n');
    expect(await ws.closed).toMatchObject({ code: 1000 });
    // The run is a run like any other.
    const run = await request(t.url)
      .get(`/runs/${String(started.id)}`)
      .expect(200);
    expect(run.body).toMatchObject({ status: 'success' });
  });

  it('ends input on stdin_close (the program reads end of file), and takes stdin up front too', async () => {
    const ws = await openInteractive(t.url);
    ws.send({ type: 'start', code: 'import sys\nprint(repr(sys.stdin.read()))', stdin: 'a\n' });
    await ws.next('started');
    ws.send({ type: 'stdin', data: 'b\n' });
    ws.send({ type: 'stdin_close' });
    expect(await ws.next('result')).toMatchObject({
      status: 'success',
      result: { stdout: "'a\\nb\\n'\n" },
    });
  });

  it('kills the run on "kill", and when the client closes the socket (its container is removed)', async () => {
    const killed = await openInteractive(t.url);
    killed.send({ type: 'start', code: LOOP });
    await killed.next('started');
    killed.send({ type: 'kill' });
    expect(await killed.next('result')).toMatchObject({ status: 'cancelled' });
    expect(await killed.closed).toMatchObject({ code: 1000 });

    const left = await openInteractive(t.url);
    left.send({ type: 'start', code: 'print("up", flush=True)\nwhile True: pass' });
    const { id } = await left.next('started');
    await left.next('stdout');
    expect((await t.leftoversNow()).length).toBeGreaterThan(0); // its container runs
    left.socket.close();
    const run = await until(
      'the run to end after its client left',
      async () => (await request(t.url).get(`/runs/${String(id)}`)).body as { status: string },
      (body) => body.status !== 'running',
    );
    expect(run.status).toBe('cancelled');
    expect(await t.leftovers()).toEqual([]);
  });

  it('refuses bad first messages with an error, then closes (4000 + status)', async () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /JSON object/],
      [{ type: 'stdin', data: 'x' }, /first message must be/],
      [{ type: 'start' }, /code must be a string/],
      [{ type: 'start', code: '' }, /code must not be empty/],
      [{ type: 'start', code: 'print(1)', extra: 1 }, /property extra should not exist/],
      [{ type: 'start', code: 'print(1)', stdin: 'x'.repeat(33) }, /stdin/],
    ];
    for (const [message, pattern] of cases) {
      const ws = await openInteractive(t.url);
      ws.send(typeof message === 'string' ? message : JSON.stringify(message));
      const error = await ws.next('error');
      expect(error).toMatchObject({ statusCode: 400 });
      expect(String(error.message)).toMatch(pattern);
      expect(await ws.closed).toMatchObject({ code: 4400 });
    }
  });

  it('holds stdin to MAX_STDIN_BYTES per run (the run goes on), and frames to BODY_LIMIT_BYTES', async () => {
    const ws = await openInteractive(t.url);
    ws.send({ type: 'start', code: GREETER, stdin: 'x'.repeat(20) });
    await ws.next('started');
    ws.send({ type: 'stdin', data: 'y'.repeat(20) });
    const error = await ws.next('error');
    expect(error).toMatchObject({ statusCode: 400 });
    expect(String(error.message)).toMatch(/limited to 32 bytes/);
    ws.send({ type: 'stdin', data: '\n' });
    expect(await ws.next('result')).toMatchObject({
      status: 'success',
      result: { stdout: `Name? Hello, ${'x'.repeat(20)}!\n` },
    });

    const big = await openInteractive(t.url);
    big.send({ type: 'start', code: `# ${'x'.repeat(5000)}` });
    expect(await big.closed).toMatchObject({ code: 1009 });
  });
});

describe('live output and interactive runs with API keys, a rate limit and a cap on live connections', () => {
  const KEY_A = 'live-key-a-0123456789abcdef';
  const KEY_B = 'live-key-b-0123456789abcdef';
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({
      API_KEYS: `${KEY_A},${KEY_B}`,
      RATE_LIMIT: '3',
      LIVE_STREAMS_PER_CLIENT: '1',
    });
  });

  afterAll(async () => {
    expect(await t.stop()).toBe(0);
    expect(await t.containers()).toEqual([]);
  });

  it('needs a key (header or first message); another key’s run has no events (404)', async () => {
    const anonymous = await openInteractive(t.url);
    anonymous.send({ type: 'start', code: 'print(1)' });
    expect(await anonymous.next('error')).toMatchObject({ statusCode: 401 });
    expect(await anonymous.closed).toMatchObject({ code: 4401 });

    const keyed = await openInteractive(t.url);
    keyed.send({ type: 'start', code: 'print(1)', apiKey: KEY_A });
    const { id } = await keyed.next('started');
    expect(await keyed.next('result')).toMatchObject({ status: 'success' });

    const mine = await openEventStream(t.url, `/runs/${String(id)}/events`, {
      Authorization: `Bearer ${KEY_A}`,
    });
    expect(mine.status).toBe(200);
    expect((await mine.ended).at(-1)).toMatchObject({ event: 'result' });
    const theirs = await openEventStream(t.url, `/runs/${String(id)}/events`, {
      'X-API-Key': KEY_B,
    });
    expect(theirs.status).toBe(404);
  });

  it('caps live connections per client (429), and counts WebSocket runs in the rate limit with POST /run', async () => {
    const id = await submit(t.url, LOOP, { 'X-API-Key': KEY_B });
    const open = await openEventStream(t.url, `/runs/${id}/events`, { 'X-API-Key': KEY_B });
    expect(open.status).toBe(200);
    const metrics = await request(t.url).get('/metrics').set('X-API-Key', KEY_A).expect(200);
    expect(metrics.text).toMatch(/^sce_live_connections 1$/m);
    const second = await request(t.url)
      .get(`/runs/${id}/events`)
      .set('X-API-Key', KEY_B)
      .expect(429);
    expect(second.body.message).toMatch(/limit is 1/);
    // A socket counts from its connection: refused before it even starts a run.
    const socket = await openInteractive(t.url, { 'X-API-Key': KEY_B });
    expect(await socket.next('error')).toMatchObject({ statusCode: 429 });
    expect(await socket.closed).toMatchObject({ code: 4429 });
    await request(t.url).delete(`/runs/${id}`).set('X-API-Key', KEY_B).expect(200);
    const events: ReceivedEvent[] = await open.ended;
    expect(events.at(-1)).toMatchObject({ event: 'result', data: { status: 'cancelled' } });

    // KEY_B has used 1 of its 3 runs (POST /runs; the refused socket was refused on connecting,
    // before it could start one): two more by WebSocket, then the limit.
    for (const code of ['print(2)', 'print(3)']) {
      const socket = await openInteractive(t.url, { 'X-API-Key': KEY_B });
      socket.send({ type: 'start', code });
      expect(await socket.next('result')).toMatchObject({ status: 'success' });
    }
    const over = await openInteractive(t.url, { 'X-API-Key': KEY_B });
    over.send({ type: 'start', code: 'print(4)' });
    const refused = await over.next('error');
    expect(refused).toMatchObject({ statusCode: 429, retryAfter: expect.any(Number) });
    expect(await over.closed).toMatchObject({ code: 4429 });
    await request(t.url)
      .post('/run')
      .set('X-API-Key', KEY_B)
      .send({ code: 'print(5)' })
      .expect(429);
  });
});

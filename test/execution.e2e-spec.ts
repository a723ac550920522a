import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { docker, startService, type RunningService } from './support/service.js';
import { logged } from './support/logs.js';
import { runProgram } from './support/run.js';
import { until } from './support/until.js';
import { CONTAINER_LABELS } from '../src/sandbox/container-labels.js';

/** Defaults of the configuration, which this suite runs under. */
const TIMEOUT_MS = 5000;
const BODY_LIMIT_BYTES = 512 * 1024;

describe('POST /run on a real engine', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService();
  });

  afterAll(async () => {
    // Nothing this app created may be left on the engine, whatever the tests did: no used
    // container while it runs, and not even the pool's idle ones once it has stopped.
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
    expect(await t.containers()).toEqual([]);
  });

  it('runs the seed example of the original design', async () => {
    const response = await request(t.url).post('/run').send({ code: 'print(2 + 2)' }).expect(200);
    expect(response.body).toMatchObject({
      output: '4',
      stdout: '4\n',
      stderr: '',
      exitCode: 0,
      status: 'success',
      truncated: false,
    });
    expect(typeof response.body.durationMs).toBe('number');
  });

  it('keeps stdout and stderr apart and merges them in order in output', async () => {
    // Docker carries stdout and stderr through separate pipes, so output merges them in the
    // order they arrive; writes microseconds apart may swap (see docs/ARCHITECTURE.md).
    const result = await runProgram(
      t.url,
      'import sys, time\nprint("one")\ntime.sleep(0.05)\nprint("two", file=sys.stderr)\ntime.sleep(0.05)\nprint("three")',
    );
    expect(result.stdout).toBe('one\nthree\n');
    expect(result.stderr).toBe('two\n');
    expect(result.output).toBe('one\ntwo\nthree');
    expect(result.status).toBe('success');
  });

  it('reports the exit code of sys.exit as a runtime error', async () => {
    const result = await runProgram(t.url, 'import sys\nprint("bye")\nsys.exit(3)');
    expect(result).toMatchObject({ exitCode: 3, status: 'runtime_error', output: 'bye' });
  });

  it('reports an uncaught exception with its traceback', async () => {
    const result = await runProgram(t.url, 'print(1 / 0)');
    expect(result.status).toBe('runtime_error');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('ZeroDivisionError: division by zero');
    expect(result.stderr).toContain('line 1');
  });

  it('reports a syntax error', async () => {
    const result = await runProgram(t.url, 'print("unclosed"');
    expect(result.status).toBe('runtime_error');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('SyntaxError');
  });

  it('carries unicode both ways', async () => {
    const result = await runProgram(t.url, 'print("héllo wörld 😀 你好")\nprint(len("😀"))');
    expect(result.output).toBe('héllo wörld 😀 你好\n1');
  });

  it('feeds stdin to the program', async () => {
    const result = await runProgram(
      t.url,
      'import sys\na = int(input())\nb = int(input())\nprint(a + b)\nprint(repr(sys.stdin.read()))',
      '3\n4\nrest é\n',
    );
    expect(result.output).toBe("7\n'rest é\\n'");
  });

  it('gives the program an empty stdin when none is sent', async () => {
    const result = await runProgram(t.url, 'import sys\nprint(repr(sys.stdin.read()))');
    expect(result.output).toBe("''");
  });

  it.each([
    ['ASCII', '#'],
    ['astral (emoji)', '😀'],
  ])('accepts exactly 5000 %s characters and rejects 5001', async (_name, unit) => {
    const program = (n: number) => `#${unit.repeat(n - 1)}`;
    const ok = await runProgram(t.url, program(5000));
    expect(ok.status).toBe('success');
    const rejected = await request(t.url)
      .post('/run')
      .send({ code: program(5001) })
      .expect(400);
    expect(rejected.body).toEqual({
      statusCode: 400,
      message: 'code must be at most 5000 characters (got 5001)',
      error: 'Bad Request',
    });
  });

  it('kills a program at the time limit and removes its container', async () => {
    const started = Date.now();
    const result = await runProgram(t.url, 'print("started", flush=True)\nwhile True: pass');
    const elapsed = Date.now() - started;
    expect(result.status).toBe('timeout');
    expect(result.exitCode).toBeNull();
    expect(result.output).toBe('started');
    expect(result.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 3000);
    expect(await t.leftovers()).toEqual([]);
  });

  it('ends a program at the time limit by the launcher’s hand, not by waiting for the engine', async () => {
    // The launcher kills the program at the limit and reports it; the service answers from that
    // report. Before (issue 13, item 7), the service killed the container and then waited for
    // the engine's record of the exit and the attach stream's end: 0.8-1.1 s after the limit.
    const before = logged(t.logs(), { event: 'program_ended' }).length;
    const result = await runProgram(
      t.url,
      'import subprocess\nsubprocess.Popen(["sleep", "60"])\nwhile True: pass',
    );
    expect(result).toMatchObject({ status: 'timeout', exitCode: null });
    // pino writes asynchronously: the line may follow the answer by a moment.
    const ended = await until(
      'the log line of the program’s end',
      () => logged(t.logs(), { event: 'program_ended' }).slice(before),
      (entries) => entries.length > 0,
      { withinMs: 5000 },
    );
    expect(ended).toEqual([expect.objectContaining({ status: 'timeout', decidedBy: 'launcher' })]);
  });

  it('reports memory_exceeded from the engine OOM record for a memory bomb', async () => {
    const result = await runProgram(
      t.url,
      'blocks = []\nwhile True: blocks.append(bytearray(16 * 1024 * 1024))',
    );
    expect(result.status).toBe('memory_exceeded');
    expect(result.exitCode).toBeNull();
  });

  it('has no network', async () => {
    const result = await runProgram(
      t.url,
      [
        'import socket',
        'try:',
        '    socket.create_connection(("1.1.1.1", 53), timeout=2)',
        '    print("connected")',
        'except OSError as error:',
        '    print("blocked:", error.errno)',
      ].join('\n'),
    );
    expect(result.output).toMatch(/^blocked/);
  });

  it('rejects bad input with a 400 that names the field', async () => {
    const cases: [unknown, string][] = [
      [{}, 'code must be a string'],
      [{ code: '' }, 'code must not be empty'],
      [{ code: 42 }, 'code must be a string'],
      [{ code: 'print(1)', stdin: 7 }, 'stdin must be a string'],
      [{ code: 'print(1)', extra: true }, 'property extra should not exist'],
    ];
    for (const [body, message] of cases) {
      const response = await request(t.url)
        .post('/run')
        .send(body as object)
        .expect(400);
      expect(response.body).toEqual({ statusCode: 400, message, error: 'Bad Request' });
    }
  });

  it('rejects stdin over its limit', async () => {
    const response = await request(t.url)
      .post('/run')
      .send({ code: 'print(1)', stdin: 'x'.repeat(64 * 1024 + 1) })
      .expect(400);
    expect(response.body.message).toBe('stdin must be at most 65536 bytes of UTF-8 (got 65537)');
  });

  it('answers malformed JSON with a 400 and an oversized body with a 413', async () => {
    const malformed = await request(t.url)
      .post('/run')
      .set('content-type', 'application/json')
      .send('{"code": ')
      .expect(400);
    expect(malformed.body.message).toMatch(/^request body is not valid JSON/);
    const huge = await request(t.url)
      .post('/run')
      .send({ code: 'x'.repeat(BODY_LIMIT_BYTES) })
      .expect(413);
    expect(huge.body).toEqual({
      statusCode: 413,
      message: `request body must be at most ${BODY_LIMIT_BYTES} bytes`,
      error: 'Payload Too Large',
    });
  });

  it('leaves no container of the service behind', async () => {
    await t.leftovers(); // removals happen after the answer
    const leftovers = await docker.listContainers({
      all: true,
      filters: { label: [`${CONTAINER_LABELS.managed}=true`] },
    });
    const mine = leftovers.filter(
      (c) =>
        c.Labels[CONTAINER_LABELS.managed] &&
        c.Labels[CONTAINER_LABELS.instance] === t.instanceId &&
        // the pool's idle containers are waiting for the next programs, not left behind
        !(c.Labels[CONTAINER_LABELS.pool] && c.State === 'running'),
    );
    expect(mine).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import http from 'node:http';
import request from 'supertest';
import { CONTAINER_LABELS } from '../../src/sandbox/container-labels.js';
import { logged } from '../support/logs.js';
import { startService, type RunningService } from '../support/service.js';
import { LOOP, containersOfRequest, metric, post } from '../support/ops.js';
import { until } from '../support/until.js';

/**
 * Bounded load on a real engine: one run slot and one queue place, so the third concurrent
 * run is refused; health, metrics and logs are read while the service is saturated.
 */
describe('admission control, health, metrics and logs under load', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({
      SANDBOX_MAX_CONCURRENT: '1',
      SANDBOX_QUEUE_LIMIT: '1',
      SANDBOX_QUEUE_WAIT_MS: '30000',
      SANDBOX_TIMEOUT_MS: '4000',
    });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
  });

  it('refuses past the queue at once with 503 + Retry-After and stays healthy-answering', async () => {
    const secret = '# a distinctive comment that must never reach the logs 7f3a';
    const code = `${LOOP}  ${secret}`;
    const running = post(t.url, code, 'adm-running');
    await until(
      'the first loop runs',
      async () => (await containersOfRequest('adm-running', t.logs())).length === 1,
    );
    const queued = post(t.url, LOOP, 'adm-queued');
    await until(
      'the second loop waits',
      async () => (await metric(t.url, 'sce_queue_depth')) === 1,
    );

    const refused = await post(t.url, 'print(1)', 'adm-refused');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('4');
    expect(refused.body.message).toMatch(
      /^The service is busy: 1 programs are running and 1 are waiting/,
    );

    // Liveness and readiness answer while both slots are still taken (not after the loops).
    const live = await request(t.url).get('/health/live').expect(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await request(t.url).get('/health').expect(503);
    expect(ready.body.error.queue.message).toMatch(/^saturated: 1 running, 1 waiting/);
    expect(ready.body.details.engine.status).toBe('up');
    expect(ready.body.details.queue.status).toBe('down');
    expect(await metric(t.url, 'sce_runs_in_flight')).toBe(1);
    expect(await metric(t.url, 'sce_queue_depth')).toBe(1);

    // The running program's container (found through its request id) carries the instance id.
    const [container] = await containersOfRequest('adm-running', t.logs());
    expect(container.Labels[CONTAINER_LABELS.instance]).toBe(t.instanceId);

    expect((await running).body.status).toBe('timeout');
    expect((await queued).body.status).toBe('timeout');
    await request(t.url).get('/health').expect(200);

    expect(await metric(t.url, 'sce_runs_total', 'status="timeout"')).toBe(2);
    expect(await metric(t.url, 'sce_run_rejections_total', 'reason="queue_full"')).toBe(1);
    expect(await metric(t.url, 'sce_run_duration_seconds_count', 'status="timeout"')).toBe(2);
    expect(await metric(t.url, 'sce_run_duration_seconds_bucket', 'le="2",status="timeout"')).toBe(
      0,
    );
    expect(await metric(t.url, 'sce_run_duration_seconds_bucket', 'le="5",status="timeout"')).toBe(
      2,
    );

    // JSON logs: the request id on every line of the run, the code's length and hash, not its text.
    const requested = logged(t.logs(), { event: 'run_requested', reqId: 'adm-running' });
    expect(requested).toEqual([
      expect.objectContaining({
        codeLength: [...code].length,
        codeSha256: createHash('sha256').update(code).digest('hex'),
      }),
    ]);
    expect(logged(t.logs(), { event: 'run_finished', reqId: 'adm-running' })).toEqual([
      expect.objectContaining({ status: 'timeout' }),
    ]);
    expect(
      logged(t.logs(), { event: 'run_refused', reqId: 'adm-refused', reason: 'queue_full' }),
    ).toHaveLength(1);
    expect(t.logs()).not.toContain('distinctive comment');
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const kept = await request(t.url)
      .get('/health/live')
      .set('X-Request-Id', 'client-42')
      .expect(200);
    expect(kept.headers['x-request-id']).toBe('client-42');
    const replaced = await request(t.url)
      .get('/health/live')
      .set('X-Request-Id', 'bad id\twith "quotes"')
      .expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('kills the container of a client that hangs up mid-run', async () => {
    const requestId = 'adm-hangup';
    const body = JSON.stringify({ code: LOOP });
    const hangup = http.request(`${t.url}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    });
    hangup.on('error', () => undefined);
    hangup.end(body);
    await until('the loop runs', async () =>
      (await containersOfRequest(requestId, t.logs())).some((c) => c.State === 'running'),
    );
    hangup.destroy();
    // Without the hang-up the loop would hold its container for the 4 s limit, and the log
    // would say it ended in a timeout; instead it is killed and reported as the client gone.
    await until(
      'the container is gone',
      async () => (await containersOfRequest(requestId, t.logs())).length === 0,
    );
    const finished = await until(
      'the run is logged',
      () => logged(t.logs(), { event: 'run_finished', reqId: requestId }),
      (entries) => entries.length > 0,
    );
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ clientGone: true });
    expect(finished[0].status).not.toBe('timeout');
  });

  it('drops a queued run whose client hangs up, without ever creating its container', async () => {
    const running = post(t.url, LOOP, 'adm-holder');
    await until('the slot is taken', async () => (await metric(t.url, 'sce_runs_in_flight')) === 1);
    const hangup = http.request(`${t.url}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'adm-queued-hangup' },
    });
    hangup.on('error', () => undefined);
    hangup.end(JSON.stringify({ code: 'print("never")' }));
    await until('it waits', async () => (await metric(t.url, 'sce_queue_depth')) === 1);
    hangup.destroy();
    await until('it leaves the queue', async () => (await metric(t.url, 'sce_queue_depth')) === 0);
    expect(await metric(t.url, 'sce_run_rejections_total', 'reason="client_gone"')).toBe(1);
    expect((await running).body.status).toBe('timeout');
    expect(await containersOfRequest('adm-queued-hangup', t.logs())).toEqual([]);
  });
});

describe('queue wait limit', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService({
      SANDBOX_MAX_CONCURRENT: '1',
      SANDBOX_QUEUE_LIMIT: '5',
      SANDBOX_QUEUE_WAIT_MS: '500',
    });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
  });

  it('answers 503 when no slot frees up within the wait, while the slot is still taken', async () => {
    const running = post(t.url, LOOP, 'wait-running');
    await until('the loop runs', async () => (await metric(t.url, 'sce_runs_in_flight')) === 1);
    const waited = await post(t.url, 'print(1)', 'wait-waited');
    expect(waited.status).toBe(503);
    expect(waited.headers['retry-after']).toBe('5');
    expect(waited.body.message).toBe(
      'The service is busy: no slot became free within 500 ms. Retry later.',
    );
    expect(await metric(t.url, 'sce_runs_in_flight')).toBe(1);
    expect(await metric(t.url, 'sce_run_rejections_total', 'reason="queue_timeout"')).toBe(1);
    expect((await running).body.status).toBe('timeout');
  });
});

import { describe, expect, it } from '@jest/globals';
import { LEASE_LABELS } from '../../src/sandbox/container-labels.js';
import { docker, startService } from '../support/service.js';
import { LOOP, containersOfRequest, metric, post } from '../support/ops.js';
import { until } from '../support/until.js';

describe('shutdown on SIGTERM', () => {
  it('refuses new runs, finishes the runs in flight, removes its containers and lease, exits 0', async () => {
    const t = await startService({ SANDBOX_MAX_CONCURRENT: '1', SANDBOX_QUEUE_LIMIT: '5' });
    const inFlight = post(
      t.url,
      'import time\nprint("started", flush=True)\ntime.sleep(3)\nprint("finished")',
      'shut-in-flight',
    );
    await until('the run is in flight', async () =>
      (await containersOfRequest('shut-in-flight', t.logs())).some((c) => c.State === 'running'),
    );
    const queued = post(t.url, 'print("queued")', 'shut-queued');
    await until('the second run waits', async () => (await metric(t.url, 'sce_queue_depth')) === 1);

    const exited = t.stop('SIGTERM');
    // The queued run is refused at once; so is a new one, while the first still runs.
    const refusedQueued = await queued;
    expect(refusedQueued.status).toBe(503);
    expect(refusedQueued.body.message).toMatch(/shutting down/);
    const refusedNew = await post(t.url, 'print("too late")', 'shut-new');
    expect(refusedNew.status).toBe(503);
    expect(refusedNew.headers['retry-after']).toBeDefined();
    expect(refusedNew.body.message).toMatch(/shutting down/);
    expect(await containersOfRequest('shut-new', t.logs())).toEqual([]);

    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({ status: 'success', output: 'started\nfinished' });

    expect(await exited).toBe(0);
    expect(await t.containers()).toEqual([]);
    const leases = await docker.listVolumes({
      filters: { label: [`${LEASE_LABELS.instance}=${t.instanceId}`] },
    });
    expect(leases.Volumes ?? []).toEqual([]);
  });

  it('lets a run in flight go on up to its time limit, then exits 0 with nothing left', async () => {
    const t = await startService({ SANDBOX_TIMEOUT_MS: '3000' });
    const inFlight = post(t.url, LOOP, 'shut-loop');
    await until('the loop runs', async () =>
      (await containersOfRequest('shut-loop', t.logs())).some((c) => c.State === 'running'),
    );
    const exited = t.stop('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('timeout');
    expect(await exited).toBe(0);
    expect(await t.containers()).toEqual([]);
  });
});

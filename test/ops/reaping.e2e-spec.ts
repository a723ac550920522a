import { describe, expect, it } from '@jest/globals';
import { LEASE_LABELS } from '../../src/sandbox/container-labels.js';
import { logged } from '../support/logs.js';
import { containersOf, docker, startService } from '../support/service.js';
import { LOOP, post } from '../support/ops.js';
import { until } from '../support/until.js';

const LEASE_MS = 3000;

function leasesOf(instanceId: string) {
  return docker
    .listVolumes({ filters: { label: [`${LEASE_LABELS.instance}=${instanceId}`] } })
    .then((answer) => answer.Volumes ?? []);
}

describe('reaping after a crash (kill -9)', () => {
  it("the next start removes the dead instance's containers and only those", async () => {
    // The dead-to-be instance renews a short lease; the survivor renews rarely, so that only
    // the instance started after the crash can be the one that reaps.
    const doomed = await startService({
      INSTANCE_LEASE_MS: String(LEASE_MS),
      SANDBOX_TIMEOUT_MS: '120000',
    });
    const survivor = await startService({
      INSTANCE_LEASE_MS: '600000',
      SANDBOX_TIMEOUT_MS: '120000',
    });
    let next: Awaited<ReturnType<typeof startService>> | undefined;
    try {
      void post(doomed.url, LOOP, 'reap-doomed').catch(() => undefined);
      const surviving = post(
        survivor.url,
        'import time\ntime.sleep(20)\nprint("survived")',
        'reap-survivor',
      );
      await until('both run', async () =>
        [await containersOf(doomed.instanceId), await containersOf(survivor.instanceId)].every(
          (list) => list.some((c) => c.State === 'running'),
        ),
      );
      // Renewal writes the new lease before it drops the old one, so there may be two.
      expect((await leasesOf(doomed.instanceId)).length).toBeGreaterThanOrEqual(1);

      const survivorContainers = (await containersOf(survivor.instanceId)).map((c) => c.Id);
      expect(await doomed.stop('SIGKILL')).toBeNull();
      // The killed instance left its containers behind (its program's, still running, and its
      // warm pool's, whose launchers exit when their stdin closes) and its lease.
      const left = await containersOf(doomed.instanceId);
      expect(left.some((c) => c.State === 'running')).toBe(true);
      // Wait out the dead instance's lease (the survivor's stays valid throughout).
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 1500));

      next = await startService({ INSTANCE_LEASE_MS: String(LEASE_MS) });
      // Reaping happens before the new instance listens.
      expect(await containersOf(doomed.instanceId)).toEqual([]);
      expect(await leasesOf(doomed.instanceId)).toEqual([]);
      // (pino writes asynchronously: the log line may follow the listening line)
      // All of them, each for the dead instance (a container it was creating when killed
      // may have appeared since).
      const reaper = next;
      const [reaped] = await until(
        'the reaping is logged',
        () => logged(reaper.logs(), { event: 'containers_reaped' }),
        (entries) => entries.length > 0,
      );
      expect(reaped.byReason).toEqual({ dead_instance: reaped.removed });
      expect(reaped.removed).toBeGreaterThanOrEqual(left.length);
      // Every container of the live instance is still there.
      const survivorNow = (await containersOf(survivor.instanceId)).map((c) => c.Id);
      expect(survivorNow).toEqual(expect.arrayContaining(survivorContainers));

      const answer = await surviving;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'success', output: 'survived' });
    } finally {
      await doomed.stop('SIGKILL');
      expect(await survivor.stop()).toBe(0);
      if (next) expect(await next.stop()).toBe(0);
    }
    expect(await containersOf(survivor.instanceId)).toEqual([]);
    expect(await containersOf(doomed.instanceId)).toEqual([]);
  });

  it('a live instance also clears up after a crashed one, once its lease lapses', async () => {
    const watcher = await startService({ INSTANCE_LEASE_MS: String(LEASE_MS) });
    const doomed = await startService({
      INSTANCE_LEASE_MS: String(LEASE_MS),
      SANDBOX_TIMEOUT_MS: '120000',
    });
    try {
      void post(doomed.url, LOOP, 'reap-doomed-2').catch(() => undefined);
      await until('it runs', async () =>
        (await containersOf(doomed.instanceId)).some((c) => c.State === 'running'),
      );
      await doomed.stop('SIGKILL');
      await until(
        'the watcher reaps it',
        async () => (await containersOf(doomed.instanceId)).length === 0,
      );
      await until('the reaping of the dead instance is logged', () =>
        logged(watcher.logs(), { event: 'containers_reaped' }).some(
          (entry) => (entry.byReason as Record<string, number>).dead_instance > 0,
        ),
      );
    } finally {
      await doomed.stop('SIGKILL');
      expect(await watcher.stop()).toBe(0);
    }
  });
});

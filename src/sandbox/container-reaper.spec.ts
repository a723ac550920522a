import { describe, expect, it } from '@jest/globals';
import { loadAppConfig } from '../config/app-config.js';
import { CONTAINER_LABELS } from './container-labels.js';
import { ContainerReaper } from './container-reaper.js';
import type { ContainerEngine, ContainerSummary } from './engine/container-engine.js';
import type { InstanceIdentity } from './instance-identity.js';
import type { InstanceLease, LeaseStore } from './lease-store.js';
import { SANDBOX_CONFIG } from './sandbox.config.js';

const MAX_LIFETIME_LABEL = CONTAINER_LABELS.maxLifetimeMs;

const NOW = 1_000_000_000;
const LEASE_MS = 15_000;

/** In-memory engine and lease store: just enough for the reaper's rules. */
function world(containers: ContainerSummary[], leases: InstanceLease[], writtenAt = NOW) {
  const removed: string[] = [];
  const calls: string[] = [];
  const engine = {
    list: () => {
      calls.push('engine.list');
      return Promise.resolve(containers.filter((c) => !removed.includes(c.id)));
    },
    remove: (id: string) => {
      calls.push('engine.remove');
      removed.push(id);
      return Promise.resolve();
    },
  } as unknown as ContainerEngine;
  const store: LeaseStore = {
    write: (instanceId, durationMs) => {
      calls.push('leases.write');
      const lease = {
        name: `lease-${instanceId}-${leases.length}`,
        instanceId,
        durationMs,
        writtenAt,
      };
      leases.push(lease);
      return Promise.resolve(lease.name);
    },
    list: () => {
      calls.push('leases.list');
      return Promise.resolve([...leases]);
    },
    remove: (name) => {
      calls.push('leases.remove');
      leases.splice(leases.findIndex((l) => l.name === name) >>> 0, 1);
      return Promise.resolve();
    },
    now: () => {
      calls.push('leases.now');
      return Promise.resolve(NOW);
    },
  };
  const identity = { id: 'me' } as InstanceIdentity;
  const config = SANDBOX_CONFIG.from(loadAppConfig({ INSTANCE_LEASE_MS: String(LEASE_MS) }));
  return { reaper: new ContainerReaper(engine, store, identity, config), removed, leases, calls };
}

function container(
  id: string,
  instance: string,
  ageMs: number,
  labels: Record<string, string> = {},
) {
  return {
    id,
    state: 'running',
    createdAt: NOW - ageMs,
    labels: {
      [CONTAINER_LABELS.managed]: 'true',
      [CONTAINER_LABELS.instance]: instance,
      ...labels,
    },
  };
}

const lease = (instanceId: string, ageMs: number): InstanceLease => ({
  name: `lease-${instanceId}`,
  instanceId,
  durationMs: LEASE_MS,
  writtenAt: NOW - ageMs,
});

describe('ContainerReaper', () => {
  it("removes a dead instance's containers and keeps a live one's and its own", async () => {
    const { reaper, removed } = world(
      [
        container('dead-run', 'dead', 60_000),
        container('dead-pool', 'dead', 600_000, { 'safe-code-executor.pool': 'idle' }),
        container('live-pool', 'live', 600_000, { 'safe-code-executor.pool': 'idle' }),
        container('live-run', 'live', 2_000, { [MAX_LIFETIME_LABEL]: '65000' }),
        container('mine', 'me', 600_000),
      ],
      [lease('live', 5_000), lease('dead', 20_000)],
    );
    const reaped = await reaper.reap();
    expect(removed.sort()).toEqual(['dead-pool', 'dead-run']);
    expect(reaped.every((r) => r.reason === 'dead_instance')).toBe(true);
  });

  it('removes any container past its maximum lifetime, even of a live instance', async () => {
    const { reaper, removed } = world(
      [
        container('leaked', 'live', 70_000, { [MAX_LIFETIME_LABEL]: '65000' }),
        container('mine-leaked', 'me', 70_000, { [MAX_LIFETIME_LABEL]: '65000' }),
        container('young', 'live', 10_000, { [MAX_LIFETIME_LABEL]: '65000' }),
      ],
      [lease('live', 1_000)],
    );
    await reaper.reap();
    expect(removed.sort()).toEqual(['leaked', 'mine-leaked']);
  });

  it('never judges dead an instance that holds no lease record (starting, or an older version)', async () => {
    const { reaper, removed } = world(
      [container('new', 'starting', 3_000), container('old', 'lease-less', 600_000)],
      [],
    );
    await reaper.reap();
    expect(removed).toEqual([]);
  });

  it('drops the leases of dead instances and renews its own, keeping one', async () => {
    const { reaper, leases } = world([], [lease('dead', 20_000), lease('me', 1_000)]);
    await reaper.tick();
    expect(leases.map((l) => l.instanceId)).toEqual(['me']);
    expect(leases[0].writtenAt).toBe(NOW);
    expect(leases[0].name).not.toBe('lease-me');
  });

  it('renews and reaps in four engine calls, on the clock of its fresh lease', async () => {
    // The dead instance's lease lapsed 5 s before the fresh lease was written.
    const { reaper, removed, calls } = world(
      [container('dead-run', 'dead', 60_000)],
      [lease('dead', 20_000), lease('me', 1_000)],
    );
    await reaper.tick();
    expect(removed).toEqual(['dead-run']);
    expect(calls.filter((call) => call !== 'engine.remove')).toEqual([
      'leases.write',
      'leases.list',
      'leases.remove', // its own older lease
      'engine.list',
      'leases.remove', // the dead instance's, after its container
    ]);
  });

  it("asks the engine's clock when the fresh lease carries no time", async () => {
    const { reaper, removed, calls } = world(
      [container('dead-run', 'dead', 60_000)],
      [lease('dead', 20_000)],
      NaN,
    );
    await reaper.tick();
    expect(calls).toContain('leases.now');
    expect(removed).toEqual(['dead-run']);
  });
});

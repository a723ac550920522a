import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CONTAINER_LABELS } from './container-labels.js';
import { CONTAINER_ENGINE, type ContainerEngine } from './engine/container-engine.js';
import { InstanceIdentity } from './instance-identity.js';
import { LEASE_STORE, type InstanceLease, type LeaseStore } from './lease-store.js';
import { SANDBOX_CONFIG, type SandboxConfig } from './sandbox.config.js';

export type ReapReason = 'expired' | 'dead_instance';

/**
 * Removes containers nobody will ever remove otherwise, without touching those a live
 * instance still uses. Every instance holds a lease on the engine (LeaseStore) and renews it
 * three times per INSTANCE_LEASE_MS. A container is reaped when
 *  - it is older than its CONTAINER_LABELS.maxLifetimeMs, which every container carries (a
 *    run that leaked, for example because the engine went away while it ran), or
 *  - its instance is known dead: it held a lease and the lease has lapsed (the process was
 *    killed, or its host died). An instance with no lease record at all (one just starting,
 *    or an older version that keeps no lease) is never judged dead.
 * Runs at start-up (before the service listens) and then on every renewal, so any live
 * instance clears up after a dead one. See docs/OPERATIONS.md for the design.
 */
@Injectable()
export class ContainerReaper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ContainerReaper.name);
  private readonly leaseMs: number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(CONTAINER_ENGINE) private readonly engine: ContainerEngine,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    private readonly identity: InstanceIdentity,
    @Inject(SANDBOX_CONFIG.token) config: SandboxConfig,
  ) {
    this.leaseMs = config.INSTANCE_LEASE_MS;
  }

  private get instanceId(): string {
    return this.identity.id;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.floor(this.leaseMs / 3));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    // The sandbox removes this instance's containers on shutdown; the lease goes with them.
    await this.dropLeases(() => true).catch(() => undefined);
  }

  /** Renews this instance's lease, then reaps. Never throws: an engine outage is logged. */
  tick(): Promise<void> {
    if (this.ticking || this.stopped) return this.ticking ?? Promise.resolve();
    this.ticking = this.renewAndReap()
      .catch((error: unknown) => {
        this.logger.warn(`lease renewal or reaping failed: ${String(error)}`);
      })
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  /**
   * One renewal in four engine calls: write the fresh lease, list every lease (the fresh one's
   * creation time is the engine's clock now, to the second), drop this instance's older
   * leases, list the containers and reap.
   */
  private async renewAndReap(): Promise<void> {
    const freshName = await this.leases.write(this.instanceId, this.leaseMs);
    const listed = await this.leases.list();
    const writtenAt = listed.find((lease) => lease.name === freshName)?.writtenAt;
    const now =
      writtenAt !== undefined && Number.isFinite(writtenAt) ? writtenAt : await this.leases.now();
    const stale = await this.dropLeases((lease) => lease.name !== freshName, listed);
    const leases = listed.filter((lease) => !stale.includes(lease));
    const removed = await this.reap({ now, leases });
    if (removed.length > 0) {
      const counts = removed.reduce<Record<string, number>>((acc, r) => {
        acc[r.reason] = (acc[r.reason] ?? 0) + 1;
        return acc;
      }, {});
      this.logger.log(
        { event: 'containers_reaped', removed: removed.length, byReason: counts },
        `reaped ${removed.length} container(s): ${Object.entries(counts)
          .map(([reason, n]) => `${n} ${reason}`)
          .join(', ')}`,
      );
    }
  }

  /**
   * Removes the containers that are leaked or belong to dead instances; returns what it
   * removed. `known`: the engine's clock and the leases, when the caller has just read them.
   */
  async reap(known?: {
    now: number;
    leases: InstanceLease[];
  }): Promise<{ id: string; instanceId: string; reason: ReapReason }[]> {
    const [now, leases, containers] = await Promise.all([
      known?.now ?? this.leases.now(),
      known?.leases ?? this.leases.list(),
      this.engine.list({ [CONTAINER_LABELS.managed]: 'true' }),
    ]);
    // An instance is dead when it has lease records and none of them is still valid.
    const live = new Set([this.instanceId]);
    const leased = new Set<string>();
    for (const lease of leases) {
      leased.add(lease.instanceId);
      if (lease.writtenAt + lease.durationMs > now) live.add(lease.instanceId);
    }
    const dead = new Set([...leased].filter((id) => !live.has(id)));
    const doomed: { id: string; instanceId: string; reason: ReapReason }[] = [];
    for (const container of containers) {
      const instanceId = container.labels[CONTAINER_LABELS.instance] ?? '';
      const age = container.createdAt === undefined ? 0 : now - container.createdAt;
      const maxLifetime = Number(container.labels[CONTAINER_LABELS.maxLifetimeMs]);
      if (Number.isFinite(maxLifetime) && age > maxLifetime) {
        doomed.push({ id: container.id, instanceId, reason: 'expired' });
      } else if (dead.has(instanceId)) {
        doomed.push({ id: container.id, instanceId, reason: 'dead_instance' });
      }
    }
    await Promise.all(doomed.map((c) => this.engine.remove(c.id)));
    // A dead instance's lapsed lease goes only after its containers (it is what marks them).
    await Promise.all(
      leases.filter((l) => dead.has(l.instanceId)).map((l) => this.leases.remove(l.name)),
    );
    return doomed;
  }

  /** Removes this instance's leases that `which` picks, of `listed` (else of a fresh list); answers them. */
  private async dropLeases(
    which: (lease: InstanceLease) => boolean,
    listed?: InstanceLease[],
  ): Promise<InstanceLease[]> {
    const mine = (listed ?? (await this.leases.list())).filter(
      (l) => l.instanceId === this.instanceId && which(l),
    );
    await Promise.all(mine.map((l) => this.leases.remove(l.name)));
    return mine;
  }
}

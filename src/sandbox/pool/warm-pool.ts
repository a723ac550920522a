import { Logger } from '@nestjs/common';
import type { ContainerEngine, ContainerSpec } from '../engine/container-engine.js';
import type { InstanceIdentity } from '../instance-identity.js';
import { containerSpec, type SandboxPolicy } from '../sandbox-policy.js';
import type { ContainerDisposer } from './container-disposer.js';
import { prepareContainer, type ReadyContainer } from './ready-container.js';
import {
  DEFAULT_RETRY_DELAYS,
  describeError,
  InterruptibleSleep,
  type RetryDelays,
} from './retry.js';

/** Injection token of the pool's retry delays (unit tests make them short). */
export const POOL_RETRY_DELAYS = Symbol('POOL_RETRY_DELAYS');

/** What /metrics (or anyone) can read about the pool. */
export interface WarmPoolStats {
  /** Target number of idle containers (SANDBOX_POOL_SIZE(S)); 0 means the pool is off. */
  size: number;
  /** Started containers waiting for a program right now. */
  idle: number;
  /** Containers being created and started for the pool right now. */
  warming: number;
  /** Runs served by an idle container. */
  hits: number;
  /** Runs that found the pool empty and got a container made on the spot. */
  misses: number;
  /** Idle containers that died before receiving a program (engine restart, host OOM, killed from outside). */
  discarded: number;
  /** Containers whose removal is still in progress. */
  removing: number;
}

interface IdleContainer {
  container: ReadyContainer;
  dead: boolean;
}

/**
 * Keeps `size` containers of one runtime created, started and waiting for a program, so a run does
 * not wait for the engine to create and start one. Every container serves exactly one program
 * and is then removed (ContainerDisposer): nothing is ever reused between programs. The pool
 * refills one container at a time in the background (a refill never competes with more than
 * one engine create/start), keeps retrying with back-off while the engine is down, and replaces
 * idle containers that die.
 */
export class WarmPool {
  readonly language: string;
  readonly image: string;
  private readonly logger: Logger;
  private readonly idle: IdleContainer[] = [];
  private warming: Promise<void> | undefined;
  private readonly sleeper = new InterruptibleSleep();
  private hits = 0;
  private misses = 0;
  private discarded = 0;

  constructor(
    private readonly engine: ContainerEngine,
    private readonly disposer: ContainerDisposer,
    private readonly policy: SandboxPolicy,
    private readonly identity: InstanceIdentity,
    readonly size: number,
    private readonly delays: RetryDelays = DEFAULT_RETRY_DELAYS,
  ) {
    this.logger = new Logger(`${WarmPool.name}(${policy.language})`);
    this.language = policy.language;
    this.image = policy.image;
    // A container was used up: top the pool up (after the run's answer, not during its program).
    disposer.onDispose(() => this.refill());
  }

  /** Starts filling the pool in the background. */
  start(): void {
    this.refill();
  }

  /**
   * A started container waiting for its program: an idle one from the pool if there is one
   * (a hit), otherwise one made now with `onDemand` (a miss). Either way the caller owns it and
   * must hand it to the disposer when done.
   */
  async acquire(onDemand: ContainerSpec): Promise<ReadyContainer> {
    const idle = this.takeIdle();
    if (this.size > 0) {
      if (idle) this.hits++;
      else this.misses++;
    }
    // Creating and starting a container costs the engine (and the CPUs) several times what a
    // short program does; doing it while the program runs would slow that program down. So the
    // pool refills when the run's container is disposed of, unless it is now empty.
    if (this.idle.length === 0) this.refill();
    return idle ?? this.createOnDemand(onDemand);
  }

  /** A container made now, bypassing the pool (not counted as a miss). */
  createOnDemand(spec: ContainerSpec): Promise<ReadyContainer> {
    return prepareContainer(this.engine, this.disposer, spec, false);
  }

  /** Stops refilling and hands the idle containers to the disposer. */
  async close(): Promise<void> {
    this.sleeper.close();
    await this.warming;
    for (const entry of this.idle.splice(0)) {
      entry.container.stream.destroy();
      this.disposer.dispose(entry.container.id);
    }
  }

  stats(): WarmPoolStats {
    return {
      size: this.size,
      idle: this.idle.filter((entry) => !entry.dead).length,
      warming: this.warming ? 1 : 0,
      hits: this.hits,
      misses: this.misses,
      discarded: this.discarded,
      removing: this.disposer.pending,
    };
  }

  private takeIdle(): ReadyContainer | undefined {
    while (this.idle.length > 0) {
      const entry = this.idle.shift()!;
      if (!entry.dead) return entry.container;
    }
    return undefined;
  }

  /** Makes sure one background loop is topping the pool up (at most one create/start at a time). */
  private refill(): void {
    if (this.sleeper.isClosed || this.warming || this.idle.length >= this.size) return;
    this.warming = this.fill().finally(() => {
      this.warming = undefined;
      // A container may have been taken or found dead while the loop was finishing.
      this.refill();
    });
  }

  private async fill(): Promise<void> {
    let delay = this.delays.min;
    let failing = false;
    while (!this.sleeper.isClosed && this.idle.length < this.size) {
      try {
        const spec = containerSpec(this.policy, { labels: this.identity.labels, pooled: true });
        const container = await prepareContainer(this.engine, this.disposer, spec, true);
        if (failing) this.logger.log('container pool: the engine answers again; refilling');
        failing = false;
        delay = this.delays.min;
        if (this.sleeper.isClosed) {
          container.stream.destroy();
          this.disposer.dispose(container.id);
          return;
        }
        this.keepIdle(container);
      } catch (error) {
        if (!failing) {
          this.logger.warn(
            `container pool: could not prepare a container (${describeError(error)}); retrying with back-off`,
          );
        }
        failing = true;
        await this.sleeper.sleep(delay);
        delay = Math.min(delay * 2, this.delays.max);
      }
    }
  }

  private keepIdle(container: ReadyContainer): void {
    const entry: IdleContainer = { container, dead: false };
    this.idle.push(entry);
    // An idle container has no program yet, so any exit means it died (engine restart, host
    // OOM, killed from outside, removed by the reaper past its lifetime): it must never be
    // handed out. Settling of `exited` covers both a real exit and the engine dropping the
    // connection.
    const onDeath = () => {
      const index = this.idle.indexOf(entry);
      if (index === -1) return; // already handed out; the run sees the exit itself
      entry.dead = true;
      this.idle.splice(index, 1);
      this.discarded++;
      this.logger.warn(`container pool: idle container ${container.id} died; replacing it`);
      container.stream.destroy();
      this.disposer.dispose(container.id);
      this.refill();
    };
    container.exited.then(onDeath, onDeath);
  }
}

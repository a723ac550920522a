import type { ContainerCreateOptions } from 'dockerode';
import type { Duplex } from 'node:stream';
import type { ContainerEngine } from './engine/container-engine.js';
import { EngineUnavailableError } from './sandbox.errors.js';

/** Label put on the containers the pool creates ahead of time (labels cannot change later). */
export const POOL_LABEL = 'safe-code-executor.pool';
/**
 * Value of POOL_LABEL. It says "created ahead of time by the pool", not "idle right now": Docker
 * labels are fixed at creation, so a pooled container keeps it while it runs its one program.
 */
export const POOL_LABEL_VALUE = 'warm';

/**
 * A created and started container whose launcher is blocked reading its program from stdin.
 * Attached before start (the engine delivers a container's streams reliably only to attaches
 * made before it starts) and watched for its exit since before start.
 */
export interface ReadyContainer {
  readonly id: string;
  /** stdin in, multiplexed stdout and stderr out. */
  readonly stream: Duplex;
  /** Settles when the container exits (or the engine drops the connection). */
  readonly exited: Promise<void>;
  /** True when it was taken from the pool, false when it was made for the run that holds it. */
  readonly pooled: boolean;
}

/** What /metrics (or anyone) can read about the pool. */
export interface ContainerPoolStats {
  /** Target number of idle containers (SANDBOX_POOL_SIZE); 0 means the pool is off. */
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

export interface ContainerPoolOptions {
  /** How many started containers to keep waiting; 0 turns the pool off. */
  size: number;
  /** The create body of a pooled container (the full sandbox policy plus POOL_LABEL). */
  createOptions: () => ContainerCreateOptions;
  logger?: { log(message: string): void; warn(message: string): void };
  /** First and longest pause between retries while the engine fails (refill and removal). */
  retryDelayMs?: { min: number; max: number };
}

const DEFAULT_RETRY_DELAY_MS = { min: 250, max: 5000 };

interface IdleContainer {
  container: ReadyContainer;
  dead: boolean;
}

/**
 * Keeps `size` containers created, started and waiting for a program, so a run does not wait
 * for the engine to create and start one. Every container serves exactly one program and is
 * then removed: nothing is ever reused between programs. The pool refills one container at a
 * time in the background (a refill never competes with more than one engine create/start), keeps
 * retrying with back-off while the engine is down, and replaces idle containers that die.
 *
 * It also owns the removal of every container a run used, so removal can happen after the
 * answer is sent and still be awaited on shutdown.
 */
export class ContainerPool {
  private readonly idle: IdleContainer[] = [];
  private readonly removals = new Set<Promise<void>>();
  private warming: Promise<void> | undefined;
  private closed = false;
  private readonly wakeUps = new Set<() => void>();
  private hits = 0;
  private misses = 0;
  private discarded = 0;
  private readonly retryDelayMs: { min: number; max: number };

  constructor(
    private readonly engine: ContainerEngine,
    private readonly options: ContainerPoolOptions,
  ) {
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  }

  get size(): number {
    return this.options.size;
  }

  /** Starts filling the pool in the background. */
  start(): void {
    this.refill();
  }

  /**
   * A started container waiting for its program: an idle one from the pool if there is one
   * (a hit), otherwise one made now with `onDemandOptions` (a miss). Either way the caller owns
   * it and must hand it to `dispose` when done.
   */
  async acquire(onDemandOptions: ContainerCreateOptions): Promise<ReadyContainer> {
    const idle = this.takeIdle();
    if (this.size > 0) {
      if (idle) this.hits++;
      else this.misses++;
    }
    // Creating and starting a container costs the engine (and the CPUs) several times what a
    // short program does; doing it while the program runs would slow that program down. So the
    // pool refills when the run ends (see dispose), unless it is now empty.
    if (this.idle.length === 0) this.refill();
    return idle ?? this.createOnDemand(onDemandOptions);
  }

  /** A container made now, bypassing the pool (not counted as a miss). */
  createOnDemand(options: ContainerCreateOptions): Promise<ReadyContainer> {
    return this.prepare(options, false);
  }

  /**
   * Creates, attaches to and starts one container. The attach and the exit watch are made
   * before start; the launcher then blocks reading stdin, so the container waits without using
   * CPU. If a step fails the container is removed, with retries if the engine went away
   * between the steps (it would otherwise stay behind, created but never started).
   */
  private async prepare(options: ContainerCreateOptions, pooled: boolean): Promise<ReadyContainer> {
    const id = await this.engine.create(options);
    let stream: Duplex | undefined;
    try {
      stream = await this.engine.attach(id);
      stream.on('error', () => undefined); // a broken attach shows up as missing output, not a crash
      const exited = this.engine.waitForExit(id);
      exited.catch(() => undefined); // observed by whoever holds the container
      await this.engine.start(id);
      return { id, stream, exited, pooled };
    } catch (error) {
      stream?.destroy();
      this.dispose(id);
      throw error;
    }
  }

  /**
   * Removes a used (or dead) container in the background, retrying while the engine is
   * unreachable, and tops the pool up. Both start on the next turn of the event loop, after
   * the answer of the run that used the container has been written. `close` waits for every
   * removal started here.
   */
  dispose(id: string): void {
    const removal = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => {
        this.refill();
        return this.removeWithRetry(id);
      })
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
  }

  /** Stops refilling, removes the idle containers and waits for every removal in progress. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.wakeUps) wake();
    await this.warming;
    for (const entry of this.idle.splice(0)) {
      entry.container.stream.destroy();
      this.dispose(entry.container.id);
    }
    while (this.removals.size > 0) await Promise.all(this.removals);
  }

  stats(): ContainerPoolStats {
    return {
      size: this.size,
      idle: this.idle.filter((entry) => !entry.dead).length,
      warming: this.warming ? 1 : 0,
      hits: this.hits,
      misses: this.misses,
      discarded: this.discarded,
      removing: this.removals.size,
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
    if (this.closed || this.warming || this.idle.length >= this.size) return;
    this.warming = this.fill().finally(() => {
      this.warming = undefined;
      // A container may have been taken or found dead while the loop was finishing.
      this.refill();
    });
  }

  private async fill(): Promise<void> {
    let delay = this.retryDelayMs.min;
    let failing = false;
    while (!this.closed && this.idle.length < this.size) {
      try {
        const container = await this.prepare(this.options.createOptions(), true);
        if (failing)
          this.options.logger?.log('container pool: the engine answers again; refilling');
        failing = false;
        delay = this.retryDelayMs.min;
        if (this.closed) {
          container.stream.destroy();
          this.dispose(container.id);
          return;
        }
        this.keepIdle(container);
      } catch (error) {
        if (!failing) {
          this.options.logger?.warn(
            `container pool: could not prepare a container (${describeError(error)}); retrying with back-off`,
          );
        }
        failing = true;
        await this.pause(delay);
        delay = Math.min(delay * 2, this.retryDelayMs.max);
      }
    }
  }

  private keepIdle(container: ReadyContainer): void {
    const entry: IdleContainer = { container, dead: false };
    this.idle.push(entry);
    // An idle container has no program yet, so any exit means it died (engine restart, host
    // OOM, killed from outside): it must never be handed out. Settling of `exited` covers both
    // a real exit and the engine dropping the connection.
    const onDeath = () => {
      const index = this.idle.indexOf(entry);
      if (index === -1) return; // already handed out; the run sees the exit itself
      entry.dead = true;
      this.idle.splice(index, 1);
      this.discarded++;
      this.options.logger?.warn(
        `container pool: idle container ${container.id} died; replacing it`,
      );
      container.stream.destroy();
      this.dispose(container.id);
      this.refill();
    };
    container.exited.then(onDeath, onDeath);
  }

  private async removeWithRetry(id: string): Promise<void> {
    let delay = this.retryDelayMs.min;
    for (;;) {
      try {
        await this.engine.remove(id);
        return;
      } catch (error) {
        if (!(error instanceof EngineUnavailableError) || this.closed) {
          this.options.logger?.warn(`could not remove container ${id}: ${describeError(error)}`);
          return;
        }
        await this.pause(delay);
        delay = Math.min(delay * 2, this.retryDelayMs.max);
      }
    }
  }

  /** Sleeps, but wakes at once when the pool closes. */
  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeUps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeUps.add(wake);
    });
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

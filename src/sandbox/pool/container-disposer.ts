import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CONTAINER_ENGINE, type ContainerEngine } from '../engine/container-engine.js';
import { EngineUnavailableError } from '../sandbox.errors.js';
import {
  DEFAULT_RETRY_DELAYS,
  describeError,
  InterruptibleSleep,
  type RetryDelays,
} from './retry.js';

/**
 * Tries at a removal the engine refuses for another reason than being unreachable. Docker
 * 20.10 refuses a forced removal that races the container's own exit ("Could not kill running
 * container ..., cannot remove - Container ... is not running"); the next try succeeds. Past
 * these, the reaper removes the container once its lifetime is over.
 */
const MAX_REFUSED_REMOVALS = 5;

/**
 * How long the removal of a used container waits for the container's own exit. Its launcher
 * exits right after the end report, and a program killed at a limit is gone once the kill
 * lands, but the engine sees an exit some 20-35 ms later (longer under load). A forced removal
 * of a container it still sees running makes it kill the container first: one more round
 * through containerd and the shim per run (three runs in four, measured at load), and in
 * Docker 20.10 now and then a refused removal when that kill races the exit. Past this wait
 * the removal is forced anyway.
 */
const EXIT_WAIT_MS = 2_000;

/** Injection token of the retry delays (unit tests make them short). */
export const DISPOSER_RETRY_DELAYS = Symbol('DISPOSER_RETRY_DELAYS');

/**
 * Removes used (and dead) containers in the background, so removal happens after the answer is
 * sent, retrying while the engine is unreachable; `close` waits for every removal in progress.
 */
@Injectable()
export class ContainerDisposer {
  private readonly logger = new Logger(ContainerDisposer.name);
  private readonly removals = new Set<Promise<void>>();
  private readonly sleeper = new InterruptibleSleep();
  private readonly listeners = new Set<() => void>();

  constructor(
    @Inject(CONTAINER_ENGINE) private readonly engine: ContainerEngine,
    @Optional()
    @Inject(DISPOSER_RETRY_DELAYS)
    private readonly delays: RetryDelays = DEFAULT_RETRY_DELAYS,
  ) {}

  /** Removals still in progress. */
  get pending(): number {
    return this.removals.size;
  }

  /** Calls `listener` each time a disposal starts (the pool refills then). */
  onDispose(listener: () => void): void {
    this.listeners.add(listener);
  }

  /**
   * Removes the container in the background. Starts on the next turn of the event loop, after
   * the answer of the run that used it has been written. Given `exited` (a used container's
   * exit watch), the removal first waits for the exit, EXIT_WAIT_MS at most.
   */
  dispose(id: string, exited?: Promise<unknown>): void {
    const removal = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        for (const listener of this.listeners) listener();
        if (exited) await this.sleeper.sleep(EXIT_WAIT_MS, exited);
        return this.removeWithRetry(id);
      })
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
  }

  /** Stops retrying and waits for every removal in progress. */
  async close(): Promise<void> {
    this.sleeper.close();
    while (this.removals.size > 0) await Promise.all(this.removals);
  }

  private async removeWithRetry(id: string): Promise<void> {
    let delay = this.delays.min;
    let refusals = 0;
    for (;;) {
      try {
        await this.engine.remove(id);
        return;
      } catch (error) {
        if (!(error instanceof EngineUnavailableError)) refusals++;
        if (refusals >= MAX_REFUSED_REMOVALS || this.sleeper.isClosed) {
          this.logger.warn(`could not remove container ${id}: ${describeError(error)}`);
          return;
        }
        await this.sleeper.sleep(delay);
        delay = Math.min(delay * 2, this.delays.max);
      }
    }
  }
}

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { AppConfig } from '../config/app-config.js';
import {
  CONTAINER_ENGINE,
  type ContainerEngine,
  type ContainerExit,
} from './engine/container-engine.js';
import type { ProgramEnd } from './program-end.js';
import {
  ContainerPool,
  POOL_LABEL,
  POOL_LABEL_VALUE,
  type ContainerPoolStats,
  type ReadyContainer,
} from './container-pool.js';
import { EngineUnavailableError } from './sandbox.errors.js';
import { OutputCollector } from './output-collector.js';
import { toRunResult, type RunResult } from './run-result.js';
import {
  INSTANCE_LABEL,
  MANAGED_LABEL,
  PROGRAM_START_MARKER,
  containerCreateOptions,
  frameProgram,
  sandboxPolicyFrom,
  type SandboxPolicy,
} from './sandbox-policy.js';

export interface Program {
  code: string;
  stdin?: string;
}

export interface RunOptions {
  /** Aborting (for example when the client hangs up) kills the container at once. */
  signal?: AbortSignal;
  /** Extra container labels, such as the request id. */
  labels?: Record<string, string>;
}

/** How long to wait for the engine to confirm an exit after a SIGKILL before giving up on it. */
const KILL_GRACE_MS = 10_000;
/** How long to wait for the last output frames after the exit. */
const OUTPUT_DRAIN_MS = 1_000;

/**
 * Runs one program in one fresh container under the SandboxPolicy, and removes the container
 * in every outcome. The only class that knows the order of engine calls a run takes.
 * Containers come ready-started from the ContainerPool (or are made on the spot when it is
 * empty or off); each serves exactly one program.
 */
@Injectable()
export class SandboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly policy: SandboxPolicy;
  /** Identifies this process's containers among others on the same engine. */
  readonly instanceId = randomUUID();
  /** Started containers waiting for a program; its stats() are what /metrics reports. */
  readonly pool: ContainerPool;
  private readonly logger = new Logger(SandboxService.name);

  constructor(
    @Inject(CONTAINER_ENGINE) private readonly engine: ContainerEngine,
    config: AppConfig,
  ) {
    this.policy = sandboxPolicyFrom(config);
    this.pool = new ContainerPool(engine, {
      size: config.SANDBOX_POOL_SIZE,
      createOptions: () =>
        containerCreateOptions(this.policy, {
          ...this.instanceLabels,
          [POOL_LABEL]: POOL_LABEL_VALUE,
        }),
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.pool.start();
  }

  /** Idle containers, hits and misses of the pool. */
  poolStats(): ContainerPoolStats {
    return this.pool.stats();
  }

  /** Labels that mark a container as this instance's. */
  get instanceLabels(): Record<string, string> {
    return { [MANAGED_LABEL]: 'true', [INSTANCE_LABEL]: this.instanceId };
  }

  /**
   * Runs the program in a container of its own. Pooled containers carry only the instance
   * labels: `options.labels` reach containers made on the spot (labels are fixed at creation).
   */
  async run(program: Program, options: RunOptions = {}): Promise<RunResult> {
    const onDemand = containerCreateOptions(this.policy, {
      ...options.labels,
      ...this.instanceLabels,
    });
    const container = await this.pool.acquire(onDemand);
    const attempt = await this.runAndDispose(container, program, options.signal);
    if (attempt.programStarted || !container.pooled || options.signal?.aborted) {
      return attempt.result;
    }
    // The pooled container died while it waited (host OOM, engine restart, killed from outside)
    // before the pool noticed: the program never ran, so it runs once more, in a new container.
    this.logger.warn(`pooled container ${container.id} died before its program started; retrying`);
    const fresh = await this.pool.createOnDemand(onDemand);
    return (await this.runAndDispose(fresh, program, options.signal)).result;
  }

  private async runAndDispose(
    container: ReadyContainer,
    program: Program,
    signal?: AbortSignal,
  ): Promise<{ result: RunResult; programStarted: boolean }> {
    // Pooled containers cannot carry the request's labels (they are fixed at creation), so the
    // log line, which carries the request id, is what ties a request to its container.
    this.logger.log(
      { event: 'program_sent', container: container.id, pooled: container.pooled },
      'program sent to container',
    );
    try {
      return await this.runIn(container, program, signal);
    } finally {
      // Removed in the background, after the answer is sent; shutdown waits for it.
      container.stream.destroy();
      this.pool.dispose(container.id);
    }
  }

  private async runIn(
    { id, stream, exited }: ReadyContainer,
    program: Program,
    signal?: AbortSignal,
  ): Promise<{ result: RunResult; programStarted: boolean }> {
    const kill = () => void this.engine.kill(id).catch(() => undefined);
    const endToken = randomBytes(16).toString('hex');
    let stoppedForOutput = false;
    const collector = new OutputCollector(
      this.policy.outputLimitBytes,
      () => {
        stoppedForOutput = true;
        kill();
      },
      PROGRAM_START_MARKER,
      endToken,
    );

    stream.on('data', (data: Buffer) => collector.write(data));
    const outputEnded = once(stream, 'end').catch(() => undefined);

    // The container is already running, blocked reading stdin: the program starts now, and so
    // does its clock (time spent waiting in the pool is nobody's).
    const startedAt = performance.now();
    stream.end(frameProgram(program.code, program.stdin ?? '', endToken));

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, this.policy.timeoutMs);
    const onAbort = () => kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) kill();
    let reported: ProgramEnd | undefined;
    try {
      // The launcher's end report (on both streams) says the program is over and all its
      // output is in, without waiting for the engine to process the exit; a run that ends any
      // other way (a signal, os._exit, the OOM killer, a kill at a limit) waits for the engine.
      const exitSeen = exited.then(() => undefined);
      exitSeen.catch(() => undefined); // a late failure after the report has nobody to tell
      const ended = await this.engineAnswer(Promise.race([exitSeen, collector.programEnded]));
      // An OOM kill anywhere in the container (or not knowing) leaves the verdict to the engine.
      if (ended !== undefined && ended.oomKills === 0 && !timedOut && !stoppedForOutput) {
        reported = ended;
      } else if (ended !== undefined) {
        await this.engineAnswer(exitSeen);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const durationMs = performance.now() - startedAt;

    let exit: ContainerExit;
    if (reported) {
      // Whatever the program left running dies with its container, removed after the answer.
      kill();
      exit = { exitCode: reported.exitCode, oomKilled: false };
    } else {
      await withDeadline(outputEnded, OUTPUT_DRAIN_MS).catch(() => undefined);
      exit = await this.engine.inspectExit(id);
    }
    stream.destroy();
    const result = toRunResult({
      exit,
      timedOut,
      stoppedForOutput,
      output: collector.result(),
      durationMs,
    });
    return { result, programStarted: collector.programStarted || timedOut };
  }

  /**
   * Waits for the engine's word on a run, within the time limit plus the grace for a kill to
   * take effect: an engine that stays silent longer is an unavailable engine.
   */
  private engineAnswer<T>(answer: Promise<T>): Promise<T> {
    return withDeadline(answer, this.policy.timeoutMs + KILL_GRACE_MS).catch((error: unknown) => {
      if (error instanceof DeadlineExceededError) {
        throw new EngineUnavailableError('it did not confirm that a killed container exited');
      }
      throw error;
    });
  }

  /** Removes every container this instance created (runs in flight are killed). */
  async removeOwnContainers(): Promise<number> {
    const containers = await this.engine.list({ [INSTANCE_LABEL]: this.instanceId });
    await Promise.all(containers.map((c) => this.engine.remove(c.id)));
    return containers.length;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
    if (this.pool.size > 0) {
      const { hits, misses, discarded } = this.pool.stats();
      this.logger.log(
        `container pool closed: ${hits} hits, ${misses} misses, ${discarded} idle containers died`,
      );
    }
    const removed = await this.removeOwnContainers().catch(() => 0);
    if (removed > 0) this.logger.log(`removed ${removed} container(s) on shutdown`);
  }
}

class DeadlineExceededError extends Error {}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

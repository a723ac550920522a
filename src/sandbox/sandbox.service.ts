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
import { ContainerDisposer } from './pool/container-disposer.js';
import type { ReadyContainer } from './pool/ready-container.js';
import type { WarmPoolStats } from './pool/warm-pool.js';
import { WarmPools } from './pool/warm-pools.js';
import {
  ProgramRun,
  type LiveProgramIO,
  type Program,
  type RunAttempt,
  type RunPlan,
} from './program-run.js';
import type { RunResult } from './run-result.js';
import { SandboxImageArchive } from './sandbox-image-archive.js';
import {
  containerSpec,
  SANDBOX_POLICIES,
  type SandboxPolicies,
  type SandboxPolicy,
} from './sandbox-policy.js';
import { SandboxImageMissingError, UnknownRuntimeError } from './sandbox.errors.js';

export interface RunOptions {
  /** Aborting (for example when the client hangs up) kills the container at once. */
  signal?: AbortSignal;
  /** The request the run serves, for labels and logs. */
  requestId?: string;
  /** Output as it comes, and live stdin (interactive runs). */
  live?: LiveProgramIO;
  /**
   * The container is removed (and the pool refilled) once this settles, not at once: the
   * caller's record of the end comes first. Removing a container and making the next one
   * keep the engine busy on every core for a while; done earlier they slow the end's write
   * and, in the distributed mode, the API's answer on the same host.
   */
  disposeAfter?: Promise<unknown>;
}

/**
 * Runs one program in one fresh container under the SandboxPolicy, and removes the container
 * in every outcome. Containers come ready-started from the WarmPool (or are made on the spot
 * when it is empty or off); each serves exactly one program (ProgramRun) and is then handed to
 * the ContainerDisposer.
 */
@Injectable()
export class SandboxService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SandboxService.name);

  constructor(
    @Inject(CONTAINER_ENGINE) private readonly engine: ContainerEngine,
    @Inject(SANDBOX_POLICIES) private readonly policies: SandboxPolicies,
    private readonly pools: WarmPools,
    private readonly disposer: ContainerDisposer,
    private readonly identity: InstanceIdentity,
    private readonly image: SandboxImageArchive,
  ) {}

  /** The image first (from SANDBOX_IMAGE_ARCHIVE if the engine lacks it), then the pool. */
  async onApplicationBootstrap(): Promise<void> {
    await this.image.ensure();
    this.pools.start();
  }

  /** Idle containers, hits and misses of the pools, added up. */
  poolStats(): WarmPoolStats {
    return this.pools.stats();
  }

  /**
   * Runs the program in a container of its own, of its runtime (python unless it names
   * another). Pooled containers carry only the instance labels: the request id reaches
   * containers made on the spot (labels are fixed at creation), and the log line of each run
   * ties it to its container either way.
   */
  async run(program: Program, options: RunOptions = {}): Promise<RunResult> {
    const language = program.language ?? 'python';
    const policy = this.policies.get(language);
    if (!policy) throw new UnknownRuntimeError(language);
    const labels: Record<string, string> = { ...this.identity.labels };
    if (options.requestId !== undefined) labels[CONTAINER_LABELS.request] = options.requestId;
    const { plan, memoryBytes, pooled } = settle(policy, program.limits);
    const onDemand = containerSpec({ ...policy, memoryBytes }, { labels, pooled: false });
    const pool = this.pools.of(language);
    const acquired = pooled ? pool.acquire(onDemand) : pool.createOnDemand(onDemand);
    const container = await acquired.catch((error: unknown) => {
      // The engine knows the image, not the runtime: the message says what to build.
      if (error instanceof SandboxImageMissingError) {
        throw new SandboxImageMissingError(policy.image, language);
      }
      throw error;
    });
    const attempt = await this.runAndDispose(container, program, plan, options);
    if (attempt.programStarted || !container.pooled || options.signal?.aborted) {
      return attempt.result;
    }
    // The pooled container died while it waited (host OOM, engine restart, killed from outside)
    // before the pool noticed: the program never ran, so it runs once more, in a new container.
    this.logger.warn(`pooled container ${container.id} died before its program started; retrying`);
    const fresh = await pool.createOnDemand(onDemand);
    return (await this.runAndDispose(fresh, program, plan, options)).result;
  }

  private async runAndDispose(
    container: ReadyContainer,
    program: Program,
    plan: RunPlan,
    { signal, live, disposeAfter }: RunOptions,
  ): Promise<RunAttempt> {
    // Pooled containers cannot carry the request's labels (they are fixed at creation), so the
    // log line, which carries the request id, is what ties a request to its container.
    this.logger.log(
      { event: 'program_sent', container: container.id, pooled: container.pooled },
      'program sent to container',
    );
    try {
      const attempt = await new ProgramRun(
        container,
        program,
        this.engine,
        this.policies.get(program.language ?? 'python')!,
        plan,
        signal,
        live,
      ).execute();
      this.logger.log(
        {
          event: 'program_ended',
          container: container.id,
          status: attempt.result.status,
          durationMs: attempt.result.durationMs,
          decidedBy: attempt.decidedBy,
        },
        'program ended',
      );
      return attempt;
    } finally {
      // Removed in the background, after the answer is sent; shutdown waits for it.
      container.stream.destroy();
      const dispose = () => this.disposer.dispose(container.id, container.exited);
      if (disposeAfter) void disposeAfter.then(dispose, dispose);
      else dispose();
    }
  }

  /** Removes every container this instance created (runs in flight are killed). */
  async removeOwnContainers(): Promise<number> {
    const containers = await this.engine.list({ [CONTAINER_LABELS.instance]: this.identity.id });
    await Promise.all(containers.map((c) => this.engine.remove(c.id)));
    return containers.length;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pools.close();
    await this.disposer.close();
    const { size, hits, misses, discarded } = this.pools.stats();
    if (size > 0) {
      this.logger.log(
        `container pool closed: ${hits} hits, ${misses} misses, ${discarded} idle containers died`,
      );
    }
    const removed = await this.removeOwnContainers().catch(() => 0);
    if (removed > 0) this.logger.log(`removed ${removed} container(s) on shutdown`);
  }
}

const MIB = 1024 * 1024;

/**
 * A run's limits in its container: its own (Program.limits, checked against the caps by the
 * API) or its runtime's, and how its container gets them. A pooled container has the runtime's
 * default memory (a compiled runtime's: the compiler's); another memory is set before the
 * program is sent, or after its compilation, where the engine can change a running container
 * (runc). Where it cannot (gVisor), a container with the memory the run needs is made for it,
 * unless the pool's already has it.
 */
export function settle(
  policy: SandboxPolicy,
  limits: Program['limits'] = {},
): { plan: RunPlan; memoryBytes: number; pooled: boolean } {
  const timeoutMs = limits.timeoutMs ?? policy.timeoutMs;
  const runMemory = limits.memoryMb === undefined ? policy.runMemoryBytes : limits.memoryMb * MIB;
  const compiles = policy.compileMemoryBytes > 0;
  const poolMemory = policy.memoryBytes;
  if (policy.resizable) {
    const target = compiles ? policy.compileMemoryBytes : runMemory;
    const plan: RunPlan = { timeoutMs };
    if (target !== poolMemory) plan.memoryBeforeBytes = target;
    if (compiles && runMemory !== policy.compileMemoryBytes)
      plan.memoryAfterCompileBytes = runMemory;
    return { plan, memoryBytes: poolMemory, pooled: true };
  }
  const needed = compiles ? Math.max(policy.compileMemoryBytes, runMemory) : runMemory;
  return { plan: { timeoutMs }, memoryBytes: needed, pooled: needed === poolMemory };
}

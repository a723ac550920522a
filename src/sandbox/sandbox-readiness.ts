import { Inject, Injectable } from '@nestjs/common';
import { CONTAINER_ENGINE, type ContainerEngine } from './engine/container-engine.js';
import {
  SANDBOX_POLICIES,
  SANDBOX_POLICY,
  type SandboxPolicies,
  type SandboxPolicy,
} from './sandbox-policy.js';

/** What this process's engine offers of one runtime. */
export interface RuntimeAvailability {
  language: string;
  image: string;
  /** Whether the image is on the engine; null when the engine does not answer. */
  imagePresent: boolean | null;
  /** The runtime's default limits here. */
  timeoutMs: number;
  memoryMb: number;
  /** Limit of the compile step, for a runtime that compiles. */
  compileTimeoutMs?: number;
}

/**
 * Whether a program sent now could run, part by part, for the readiness probe. Each check
 * resolves with what it found or rejects with an error saying what is missing.
 */
@Injectable()
export class SandboxReadiness {
  constructor(
    @Inject(CONTAINER_ENGINE) private readonly engine: ContainerEngine,
    @Inject(SANDBOX_POLICY) private readonly policy: SandboxPolicy,
    @Inject(SANDBOX_POLICIES) private readonly policies: SandboxPolicies,
  ) {}

  /** Every runtime, with whether its image is on the engine. */
  async runtimes(): Promise<RuntimeAvailability[]> {
    return Promise.all(
      [...this.policies.values()].map(async (policy) => ({
        language: policy.language,
        image: policy.image,
        imagePresent: await this.engine.imageExists(policy.image).catch(() => null),
        timeoutMs: policy.timeoutMs,
        memoryMb: Math.round(policy.memoryBytes / (1024 * 1024)),
        ...(policy.compileTimeoutMs > 0 ? { compileTimeoutMs: policy.compileTimeoutMs } : {}),
      })),
    );
  }

  /** The engine answers. */
  async engineReachable(): Promise<void> {
    await this.engine.ping();
  }

  /** The sandbox image is on the engine. */
  async imagePresent(): Promise<{ name: string }> {
    const { image } = this.policy;
    if (!(await this.engine.imageExists(image))) throw new Error(`image ${image} is missing`);
    return { name: image };
  }

  /** The configured runtime (runc, runsc) is registered with the engine. */
  async runtimeRegistered(): Promise<{ name: string }> {
    const { runtime } = this.policy;
    if (!(await this.engine.runtimes()).includes(runtime))
      throw new Error(`runtime ${runtime} is not registered`);
    return { name: runtime };
  }
}

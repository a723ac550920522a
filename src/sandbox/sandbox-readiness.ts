import { Inject, Injectable } from '@nestjs/common';
import { CONTAINER_ENGINE, type ContainerEngine } from './engine/container-engine.js';
import { SANDBOX_POLICY, type SandboxPolicy } from './sandbox-policy.js';

/**
 * Whether a program sent now could run, part by part, for the readiness probe. Each check
 * resolves with what it found or rejects with an error saying what is missing.
 */
@Injectable()
export class SandboxReadiness {
  constructor(
    @Inject(CONTAINER_ENGINE) private readonly engine: ContainerEngine,
    @Inject(SANDBOX_POLICY) private readonly policy: SandboxPolicy,
  ) {}

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

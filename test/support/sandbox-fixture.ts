import { loadAppConfig } from '../../src/config/app-config.js';
import { InstanceIdentity } from '../../src/sandbox/instance-identity.js';
import { ContainerDisposer } from '../../src/sandbox/pool/container-disposer.js';
import { WarmPool } from '../../src/sandbox/pool/warm-pool.js';
import { SANDBOX_CONFIG } from '../../src/sandbox/sandbox.config.js';
import { sandboxPolicyFrom, type SandboxPolicy } from '../../src/sandbox/sandbox-policy.js';
import { SandboxImageArchive } from '../../src/sandbox/sandbox-image-archive.js';
import { SandboxService } from '../../src/sandbox/sandbox.service.js';
import type { FakeEngine } from './fake-engine.js';

/** Short back-off, so unit tests of outages take milliseconds. */
export const FAST_RETRIES = { min: 5, max: 20 };

export interface SandboxFixture {
  service: SandboxService;
  pool: WarmPool;
  disposer: ContainerDisposer;
  identity: InstanceIdentity;
  policy: SandboxPolicy;
  /** Stops the pool and waits for every removal, as shutdown does. */
  close(): Promise<void>;
}

/**
 * The sandbox module's parts wired by hand over an engine (usually a FakeEngine), with the
 * settings of `env` on top of the defaults, as the module wires them.
 */
export function sandboxFixture(
  engine: FakeEngine,
  env: Record<string, string> = {},
): SandboxFixture {
  const config = SANDBOX_CONFIG.from(loadAppConfig(env));
  const policy = sandboxPolicyFrom(config);
  const identity = new InstanceIdentity();
  const disposer = new ContainerDisposer(engine, FAST_RETRIES);
  const pool = new WarmPool(engine, disposer, policy, identity, config, FAST_RETRIES);
  const image = new SandboxImageArchive(engine, config);
  const service = new SandboxService(engine, policy, pool, disposer, identity, image);
  return {
    service,
    pool,
    disposer,
    identity,
    policy,
    close: async () => {
      await pool.close();
      await disposer.close();
    },
  };
}

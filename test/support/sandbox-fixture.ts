import { loadAppConfig } from '../../src/config/app-config.js';
import { InstanceIdentity } from '../../src/sandbox/instance-identity.js';
import { ContainerDisposer } from '../../src/sandbox/pool/container-disposer.js';
import type { WarmPool } from '../../src/sandbox/pool/warm-pool.js';
import { WarmPools } from '../../src/sandbox/pool/warm-pools.js';
import { SANDBOX_CONFIG } from '../../src/sandbox/sandbox.config.js';
import { sandboxPoliciesFrom, type SandboxPolicy } from '../../src/sandbox/sandbox-policy.js';
import { SandboxImageArchive } from '../../src/sandbox/sandbox-image-archive.js';
import { SandboxService } from '../../src/sandbox/sandbox.service.js';
import type { FakeEngine } from './fake-engine.js';
import { ONLY_PYTHON_POOLED } from './service.js';

/** Short back-off, so unit tests of outages take milliseconds. */
export const FAST_RETRIES = { min: 5, max: 20 };

export interface SandboxFixture {
  service: SandboxService;
  /** Python's pool. */
  pool: WarmPool;
  pools: WarmPools;
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
  // Python's pool only, unless the test says otherwise: the others would fill the fake engine.
  const config = SANDBOX_CONFIG.from(
    loadAppConfig({ SANDBOX_POOL_SIZES: ONLY_PYTHON_POOLED, ...env }),
  );
  const policies = sandboxPoliciesFrom(config);
  const policy = policies.get('python')!;
  const identity = new InstanceIdentity();
  const disposer = new ContainerDisposer(engine, FAST_RETRIES);
  const pools = new WarmPools(engine, disposer, policies, identity, config, FAST_RETRIES);
  const pool = pools.of('python');
  const image = new SandboxImageArchive(engine, config);
  const service = new SandboxService(engine, policies, pools, disposer, identity, image);
  return {
    service,
    pool,
    pools,
    disposer,
    identity,
    policy,
    close: async () => {
      await pools.close();
      await disposer.close();
    },
  };
}

import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { parsePoolSizes, poolSizeOf } from '../../config/pool-sizes.setting.js';
import { CONTAINER_ENGINE, type ContainerEngine } from '../engine/container-engine.js';
import { InstanceIdentity } from '../instance-identity.js';
import { SANDBOX_CONFIG, type SandboxConfig } from '../sandbox.config.js';
import { SANDBOX_POLICIES, type SandboxPolicies } from '../sandbox-policy.js';
import { ContainerDisposer } from './container-disposer.js';
import { DEFAULT_RETRY_DELAYS, type RetryDelays } from './retry.js';
import { POOL_RETRY_DELAYS, WarmPool, type WarmPoolStats } from './warm-pool.js';

/**
 * One WarmPool per runtime, sized by SANDBOX_POOL_SIZES (pool-sizes.setting.ts). A runtime whose
 * image is not on the engine at start gets no pool (it would only fail to fill); its runs make
 * their container on the spot and say how to build the image.
 */
@Injectable()
export class WarmPools {
  private readonly logger = new Logger(WarmPools.name);
  private readonly pools = new Map<string, WarmPool>();
  /** The pools started: their runtime's image is there (or not yet known to be missing). */
  private readonly kept = new Set<WarmPool>();

  constructor(
    @Inject(CONTAINER_ENGINE) private readonly engine: ContainerEngine,
    disposer: ContainerDisposer,
    @Inject(SANDBOX_POLICIES) policies: SandboxPolicies,
    identity: InstanceIdentity,
    @Inject(SANDBOX_CONFIG.token) config: SandboxConfig,
    @Optional()
    @Inject(POOL_RETRY_DELAYS)
    delays: RetryDelays = DEFAULT_RETRY_DELAYS,
  ) {
    const sizes = parsePoolSizes(config.SANDBOX_POOL_SIZES);
    for (const [language, policy] of policies) {
      const size = poolSizeOf(language, config.SANDBOX_POOL_SIZE, sizes);
      this.pools.set(language, new WarmPool(engine, disposer, policy, identity, size, delays));
    }
  }

  /** The pool of a runtime (one exists for every runtime of the catalogue, maybe of size 0). */
  of(language: string): WarmPool {
    const pool = this.pools.get(language);
    if (!pool) throw new Error(`no pool for runtime ${language}`);
    return pool;
  }

  /**
   * Starts filling the pools: python's at once (its image is checked elsewhere, and the pool
   * waits for an engine that is not up yet), the others once their image is known to be there.
   */
  start(): void {
    for (const pool of this.pools.values()) {
      if (pool.size === 0) continue;
      const keep = () => {
        this.kept.add(pool);
        pool.start();
      };
      if (pool.language === 'python') {
        keep();
        continue;
      }
      void this.engine.imageExists(pool.image).then(
        (present) => {
          if (present) keep();
          else
            this.logger.log(`no warm pool for ${pool.language}: image ${pool.image} is not built`);
        },
        keep, // the engine is away: the pool waits for it with back-off
      );
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }

  /**
   * The pools' figures added up, as one pool's. `size` counts the pools kept: a runtime whose
   * image is missing keeps no containers, so a full set of pools reads idle === size.
   */
  stats(): WarmPoolStats {
    const total: WarmPoolStats = {
      size: 0,
      idle: 0,
      warming: 0,
      hits: 0,
      misses: 0,
      discarded: 0,
      removing: 0,
    };
    for (const pool of this.pools.values()) {
      const stats = { ...pool.stats(), ...(this.kept.has(pool) ? {} : { size: 0 }) };
      for (const key of Object.keys(total) as (keyof WarmPoolStats)[]) {
        total[key] += key === 'removing' ? 0 : stats[key];
      }
      total.removing = stats.removing; // the disposer's count, shared by all pools
    }
    return total;
  }
}

import { Module } from '@nestjs/common';
import { ContainerReaper } from './container-reaper.js';
import { CONTAINER_ENGINE } from './engine/container-engine.js';
import { dockerClientProvider, ShortCallDeadline } from './engine/docker-client.js';
import { DockerodeEngine } from './engine/dockerode-engine.js';
import { DockerodeLeaseStore } from './engine/dockerode-lease-store.js';
import { InstanceIdentity } from './instance-identity.js';
import { LEASE_STORE } from './lease-store.js';
import { ContainerDisposer } from './pool/container-disposer.js';
import { WarmPools } from './pool/warm-pools.js';
import { SandboxReadiness } from './sandbox-readiness.js';
import { SANDBOX_CONFIG, type SandboxConfig } from './sandbox.config.js';
import {
  SANDBOX_POLICIES,
  SANDBOX_POLICY,
  sandboxPoliciesFrom,
  type SandboxPolicies,
} from './sandbox-policy.js';
import { SandboxImageArchive } from './sandbox-image-archive.js';
import { SandboxService } from './sandbox.service.js';

/**
 * Runs programs in containers. Its public face (index.ts) is SandboxService.run, the
 * readiness checks and the instance identity; the engine, the pool and the policy stay inside.
 */
@Module({
  providers: [
    SANDBOX_CONFIG.provider,
    {
      provide: SANDBOX_POLICIES,
      inject: [SANDBOX_CONFIG.token],
      useFactory: (config: SandboxConfig) => sandboxPoliciesFrom(config),
    },
    {
      // The default runtime's (python): what readiness checks.
      provide: SANDBOX_POLICY,
      inject: [SANDBOX_POLICIES],
      useFactory: (policies: SandboxPolicies) => policies.get('python'),
    },
    dockerClientProvider,
    ShortCallDeadline,
    { provide: CONTAINER_ENGINE, useClass: DockerodeEngine },
    { provide: LEASE_STORE, useClass: DockerodeLeaseStore },
    InstanceIdentity,
    ContainerDisposer,
    WarmPools,
    SandboxService,
    SandboxImageArchive,
    SandboxReadiness,
    ContainerReaper,
  ],
  exports: [SandboxService, SandboxReadiness, InstanceIdentity],
})
export class SandboxModule {}

import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module.js';
import { CONTAINER_ENGINE } from './engine/container-engine.js';
import { DockerodeEngine } from './engine/dockerode-engine.js';
import { DockerodeLeaseStore } from './engine/dockerode-lease-store.js';
import { LEASE_STORE } from './engine/lease-store.js';
import { ContainerReaper } from './container-reaper.js';
import { SandboxService } from './sandbox.service.js';

@Module({
  imports: [ConfigModule],
  providers: [
    { provide: CONTAINER_ENGINE, useClass: DockerodeEngine },
    { provide: LEASE_STORE, useClass: DockerodeLeaseStore },
    SandboxService,
    ContainerReaper,
  ],
  exports: [SandboxService, CONTAINER_ENGINE],
})
export class SandboxModule {}

import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module.js';
import { CONTAINER_ENGINE } from './engine/container-engine.js';
import { DockerodeEngine } from './engine/dockerode-engine.js';
import { SandboxService } from './sandbox.service.js';

@Module({
  imports: [ConfigModule],
  providers: [{ provide: CONTAINER_ENGINE, useClass: DockerodeEngine }, SandboxService],
  exports: [SandboxService, CONTAINER_ENGINE],
})
export class SandboxModule {}

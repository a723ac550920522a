import { Injectable } from '@nestjs/common';
import Docker, { type ContainerCreateOptions } from 'dockerode';
import { AppConfig } from '../../config/app-config.js';
import type { Duplex } from 'node:stream';
import {
  EngineUnavailableError,
  SandboxImageMissingError,
  SandboxContainerLostError,
  SandboxRuntimeMissingError,
} from '../sandbox.errors.js';
import type { ContainerEngine, ContainerExit, ContainerSummary } from './container-engine.js';

interface EngineHttpError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
}

function describe(error: unknown): EngineHttpError {
  return typeof error === 'object' && error !== null ? error : {};
}

/** An error that came from the transport (no HTTP status): the engine is not reachable. */
function unavailable(error: unknown): EngineUnavailableError | undefined {
  const { statusCode, code, message } = describe(error);
  if (statusCode !== undefined) return undefined;
  return new EngineUnavailableError(code ?? message ?? 'no answer');
}

/** Rethrows transport errors as EngineUnavailableError and anything else as it is. */
function translate(error: unknown): never {
  throw unavailable(error) ?? error;
}

/** Resolves quietly for "already gone" (404) and "already stopped" (409, 304) answers. */
function ignoreGone(error: unknown): void {
  const { statusCode } = describe(error);
  if (statusCode === 404 || statusCode === 409 || statusCode === 304) return;
  translate(error);
}

/** ContainerEngine over dockerode. Reads DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) as the docker CLI does. */
@Injectable()
export class DockerodeEngine implements ContainerEngine {
  /** For short calls: a hung engine must not hang a request, so they give up after ENGINE_TIMEOUT_MS. */
  private readonly docker: Docker;
  /** For attach and wait, which rightly stay silent for as long as a program runs. */
  private readonly streams = new Docker();

  constructor(config: AppConfig) {
    this.docker = new Docker({ timeout: config.ENGINE_TIMEOUT_MS });
  }

  async ping(): Promise<void> {
    await this.docker.ping().catch(translate);
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (describe(error).statusCode === 404) return false;
      return translate(error);
    }
  }

  async runtimes(): Promise<string[]> {
    const info = (await this.docker.info().catch(translate)) as {
      Runtimes?: Record<string, unknown>;
    };
    return Object.keys(info.Runtimes ?? {});
  }

  async create(options: ContainerCreateOptions): Promise<string> {
    try {
      const container = await this.docker.createContainer(options);
      return container.id;
    } catch (error) {
      const { statusCode, json, message } = describe(error);
      const text = json?.message ?? message ?? '';
      if (statusCode === 404 && /image/i.test(text))
        throw new SandboxImageMissingError(options.Image ?? '');
      if (/unknown runtime/i.test(text))
        throw new SandboxRuntimeMissingError(options.HostConfig?.Runtime ?? '');
      return translate(error);
    }
  }

  async attach(id: string): Promise<Duplex> {
    const stream = await this.streams
      .getContainer(id)
      .attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })
      .catch(translate);
    return stream as Duplex;
  }

  async start(id: string): Promise<void> {
    await this.docker.getContainer(id).start().catch(translate);
  }

  async waitForExit(id: string): Promise<void> {
    await this.streams.getContainer(id).wait({ condition: 'next-exit' }).catch(ignoreGone);
  }

  async inspectExit(id: string): Promise<ContainerExit> {
    const info = await this.docker
      .getContainer(id)
      .inspect()
      .catch((error: unknown) => {
        if (describe(error).statusCode === 404) throw new SandboxContainerLostError(id);
        return translate(error);
      });
    return { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled };
  }

  async kill(id: string): Promise<void> {
    await this.docker.getContainer(id).kill({ signal: 'SIGKILL' }).catch(ignoreGone);
  }

  async remove(id: string): Promise<void> {
    await this.docker.getContainer(id).remove({ force: true, v: true }).catch(ignoreGone);
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    const containers = await this.docker.listContainers({ all: true, filters }).catch(translate);
    return containers.map((c) => ({
      id: c.Id,
      labels: c.Labels,
      state: c.State,
      createdAt: c.Created * 1000,
    }));
  }
}

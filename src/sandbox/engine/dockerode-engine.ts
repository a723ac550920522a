import { Inject, Injectable } from '@nestjs/common';
import type Docker from 'dockerode';
import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import type { Duplex } from 'node:stream';
import {
  SandboxContainerLostError,
  SandboxImageMissingError,
  SandboxRuntimeMissingError,
} from '../sandbox.errors.js';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerSpec,
  ContainerSummary,
} from './container-engine.js';
import { DOCKER_CLIENT, optionsCall, ShortCallDeadline } from './docker-client.js';
import { describeEngineError, ignoreGone, translateEngineError } from './engine-errors.js';

/** Fields of Docker's API that @types/dockerode does not list yet. */
type HostConfigWithCgroupns = HostConfig & { CgroupnsMode: 'private' | 'host' };

/** Docker's create-container body for a spec. Every field of the spec is carried over. */
export function toCreateOptions(spec: ContainerSpec): ContainerCreateOptions {
  const hostConfig: HostConfigWithCgroupns = {
    Runtime: spec.runtime,
    NetworkMode: spec.network,
    Memory: spec.memoryBytes,
    MemorySwap: spec.memoryBytes, // equal to Memory: no swap at all
    NanoCpus: spec.nanoCpus,
    PidsLimit: spec.pidsLimit,
    ReadonlyRootfs: spec.readOnlyRootfs,
    Tmpfs: spec.tmpfs,
    ShmSize: spec.shmBytes,
    CapDrop: spec.dropAllCapabilities ? ['ALL'] : [],
    // The engine API takes the seccomp profile's text, not a path.
    SecurityOpt: [
      ...(spec.noNewPrivileges ? ['no-new-privileges'] : []),
      `seccomp=${spec.seccompProfile}`,
    ],
    Init: spec.init,
    IpcMode: spec.privateNamespaces ? 'private' : 'shareable',
    CgroupnsMode: spec.privateNamespaces ? 'private' : 'host',
    Ulimits: spec.processLimits.map(({ name, soft, hard }) => ({
      Name: name,
      Soft: soft,
      Hard: hard,
    })),
    LogConfig: { Type: spec.keepLogs ? 'json-file' : 'none', Config: {} },
    OomScoreAdj: spec.oomScoreAdj,
    AutoRemove: false, // removed by the service after its exit state is read
    Binds: [],
    Mounts: [],
    Devices: [],
    Privileged: false,
  };
  const openStdin = spec.stdin === 'open-once';
  return {
    Image: spec.image,
    Cmd: spec.command,
    Env: spec.env,
    User: spec.user,
    WorkingDir: spec.workingDir,
    Hostname: spec.hostname,
    Labels: spec.labels,
    AttachStdin: openStdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: openStdin,
    StdinOnce: openStdin,
    Tty: false,
    NetworkDisabled: spec.network === 'none',
    HostConfig: hostConfig,
  };
}

/**
 * Create options sent in the request's body only. docker-modem puts every create option in the
 * URL's query string as well unless `_query` names what belongs there (nothing: the engine
 * reads the body): the seccomp profile alone made that URL ~40 KB to encode, send and parse per
 * container.
 */
export function inBodyOnly(options: ContainerCreateOptions): ContainerCreateOptions {
  return { ...options, _query: {}, _body: options } as ContainerCreateOptions;
}

/** ContainerEngine over dockerode. */
@Injectable()
export class DockerodeEngine implements ContainerEngine {
  constructor(
    @Inject(DOCKER_CLIENT) private readonly docker: Docker,
    private readonly shortCall: ShortCallDeadline,
  ) {}

  /** Every call but attach and wait is short (ShortCallDeadline). */
  private get deadline(): { abortSignal: AbortSignal } {
    return this.shortCall.options;
  }

  async ping(): Promise<void> {
    await optionsCall(this.docker, 'ping')(this.deadline).catch(translateEngineError);
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect(this.deadline as Docker.ImageInspectOptions);
      return true;
    } catch (error) {
      if (describeEngineError(error).statusCode === 404) return false;
      return translateEngineError(error);
    }
  }

  async loadImages(archive: NodeJS.ReadableStream): Promise<void> {
    // No short deadline: a large image takes the engine a while to unpack.
    const progress = await this.docker.loadImage(archive).catch(translateEngineError);
    const refused = await new Promise<string | undefined>((resolve, reject) =>
      this.docker.modem.followProgress(progress, (error: Error | null, events: unknown[]) => {
        if (error) return reject(error);
        // The engine reports a bad archive in the stream, not in the status code.
        const failed = (events ?? []).find(
          (event): event is { error: string } =>
            typeof (event as { error?: unknown }).error === 'string',
        );
        resolve(failed?.error);
      }),
    ).catch(translateEngineError);
    if (refused !== undefined) throw new Error(`the engine refused the archive: ${refused}`);
  }

  async runtimes(): Promise<string[]> {
    const info = (await optionsCall(
      this.docker,
      'info',
    )(this.deadline).catch(translateEngineError)) as {
      Runtimes?: Record<string, unknown>;
    };
    return Object.keys(info.Runtimes ?? {});
  }

  async create(spec: ContainerSpec): Promise<string> {
    try {
      const container = await this.docker.createContainer({
        ...inBodyOnly(toCreateOptions(spec)),
        ...this.deadline,
      });
      return container.id;
    } catch (error) {
      const { statusCode, json, message } = describeEngineError(error);
      const text = json?.message ?? message ?? '';
      if (statusCode === 404 && /image/i.test(text)) throw new SandboxImageMissingError(spec.image);
      if (/unknown runtime/i.test(text)) throw new SandboxRuntimeMissingError(spec.runtime);
      return translateEngineError(error);
    }
  }

  async attach(id: string): Promise<Duplex> {
    const stream = await this.docker
      .getContainer(id)
      .attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })
      .catch(translateEngineError);
    return stream as Duplex;
  }

  async start(id: string): Promise<void> {
    await this.docker.getContainer(id).start(this.deadline).catch(translateEngineError);
  }

  async waitForExit(id: string): Promise<void> {
    await this.docker.getContainer(id).wait({ condition: 'next-exit' }).catch(ignoreGone);
  }

  async inspectExit(id: string): Promise<ContainerExit> {
    const info = await this.docker
      .getContainer(id)
      .inspect(this.deadline)
      .catch((error: unknown) => {
        if (describeEngineError(error).statusCode === 404) throw new SandboxContainerLostError(id);
        return translateEngineError(error);
      });
    return { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled };
  }

  async updateMemory(id: string, memoryBytes: number): Promise<void> {
    await this.docker
      .getContainer(id)
      .update({ Memory: memoryBytes, MemorySwap: memoryBytes, ...this.deadline })
      .catch(translateEngineError);
  }

  async kill(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .kill({ signal: 'SIGKILL', ...this.deadline })
      .catch(ignoreGone);
  }

  async remove(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .remove({ force: true, v: true, ...this.deadline })
      .catch(ignoreGone);
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    const containers = await this.docker
      .listContainers({ all: true, filters, ...this.deadline })
      .catch(translateEngineError);
    return containers.map((c) => ({
      id: c.Id,
      labels: c.Labels,
      state: c.State,
      createdAt: c.Created * 1000,
    }));
  }
}

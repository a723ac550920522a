import type { ContainerCreateOptions } from 'dockerode';
import type { Duplex } from 'node:stream';

/** Injection token of the ContainerEngine. */
export const CONTAINER_ENGINE = Symbol('CONTAINER_ENGINE');

export interface ContainerExit {
  exitCode: number | null;
  /** True when the kernel's OOM killer fired inside the container (the engine's own record). */
  oomKilled: boolean;
}

export interface ContainerSummary {
  id: string;
  labels: Record<string, string>;
  state: string;
  /** When the engine created it, ms since the epoch by the engine's clock. */
  createdAt?: number;
}

/**
 * The few engine operations the sandbox needs. The one implementation wraps dockerode;
 * unit tests use a fake. Every method rejects with EngineUnavailableError when the engine
 * cannot be reached, so callers never see a transport error.
 */
export interface ContainerEngine {
  ping(): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  /** Names of the runtimes the engine knows (runc, runsc, ...). */
  runtimes(): Promise<string[]>;
  create(options: ContainerCreateOptions): Promise<string>;
  /** Attaches to stdin, stdout and stderr; stdout and stderr arrive multiplexed on the stream. */
  attach(id: string): Promise<Duplex>;
  start(id: string): Promise<void>;
  /** Resolves when the container next exits. Call before start. */
  waitForExit(id: string): Promise<void>;
  /** Rejects with SandboxContainerLostError when the container no longer exists. */
  inspectExit(id: string): Promise<ContainerExit>;
  /** SIGKILL; resolves quietly if the container has already stopped or is gone. */
  kill(id: string): Promise<void>;
  /** Force-removes; resolves quietly if the container is already gone. */
  remove(id: string): Promise<void>;
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
}

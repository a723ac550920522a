import type { Duplex } from 'node:stream';

/** Injection token of the ContainerEngine. Private to the sandbox module. */
export const CONTAINER_ENGINE = Symbol('CONTAINER_ENGINE');

/** A limit on a resource per process, as setrlimit(2) takes it. */
export interface ProcessLimit {
  name: 'nofile' | 'core' | 'fsize' | 'nproc';
  soft: number;
  hard: number;
}

/**
 * Everything an engine needs to create one sandbox container, in the project's own terms (not
 * Docker's API), so another engine can stand behind ContainerEngine. Written only by
 * sandbox-policy.ts. The isolation fields are literal types: a spec cannot ask for less.
 */
export interface ContainerSpec {
  image: string;
  /** OCI runtime: runc (Docker's default) or runsc (gVisor). */
  runtime: string;
  command: string[];
  /** The whole environment of the program (nothing of the service's own). */
  env: string[];
  /** uid:gid the program runs as. */
  user: string;
  workingDir: string;
  hostname: string;
  labels: Record<string, string>;
  /** Memory limit; memory plus swap is the same, so there is no swap. */
  memoryBytes: number;
  /** CPU time per second of wall time, in billionths of a CPU. */
  nanoCpus: number;
  /** Most tasks (processes and threads) in the container's pids cgroup. */
  pidsLimit: number;
  /** In-memory file systems: mount path to mount options (size, mode, noexec, ...). */
  tmpfs: Record<string, string>;
  /** Size of /dev/shm. */
  shmBytes: number;
  processLimits: ProcessLimit[];
  /** The kernel's OOM-kill preference (-1000 to 1000): a sandbox dies first. */
  oomScoreAdj: number;
  network: 'none';
  readOnlyRootfs: true;
  dropAllCapabilities: true;
  noNewPrivileges: true;
  /** The seccomp profile (Docker's JSON format, as text) every process of the container runs under. */
  seccompProfile: string;
  /** A minimal init as PID 1 (reaps orphans, forwards signals). */
  init: true;
  /** Private IPC and cgroup namespaces. */
  privateNamespaces: true;
  /** Output is read through the attach stream only; the engine keeps no log of it. */
  keepLogs: false;
  /** stdin stays open for the program (the launcher reads its program from it) and closes after. */
  stdin: 'open-once';
}

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
 * unit tests use a fake (test/support/fake-engine.ts). Every method rejects with
 * EngineUnavailableError when the engine cannot be reached, so callers never see a transport
 * error.
 */
export interface ContainerEngine {
  ping(): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  /** Loads the images of a `docker save` archive; resolves once the engine has them all. */
  loadImages(archive: NodeJS.ReadableStream): Promise<void>;
  /** Names of the runtimes the engine knows (runc, runsc, ...). */
  runtimes(): Promise<string[]>;
  create(spec: ContainerSpec): Promise<string>;
  /** Attaches to stdin, stdout and stderr; stdout and stderr arrive multiplexed on the stream. */
  attach(id: string): Promise<Duplex>;
  start(id: string): Promise<void>;
  /** Resolves when the container next exits. Call before start. */
  waitForExit(id: string): Promise<void>;
  /** Rejects with SandboxContainerLostError when the container no longer exists. */
  inspectExit(id: string): Promise<ContainerExit>;
  /**
   * Changes a running container's memory limit (swap stays equal to it: none). runc can;
   * gVisor (runsc) cannot, and the call then rejects.
   */
  updateMemory(id: string, memoryBytes: number): Promise<void>;
  /** SIGKILL; resolves quietly if the container has already stopped or is gone. */
  kill(id: string): Promise<void>;
  /** Force-removes; resolves quietly if the container is already gone. */
  remove(id: string): Promise<void>;
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
}

import { CONTAINER_LABELS, POOL_LABEL_VALUE } from './container-labels.js';
import type { ContainerSpec } from './engine/container-engine.js';
import {
  DEFAULT_LANGUAGE,
  findRuntime,
  RUNTIMES,
  type RuntimeDefinition,
} from '../runtimes/runtime-catalogue.js';
import { launcherCommand } from './launcher/launcher.js';
import { seccompProfileText } from './seccomp/seccomp-security-opt.js';
import type { SandboxConfig } from './sandbox.config.js';

/** Unprivileged user the program runs as (nobody:nogroup exists in every Debian-based image). */
export const SANDBOX_USER = '65534:65534';

/**
 * The limits every program runs under, as data, in one place.
 * Built once from the validated configuration; `containerSpec` turns it into a container spec.
 */
export interface SandboxPolicy {
  /** The runtime (runtime-catalogue.ts) these containers run. */
  readonly language: string;
  readonly image: string;
  /** The container's command: the launcher, told how to run this language. */
  readonly command: readonly string[];
  /** The runtime's own environment, on top of the sandbox's. */
  readonly env: readonly string[];
  /** Limit of the compile step before the program's own clock starts; 0 without one. */
  readonly compileTimeoutMs: number;
  /**
   * Whether files in the working directory may be executed: only where a compiler must leave
   * the program there. Elsewhere /tmp is noexec, as before.
   */
  readonly execWorkDir: boolean;
  readonly runtime: string;
  /** The program's default time limit (a request may ask for its own, up to maxTimeoutMs). */
  readonly timeoutMs: number;
  /** Most a request may ask for (SANDBOX_MAX_TIMEOUT_MS). */
  readonly maxTimeoutMs: number;
  /**
   * Memory of a container when it is created (and in the pool): the program's default, or for
   * a compiled language the compiler's (changed to the program's after the compilation), or
   * where the engine cannot change a running container's memory (gVisor) the larger of both.
   */
  readonly memoryBytes: number;
  /** The program's default memory (a request may ask for its own, up to SANDBOX_MAX_MEMORY_MB). */
  readonly runMemoryBytes: number;
  /** Memory of the compile step; 0 without one. */
  readonly compileMemoryBytes: number;
  /** Whether the engine can change a running container's memory (runc can, gVisor cannot). */
  readonly resizable: boolean;
  readonly nanoCpus: number;
  /** Most processes and threads the program may run at once. */
  readonly pidsLimit: number;
  readonly outputLimitBytes: number;
  readonly tmpfsBytes: number;
  /** Most open files per process. */
  readonly openFilesLimit: number;
  /** Largest file a program may write (bytes); beyond it the write fails with EFBIG. */
  readonly fileSizeLimitBytes: number;
  /** Most files, and bytes in all, returned from the program's out/ folder. */
  readonly outMaxFiles: number;
  readonly outMaxBytes: number;
  /** Longest a pooled container waits for its program before the pool replaces it. */
  readonly maxIdleMs: number;
}

/**
 * See SandboxPolicy.maxIdleMs. Past it (plus a run's lifetime) the reaper removes an idle pooled
 * container like any other, and the pool replaces it: no container of the service lives long.
 */
const POOLED_CONTAINER_MAX_IDLE_MS = 10 * 60_000;

const MIB = 1024 * 1024;

/**
 * Under gVisor the container's pids cgroup also holds gVisor's own kernel (the Sentry, a Go
 * program): about 55 host threads when idle and about 5 more per guest process (measured with
 * runsc 20221219, ptrace platform). If the cgroup is full, the Go runtime cannot start a thread
 * and the whole sandbox crashes (exit code 2), so a 4-process program would die. Under runsc the
 * cgroup gets this much room, and the program's own limit is enforced inside gVisor by
 * RLIMIT_NPROC, which gVisor counts per sandbox (under runc it would count every process of
 * the user on the host, across sandboxes, so runc relies on the pids cgroup alone).
 */
export const GVISOR_HOST_TASKS = { base: 128, perProgramProcess: 8 } as const;

/** The pids cgroup limit of the container: the program's own under runc, plus gVisor's under runsc. */
export function hostPidsLimit(policy: SandboxPolicy): number {
  return policy.runtime === 'runsc'
    ? GVISOR_HOST_TASKS.base + GVISOR_HOST_TASKS.perProgramProcess * policy.pidsLimit
    : policy.pidsLimit;
}

/**
 * Slack on top of a run's time limit before its container counts as leaked: covers a slow
 * create, the kill grace the sandbox allows a stuck engine (10 s), output drain and removal.
 */
const RUN_OVERRUN_MS = 60_000;

/**
 * Longest a container may live, from its creation; a pooled one may first wait for its program
 * for up to maxIdleMs. Past it nobody needs the container, whoever created it: the reaper
 * removes it (and the pool replaces an idle one it removed).
 */
export function maxLifetimeMs(policy: SandboxPolicy, pooled: boolean): number {
  return (
    (pooled ? policy.maxIdleMs : 0) + policy.compileTimeoutMs + policy.maxTimeoutMs + RUN_OVERRUN_MS
  );
}

/** Injection token of the SandboxPolicy. */
export const SANDBOX_POLICY = Symbol('SANDBOX_POLICY');

/**
 * The policy of one runtime: the operator's limits (SANDBOX_*), the runtime's own defaults where
 * the catalogue sets them, and its image (SANDBOX_IMAGE for python).
 */
export function sandboxPolicyFrom(
  config: SandboxConfig,
  runtime: RuntimeDefinition = findRuntime(DEFAULT_LANGUAGE)!,
): SandboxPolicy {
  const { launch, limits, compileLimits } = runtime;
  // A runtime's own default above the operator's cap is lowered to the cap.
  const runMemoryMb = Math.min(
    limits.memoryMb ?? config.SANDBOX_MEMORY_MB,
    config.SANDBOX_MAX_MEMORY_MB,
  );
  const compileMemoryMb = compileLimits?.memoryMb ?? 0;
  const resizable = config.SANDBOX_RUNTIME !== 'runsc';
  const memoryMb =
    compileMemoryMb === 0
      ? runMemoryMb
      : resizable
        ? compileMemoryMb
        : Math.max(compileMemoryMb, runMemoryMb);
  const command =
    launch.kind === 'python'
      ? launcherCommand(launch.interpreter)
      : launcherCommand(launch.interpreter, {
          sourceFile: runtime.sourceFile,
          command: launch.command,
          ...(launch.prestart ? { prestart: launch.prestart } : {}),
          ...(launch.compile
            ? { compile: launch.compile, compileTimeoutMs: compileLimits?.timeoutMs ?? 10_000 }
            : {}),
        });
  return {
    language: runtime.language,
    image: runtime.language === DEFAULT_LANGUAGE ? config.SANDBOX_IMAGE : runtime.image,
    command,
    env: runtime.env ?? [],
    compileTimeoutMs:
      launch.kind === 'exec' && launch.compile ? (compileLimits?.timeoutMs ?? 10_000) : 0,
    execWorkDir: launch.kind === 'exec' && launch.compile !== undefined,
    runtime: config.SANDBOX_RUNTIME,
    timeoutMs: Math.min(
      limits.timeoutMs ?? config.SANDBOX_TIMEOUT_MS,
      config.SANDBOX_MAX_TIMEOUT_MS,
    ),
    maxTimeoutMs: config.SANDBOX_MAX_TIMEOUT_MS,
    memoryBytes: memoryMb * MIB,
    runMemoryBytes: runMemoryMb * MIB,
    compileMemoryBytes: compileMemoryMb * MIB,
    resizable,
    nanoCpus: Math.round(config.SANDBOX_CPUS * 1e9),
    pidsLimit: config.SANDBOX_PIDS_LIMIT,
    outputLimitBytes: config.SANDBOX_OUTPUT_LIMIT_BYTES,
    tmpfsBytes: config.SANDBOX_TMPFS_MB * MIB,
    openFilesLimit: 256,
    fileSizeLimitBytes: config.SANDBOX_TMPFS_MB * MIB,
    maxIdleMs: POOLED_CONTAINER_MAX_IDLE_MS,
    outMaxFiles: config.OUT_FILES_MAX_COUNT,
    outMaxBytes: config.OUT_FILES_MAX_BYTES,
  };
}

/** Every runtime's policy, by language. */
export type SandboxPolicies = ReadonlyMap<string, SandboxPolicy>;

/** Injection token of the SandboxPolicies. */
export const SANDBOX_POLICIES = Symbol('SANDBOX_POLICIES');

export function sandboxPoliciesFrom(config: SandboxConfig): SandboxPolicies {
  return new Map(RUNTIMES.map((runtime) => [runtime.language, sandboxPolicyFrom(config, runtime)]));
}

/** Environment of the program: nothing of the service's own is passed in. */
const SANDBOX_ENV = [
  'PATH=/usr/local/bin:/usr/bin:/bin',
  'HOME=/tmp',
  'LANG=C.UTF-8',
  'PYTHONUNBUFFERED=1',
  'PYTHONDONTWRITEBYTECODE=1',
  'PYTHONIOENCODING=utf-8',
];

/**
 * The container spec of one program under this policy: every limit and every isolation
 * setting of a sandbox, in one place.
 */
export function containerSpec(
  policy: SandboxPolicy,
  { labels, pooled }: { labels: Record<string, string>; pooled: boolean },
): ContainerSpec {
  return {
    image: policy.image,
    runtime: policy.runtime,
    command: [...policy.command],
    env: [...SANDBOX_ENV, ...policy.env],
    user: SANDBOX_USER,
    workingDir: '/tmp',
    hostname: 'sandbox',
    labels: {
      ...labels,
      ...(pooled ? { [CONTAINER_LABELS.pool]: POOL_LABEL_VALUE } : {}),
      [CONTAINER_LABELS.managed]: 'true',
      [CONTAINER_LABELS.maxLifetimeMs]: String(maxLifetimeMs(policy, pooled)),
    },
    memoryBytes: policy.memoryBytes,
    nanoCpus: policy.nanoCpus,
    pidsLimit: hostPidsLimit(policy),
    tmpfs: {
      '/tmp': `rw,nosuid,nodev,${policy.execWorkDir ? 'exec' : 'noexec'},size=${policy.tmpfsBytes},mode=1777`,
    },
    shmBytes: policy.tmpfsBytes,
    processLimits: [
      { name: 'nofile', soft: policy.openFilesLimit, hard: policy.openFilesLimit },
      { name: 'core', soft: 0, hard: 0 },
      { name: 'fsize', soft: policy.fileSizeLimitBytes, hard: policy.fileSizeLimitBytes },
      ...(policy.runtime === 'runsc'
        ? [{ name: 'nproc' as const, soft: policy.pidsLimit, hard: policy.pidsLimit }]
        : []),
    ],
    oomScoreAdj: 1000, // if the host runs short of memory, a sandbox dies first
    network: 'none',
    readOnlyRootfs: true,
    dropAllCapabilities: true,
    noNewPrivileges: true,
    seccompProfile: seccompProfileText(policy.runtime),
    init: true, // tini as PID 1 reaps orphans and forwards signals
    privateNamespaces: true,
    keepLogs: false,
    // The program's stdin carries the code; attach before start, close after writing.
    stdin: 'open-once',
  };
}

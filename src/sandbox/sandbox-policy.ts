import { CONTAINER_LABELS, POOL_LABEL_VALUE } from './container-labels.js';
import type { ContainerSpec } from './engine/container-engine.js';
import { LAUNCHER_COMMAND } from './launcher/launcher.js';
import type { SandboxConfig } from './sandbox.config.js';

/** Unprivileged user the program runs as (nobody:nogroup exists in every Debian-based image). */
export const SANDBOX_USER = '65534:65534';

/**
 * The limits every program runs under, as data, in one place.
 * Built once from the validated configuration; `containerSpec` turns it into a container spec.
 */
export interface SandboxPolicy {
  readonly image: string;
  readonly runtime: string;
  readonly timeoutMs: number;
  readonly memoryBytes: number;
  readonly nanoCpus: number;
  /** Most processes and threads the program may run at once. */
  readonly pidsLimit: number;
  readonly outputLimitBytes: number;
  readonly tmpfsBytes: number;
  /** Most open files per process. */
  readonly openFilesLimit: number;
  /** Largest file a program may write (bytes); beyond it the write fails with EFBIG. */
  readonly fileSizeLimitBytes: number;
  /** Longest a pooled container waits for its program before the pool replaces it. */
  readonly maxIdleMs: number;
}

/** See SandboxPolicy.maxIdleMs: an hour, so the reaper can tell a leaked container from a waiting one. */
const POOLED_CONTAINER_MAX_IDLE_MS = 60 * 60_000;

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
  return (pooled ? policy.maxIdleMs : 0) + policy.timeoutMs + RUN_OVERRUN_MS;
}

/** Injection token of the SandboxPolicy. */
export const SANDBOX_POLICY = Symbol('SANDBOX_POLICY');

export function sandboxPolicyFrom(config: SandboxConfig): SandboxPolicy {
  return {
    image: config.SANDBOX_IMAGE,
    runtime: config.SANDBOX_RUNTIME,
    timeoutMs: config.SANDBOX_TIMEOUT_MS,
    memoryBytes: config.SANDBOX_MEMORY_MB * MIB,
    nanoCpus: Math.round(config.SANDBOX_CPUS * 1e9),
    pidsLimit: config.SANDBOX_PIDS_LIMIT,
    outputLimitBytes: config.SANDBOX_OUTPUT_LIMIT_BYTES,
    tmpfsBytes: config.SANDBOX_TMPFS_MB * MIB,
    openFilesLimit: 256,
    fileSizeLimitBytes: config.SANDBOX_TMPFS_MB * MIB,
    maxIdleMs: POOLED_CONTAINER_MAX_IDLE_MS,
  };
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
    command: [...LAUNCHER_COMMAND],
    env: SANDBOX_ENV,
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
    tmpfs: { '/tmp': `rw,nosuid,nodev,noexec,size=${policy.tmpfsBytes},mode=1777` },
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
    init: true, // tini as PID 1 reaps orphans and forwards signals
    privateNamespaces: true,
    keepLogs: false,
    // The program's stdin carries the code; attach before start, close after writing.
    stdin: 'open-once',
  };
}

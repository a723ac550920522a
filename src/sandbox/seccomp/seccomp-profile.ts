/**
 * The sandbox's seccomp profile: Docker's default (docker-default.json, vendored verbatim from
 * DOCKER_DEFAULT_SOURCE) minus DENIED_SYSCALLS, which fail with EPERM. profile.json is
 * generated from the two by `npm run seccomp:profile` (scripts/seccomp-profile.ts) and copied
 * to dist/ by the build (nest-cli.json `assets`). docs/SECURITY.md, "Seccomp profile".
 */

/** Where docker-default.json came from; its SHA-256 is checked by the unit test. */
export const DOCKER_DEFAULT_SOURCE = {
  repository: 'github.com/moby/moby',
  tag: 'docker-v29.7.2',
  commit: '6a43e3d5afddf4111da0f864bbc7cae5d7e95001',
  path: 'vendor/github.com/moby/profiles/seccomp/default.json',
  module: 'github.com/moby/profiles/seccomp v0.2.3',
  sha256: '536529b665dd0972c37bfb569f5d4ac8a53592e7b00752bc39ff063ca9864c74',
} as const;

/**
 * System calls Docker's default allows (some only with a capability the sandbox never has,
 * some from kernel 4.8 on, some not at all) that no program here needs, and why each is
 * denied outright. `personality` is not listed: Docker's default already allows only the
 * harmless personalities (query, PER_LINUX, UNAME26, 32-bit), and the profile keeps that.
 */
export const DENIED_SYSCALLS: Readonly<Record<string, string>> = {
  ptrace: 'tracing or stopping another process of the sandbox (tini, the launcher)',
  process_vm_readv: 'reading another process’s memory',
  process_vm_writev: 'writing another process’s memory',
  io_uring_setup: 'io_uring: a large, bug-prone kernel surface that bypasses per-call seccomp',
  io_uring_enter: 'io_uring (see io_uring_setup)',
  io_uring_register: 'io_uring (see io_uring_setup)',
  userfaultfd: 'stalling the kernel at a chosen page fault, a common exploit primitive',
  keyctl: 'the kernel keyring is not namespaced',
  add_key: 'the kernel keyring is not namespaced',
  request_key: 'the kernel keyring is not namespaced',
  perf_event_open: 'performance counters: side channels and a history of kernel bugs',
  bpf: 'loading BPF programs into the kernel',
  unshare: 'new namespaces (a user namespace would grant capabilities inside it)',
  setns: 'joining other namespaces',
  mount: 'mounting file systems',
  umount: 'unmounting file systems',
  umount2: 'unmounting file systems',
  pivot_root: 'changing the root file system',
  move_mount: 'the new mount API',
  open_tree: 'the new mount API',
  fsopen: 'the new mount API',
  fsmount: 'the new mount API',
  fsconfig: 'the new mount API',
  fspick: 'the new mount API',
  mount_setattr: 'the new mount API',
};

/** errno of every denied call: EPERM, as for anything else the profile does not allow. */
export const DENIED_ERRNO = 1;
const ENOSYS = 38;

/** A rule of Docker's seccomp profile format (moby/profiles/seccomp, `Syscall`). */
export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
  comment?: string;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[]; minKernel?: string };
}

/** Docker's seccomp profile format (moby/profiles/seccomp, `Seccomp`). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures: string[] }[];
  syscalls: SeccompRule[];
}

/**
 * Docker's default profile minus DENIED_SYSCALLS: the denied names taken out of every rule,
 * then one rule that denies them all with EPERM (explicit, so that an allow rule a later Docker
 * default adds cannot bring one back unnoticed). Everything else is Docker's, unchanged.
 */
export function profileFrom(dockerDefault: SeccompProfile): SeccompProfile {
  const denied = Object.keys(DENIED_SYSCALLS);
  const syscalls = dockerDefault.syscalls
    .map((rule) => ({ ...rule, names: rule.names.filter((name) => !denied.includes(name)) }))
    .filter((rule) => rule.names.length > 0);
  syscalls.push({
    names: denied,
    action: 'SCMP_ACT_ERRNO',
    errnoRet: DENIED_ERRNO,
    comment:
      'safe-code-executor: never needed by a program (src/sandbox/seccomp/seccomp-profile.ts)',
  });
  return { ...dockerDefault, syscalls };
}

/**
 * The profile as gVisor gets it. runsc (20221219) answers every SCMP_ACT_ERRNO rule with EPERM,
 * whatever its errnoRet, and glibc falls back from clone3 to clone only on ENOSYS: Docker's rule
 * "clone3 fails with ENOSYS" (seccomp cannot see clone3's flags, clone's it can) would make
 * every thread creation fail. gVisor does not implement clone3 and answers ENOSYS itself, so
 * under runsc that rule becomes an allow rule (the kernel suite pins the ENOSYS).
 */
export function forGvisor(profile: SeccompProfile): SeccompProfile {
  return {
    ...profile,
    syscalls: profile.syscalls.map((rule) => {
      if (rule.names.join() !== 'clone3' || rule.errnoRet !== ENOSYS) return rule;
      const { errnoRet: _, ...allowed } = rule;
      return {
        ...allowed,
        action: 'SCMP_ACT_ALLOW',
        comment: 'safe-code-executor: gVisor answers ENOSYS itself (forGvisor)',
      };
    }),
  };
}

import {
  expectAllBlocked,
  PRINT_REPORT,
  PROBE,
  program,
  reportOf,
  type Attack,
} from '../attack-kit.js';

/**
 * Privilege and kernel: identity, capabilities, and attempts to escalate.
 * Run by test/hostile/privilege.e2e-spec.ts and by `npm run experiments`.
 */

export const privilegeAttacks: Attack[] = [
  program(
    'privilege',
    'who am I',
    'not root, no effective capabilities, NoNewPrivs 1, a seccomp filter in place',
    [
      'import ctypes, os',
      'status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)',
      'print("uid", os.getuid(), os.geteuid(), "gid", os.getgid(), "groups", os.getgroups())',
      'for key in ("CapEff", "CapPrm", "CapInh", "CapAmb", "Seccomp"):',
      '    print(key, status.get(key, "absent").strip())',
      'PR_GET_NO_NEW_PRIVS = 39',
      'print("NoNewPrivs", ctypes.CDLL(None).prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0))',
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      const field = (name: string) => new RegExp(`^${name} (.+)$`, 'm').exec(result.output)?.[1];
      verdict.equal(
        /^uid (\d+) (\d+)/m.exec(result.output)?.slice(1),
        ['65534', '65534'],
        'uid, euid',
      );
      for (const key of ['CapEff', 'CapPrm', 'CapInh'])
        verdict.equal(field(key), '0000000000000000', key);
      verdict.equal(field('NoNewPrivs'), '1', 'NoNewPrivs (prctl)');
      if (context.limits.runtime === 'runsc') {
        // gVisor's /proc shows neither ambient capabilities nor a seccomp mode: its own kernel
        // implements the system calls, and its seccomp filter is on the Sentry, outside.
        verdict.oneOf(field('CapAmb'), ['0000000000000000', 'absent'], 'CapAmb');
      } else {
        verdict.equal(field('CapAmb'), '0000000000000000', 'CapAmb');
        verdict.equal(field('Seccomp'), '2', 'Seccomp (filter mode)');
      }
    },
  ),
  program(
    'privilege',
    'escalate',
    'setuid binaries, su, mount, unshare, ptrace, chroot, setuid(0), kernel writes all fail',
    [
      PROBE,
      'import ctypes, ctypes.util, os, subprocess',
      'libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)',
      'def call(name, *args):',
      '    if getattr(libc, name)(*args) != 0:',
      '        errno = ctypes.get_errno()',
      '        raise OSError(errno, os.strerror(errno))',
      '    return "succeeded"',
      'def run(*argv):',
      '    done = subprocess.run(argv, capture_output=True, text=True, timeout=3)',
      '    if done.returncode != 0:',
      '        raise OSError(done.returncode, (done.stderr or done.stdout).strip()[:80])',
      '    return done.stdout.strip()[:80]',
      'def setuid_binaries():',
      '    found = run("find", "/", "-xdev", "-perm", "/6000", "-type", "f")',
      '    if found:',
      '        return found',
      '    raise OSError("no setuid or setgid binaries")',
      'attempt("setuid binaries present", setuid_binaries)',
      'attempt("su root", lambda: run("su", "root", "-c", "id"))',
      'attempt("setuid(0)", lambda: os.setuid(0))',
      'attempt("mount tmpfs (command)", lambda: run("mount", "-t", "tmpfs", "none", "/tmp"))',
      'attempt("mount tmpfs (syscall)", lambda: call("mount", b"none", b"/tmp", b"tmpfs", 0, None))',
      'def ptrace_pid_1():',
      '    call("ptrace", 16, 1, None, None)  # PTRACE_ATTACH',
      '    os.waitpid(1, 0x40000000)  # __WALL: wait for the stop, then let go',
      '    call("ptrace", 17, 1, None, None)  # PTRACE_DETACH',
      '    return "attached to PID 1"',
      'attempt("ptrace attach PID 1", ptrace_pid_1)',
      'attempt("ptrace attach the engine (PID 1 of the host is not visible)", lambda: call("ptrace", 16, 999999, None, None))',
      'attempt("chroot", lambda: os.chroot("/tmp"))',
      'attempt("write /proc/sys/kernel/hostname", lambda: open("/proc/sys/kernel/hostname", "w").write("owned"))',
      'attempt("write /proc/sys/vm/drop_caches", lambda: open("/proc/sys/vm/drop_caches", "w").write("3"))',
      'attempt("write /proc/sysrq-trigger", lambda: open("/proc/sysrq-trigger", "w").write("b"))',
      'attempt("write memory cgroup limit", lambda: open("/sys/fs/cgroup/memory/memory.limit_in_bytes", "w").write("-1"))',
      'attempt("write pids cgroup limit", lambda: open("/sys/fs/cgroup/pids/pids.max", "w").write("max"))',
      'attempt("create a cgroup", lambda: os.mkdir("/sys/fs/cgroup/memory/evil"))',
      'attempt("write /sys/kernel", lambda: open("/sys/kernel/uevent_helper", "w").write("/tmp/x"))',
      'attempt("mknod and read a host disk", lambda: (os.mknod("/tmp/sda", 0o600 | 0o060000, os.makedev(8, 0)), open("/tmp/sda", "rb").read(512)))',
      'attempt("load a kernel module", lambda: call("init_module", None, 0, b""))',
      'attempt("bpf", lambda: call("syscall", 321, 0, None, 0))',
      'attempt("perf_event_open", lambda: call("syscall", 298, None, 0, -1, -1, 0))',
      'attempt("keyctl", lambda: call("syscall", 250, 0, 0, 0, 0, 0))',
      'attempt("raise RLIMIT_NPROC", lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_NPROC, (-1, -1)))',
      '# Last: under gVisor these succeed, and a new user namespace would colour the probes after it.',
      'attempt("unshare user namespace (command)", lambda: run("unshare", "-r", "id"))',
      'attempt("unshare(CLONE_NEWUSER|CLONE_NEWNS)", lambda: call("unshare", 0x10000000 | 0x00020000))',
      'attempt("unshare(CLONE_NEWNET)", lambda: call("unshare", 0x40000000))',
      PRINT_REPORT,
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      // Under runc, Docker's default seccomp profile allows ptrace (kernel >= 4.8) between
      // processes of the same user: the program can trace tini, its PID 1, which runs as the
      // same unprivileged user with no capabilities. See docs/SECURITY.md, "Not defended".
      const allowed = context.limits.runtime === 'runc' ? ['ptrace attach PID 1'] : [];
      // Under gVisor, user and network namespaces are the Sentry's own, inside the sandbox:
      // uid 0 in a new user namespace there grants nothing on the host.
      if (context.limits.runtime === 'runsc')
        allowed.push(
          'unshare user namespace (command)',
          'unshare(CLONE_NEWUSER|CLONE_NEWNS)',
          'unshare(CLONE_NEWNET)',
        );
      expectAllBlocked(reportOf(result, verdict), verdict, 24, allowed);
    },
  ),
];

import { PRINT_REPORT, PROBE, program, reportOf, type Attack } from '../attack-kit.js';

/**
 * Kernel surface: one case per system call the sandbox's seccomp profile denies
 * (src/sandbox/seccomp/), and what noexec /tmp does not stop.
 * Run by test/hostile/kernel.e2e-spec.ts and by `npm run experiments`.
 */
/**
 * A system call the sandbox's seccomp profile denies (src/sandbox/seccomp/seccomp-profile.ts),
 * called by number through ctypes with arguments that would succeed, or fail with another errno
 * than EPERM, were it allowed. Numbers per machine: x86_64 and aarch64 differ below 403.
 */
interface DeniedCall {
  name: string;
  numbers: { x86_64: number; aarch64: number };
  /** Python arguments after the number (L = c_long, P = c_void_p). */
  args: string;
  /** Python run before the call (may define names the arguments use). */
  setup?: string;
  /** Python run if the call succeeded (`result` holds its value), to leave the sandbox as it was. */
  undo?: string;
  /** The errno it must fail with; EPERM unless said otherwise. */
  errno?: string;
}

const AT_FDCWD = '-100';
const DENIED_CALLS: DeniedCall[] = [
  {
    name: 'ptrace(PTRACE_ATTACH, 1)',
    numbers: { x86_64: 101, aarch64: 117 },
    args: 'L(16), L(1), P(None), P(None)',
    // Let tini go again: wait for its stop (__WALL), then PTRACE_DETACH.
    undo: 'os.waitpid(1, 0x40000000); libc.syscall(L(NR), L(17), L(1), P(None), P(None))',
  },
  ...(['process_vm_readv', 'process_vm_writev'] as const).map((name, i) => ({
    name: `${name} (own memory)`,
    numbers: { x86_64: 310 + i, aarch64: 270 + i },
    setup: [
      'class iovec(ctypes.Structure): _fields_ = [("base", P), ("len", ctypes.c_size_t)]',
      'a, b = ctypes.create_string_buffer(b"hello", 8), ctypes.create_string_buffer(8)',
      'local, remote = iovec(ctypes.cast(b, P), 5), iovec(ctypes.cast(a, P), 5)',
    ].join('\n'),
    args: 'L(os.getpid()), ctypes.byref(local), L(1), ctypes.byref(remote), L(1), L(0)',
  })),
  {
    name: 'io_uring_setup',
    numbers: { x86_64: 425, aarch64: 425 },
    setup: 'params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed',
    args: 'L(1), params',
  },
  // With a bad descriptor: EBADF (or EINVAL) if allowed, EPERM if denied.
  {
    name: 'io_uring_enter',
    numbers: { x86_64: 426, aarch64: 426 },
    args: 'L(-1), L(0), L(0), L(0), P(None), L(0)',
  },
  {
    name: 'io_uring_register',
    numbers: { x86_64: 427, aarch64: 427 },
    args: 'L(-1), L(0), P(None), L(0)',
  },
  // UFFD_USER_MODE_ONLY: allowed to unprivileged users by the kernel's own default.
  { name: 'userfaultfd', numbers: { x86_64: 323, aarch64: 282 }, args: 'L(1)' },
  // KEYCTL_GET_KEYRING_ID of the session keyring.
  { name: 'keyctl', numbers: { x86_64: 250, aarch64: 219 }, args: 'L(0), L(-3), L(0)' },
  {
    name: 'add_key',
    numbers: { x86_64: 248, aarch64: 217 },
    args: 'b"user", b"sce", b"data", L(4), L(-2)',
  },
  {
    name: 'request_key',
    numbers: { x86_64: 249, aarch64: 218 },
    args: 'b"user", b"sce", P(None), L(0)',
  },
  // A NULL attr: EFAULT if allowed.
  {
    name: 'perf_event_open',
    numbers: { x86_64: 298, aarch64: 241 },
    args: 'P(None), L(0), L(-1), L(-1), L(0)',
  },
  { name: 'bpf', numbers: { x86_64: 321, aarch64: 280 }, args: 'L(0), P(None), L(0)' },
  // CLONE_NEWUSER: allowed to unprivileged users by the kernel, and by gVisor.
  { name: 'unshare(CLONE_NEWUSER)', numbers: { x86_64: 272, aarch64: 97 }, args: 'L(0x10000000)' },
  { name: 'setns', numbers: { x86_64: 308, aarch64: 268 }, args: 'L(-1), L(0x04000000)' },
  {
    name: 'mount',
    numbers: { x86_64: 165, aarch64: 40 },
    args: 'b"none", b"/tmp", b"tmpfs", L(0), P(None)',
  },
  { name: 'umount2', numbers: { x86_64: 166, aarch64: 39 }, args: 'b"/tmp", L(0)' },
  { name: 'pivot_root', numbers: { x86_64: 155, aarch64: 41 }, args: 'b"/tmp", b"/tmp"' },
  {
    name: 'open_tree',
    numbers: { x86_64: 428, aarch64: 428 },
    args: `L(${AT_FDCWD}), b"/tmp", L(1)`,
  },
  {
    name: 'move_mount',
    numbers: { x86_64: 429, aarch64: 429 },
    args: `L(-1), b"", L(${AT_FDCWD}), b"/tmp", L(4)`,
  },
  { name: 'fsopen', numbers: { x86_64: 430, aarch64: 430 }, args: 'b"tmpfs", L(0)' },
  {
    name: 'fsconfig',
    numbers: { x86_64: 431, aarch64: 431 },
    args: 'L(-1), L(6), P(None), P(None), L(0)',
  },
  { name: 'fsmount', numbers: { x86_64: 432, aarch64: 432 }, args: 'L(-1), L(0), L(0)' },
  { name: 'fspick', numbers: { x86_64: 433, aarch64: 433 }, args: `L(${AT_FDCWD}), b"/tmp", L(0)` },
  {
    name: 'mount_setattr',
    numbers: { x86_64: 442, aarch64: 442 },
    args: `L(${AT_FDCWD}), b"/tmp", L(0), P(None), L(0)`,
  },
  // Docker's default allows only the query and PER_LINUX, UNAME26 and PER_LINUX32 (and
  // combinations); ADDR_NO_RANDOMIZE would turn off address randomisation for the program.
  {
    name: 'personality(ADDR_NO_RANDOMIZE)',
    numbers: { x86_64: 135, aarch64: 92 },
    args: 'L(0x0040000)',
  },
  // Seccomp cannot see clone3's flags (they are in memory), so Docker makes it ENOSYS and glibc
  // falls back to clone, whose namespace flags it refuses. Any other errno (gVisor answered
  // EPERM to every errno rule) and glibc gives up: no program could start a thread.
  {
    name: 'clone3 (ENOSYS: threads fall back to clone)',
    numbers: { x86_64: 435, aarch64: 435 },
    args: 'P(None), L(0)',
    errno: 'ENOSYS',
  },
];

/** Calls one system call by number and prints `{"result": ..., "errno": "EPERM"}`. */
function deniedCallProgram(call: DeniedCall): string {
  return [
    'import ctypes, errno, json, os, platform',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'libc.syscall.restype = ctypes.c_long',
    'L, P = ctypes.c_long, ctypes.c_void_p',
    `NR = ${JSON.stringify(call.numbers)}[platform.machine()]`,
    call.setup ?? '',
    'ctypes.set_errno(0)',
    `result = libc.syscall(L(NR), ${call.args})`,
    'code = ctypes.get_errno() if result == -1 else 0',
    ...(call.undo ? [`if result != -1: ${call.undo}`] : []),
    'print(json.dumps({"result": result, "errno": errno.errorcode.get(code, code)}))',
  ].join('\n');
}

export const kernelAttacks: Attack[] = [
  ...DENIED_CALLS.map((call) =>
    program(
      'kernel',
      call.name,
      `fails with ${call.errno ?? 'EPERM'} (the sandbox's seccomp profile), under runc and gVisor alike`,
      deniedCallProgram(call),
      (result, verdict) => {
        verdict.equal(result.status, 'success', 'status');
        const report = reportOf<{ result: number; errno: string | number }>(result, verdict);
        verdict.equal(report, { result: -1, errno: call.errno ?? 'EPERM' }, `${call.name}`);
      },
    ),
  ),
  program(
    'kernel',
    'code that noexec /tmp does not stop',
    'memfd_create + execve and anonymous executable mappings work (pinned: docs/SECURITY.md); exec of /tmp files does not, nor (runc) PROT_EXEC mappings of them',
    [
      PROBE,
      'import ctypes, mmap, os, platform, shutil, subprocess',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'libc.mmap.restype = ctypes.c_void_p',
      'libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]',
      '# return 42: mov eax, 42; ret (x86_64) or mov w0, #42; ret (aarch64)',
      'RETURN_42 = {"x86_64": b"\\xb8\\x2a\\x00\\x00\\x00\\xc3", "aarch64": b"\\x40\\x05\\x80\\x52\\xc0\\x03\\x5f\\xd6"}[platform.machine()]',
      'def check(done):',
      '    if done.returncode != 0:',
      '        raise OSError(done.returncode, done.stderr.strip()[:80])',
      '    return done.stdout.strip()',
      'def exec_memfd():',
      '    fd = os.memfd_create("program", 0)',
      '    with open("/bin/echo", "rb") as binary:',
      '        os.write(fd, binary.read())',
      '    return check(subprocess.run([f"/proc/self/fd/{fd}", "ran from a memfd"], pass_fds=[fd], capture_output=True, text=True))',
      'def exec_tmp():',
      '    shutil.copy("/bin/echo", "/tmp/echo")',
      '    os.chmod("/tmp/echo", 0o755)',
      '    return check(subprocess.run(["/tmp/echo", "ran from /tmp"], capture_output=True, text=True))',
      'def call_at(address):',
      '    return ctypes.CFUNCTYPE(ctypes.c_int)(address)()',
      'def rwx_mapping():',
      '    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)',
      '    page.write(RETURN_42)',
      '    return call_at(ctypes.addressof(ctypes.c_char.from_buffer(page)))',
      'def written_then_mprotect():',
      '    address = libc.mmap(None, mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)',
      '    ctypes.memmove(address, RETURN_42, len(RETURN_42))',
      '    if libc.mprotect(ctypes.c_void_p(address), mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_EXEC) != 0:',
      '        raise OSError(ctypes.get_errno(), "mprotect")',
      '    return call_at(address)',
      'def exec_mapping_of_tmp_file():',
      '    with open("/tmp/code", "wb") as f:',
      '        f.write(RETURN_42.ljust(mmap.PAGESIZE, b"\\0"))',
      '    fd = os.open("/tmp/code", os.O_RDONLY)',
      '    address = libc.mmap(None, mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_EXEC, mmap.MAP_PRIVATE, fd, 0)',
      '    if address in (None, 2**64 - 1):',
      '        error = ctypes.get_errno()',
      '        raise OSError(error, os.strerror(error))',
      '    return call_at(address)',
      'attempt("execve of a memfd", exec_memfd)',
      'attempt("execve of a file in /tmp", exec_tmp)',
      'attempt("anonymous PROT_WRITE|PROT_EXEC mapping, called", rwx_mapping)',
      'attempt("anonymous mapping written, mprotect to PROT_EXEC, called", written_then_mprotect)',
      'attempt("PROT_EXEC mapping of a file in /tmp, called", exec_mapping_of_tmp_file)',
      PRINT_REPORT,
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      const report = reportOf<Record<string, string>>(result, verdict);
      if (!report) return;
      // noexec keeps files out, not code: the program can already run any code it likes
      // through ctypes (and bash, perl), and every limit that matters (user, capabilities,
      // seccomp, cgroups, namespaces) holds for code from a memfd or a mapping alike.
      // docs/SECURITY.md, "What noexec /tmp does not stop".
      const refused = 'blocked: PermissionError';
      const seen = Object.fromEntries(
        Object.entries(report).map(([probe, outcome]) => [
          probe,
          outcome.startsWith(refused) ? refused : outcome,
        ]),
      );
      verdict.equal(
        seen,
        {
          'execve of a memfd': "ALLOWED: 'ran from a memfd'",
          'execve of a file in /tmp': refused,
          'anonymous PROT_WRITE|PROT_EXEC mapping, called': 'ALLOWED: 42',
          'anonymous mapping written, mprotect to PROT_EXEC, called': 'ALLOWED: 42',
          // gVisor applies noexec to execve only, not to mmap.
          'PROT_EXEC mapping of a file in /tmp, called':
            context.limits.runtime === 'runsc' ? 'ALLOWED: 42' : refused,
        },
        'what runs despite noexec /tmp',
      );
    },
  ),
];

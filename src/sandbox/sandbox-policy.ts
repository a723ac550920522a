import type { AppConfig } from '../config/app-config.js';
import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import { sandboxSecurityOpt } from './seccomp/seccomp-security-opt.js';

/** Fields of Docker's API that @types/dockerode does not list yet. */
type HostConfigWithCgroupns = HostConfig & { CgroupnsMode: 'private' | 'host' };

/** Label put on every container the service creates; reaping and leak checks select on it. */
export const MANAGED_LABEL = 'safe-code-executor.managed';
/** Label naming the service instance that created a container. */
export const INSTANCE_LABEL = 'safe-code-executor.instance';

/** Unprivileged user the program runs as (nobody:nogroup exists in every Debian-based image). */
export const SANDBOX_USER = '65534:65534';

/**
 * The limits every program runs under, as data, in one place.
 * Built once from the validated configuration; `containerSpec` turns it into the engine's terms.
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
}

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

export function sandboxPolicyFrom(config: AppConfig): SandboxPolicy {
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
  };
}

/**
 * Byte the launcher writes on stdout once it holds the whole program, just before running it.
 * The service takes it off the output; a container that exits without it never ran its program
 * (for example a pooled container that died while waiting), so the program can safely be run
 * again elsewhere.
 */
export const PROGRAM_START_MARKER = 0x06;

/**
 * Reads the program from standard input, framed as `<byte length> <end token>\n<source><stdin>`,
 * writes it to /tmp/main.py inside the container and runs it there as `python3 -u /tmp/main.py`
 * would: as `__main__`, with that file name, argv, sys.path[0], loader and exit status, and
 * tracebacks that do not show the launcher. Just before the program starts it writes
 * PROGRAM_START_MARKER on stdout; when it has ended (returned, raised or called sys.exit), it
 * writes the end report of program-end.ts on stdout and stderr. The code never touches the
 * host's file system, and
 * the program's fd 0 is left exactly at the first byte of its own stdin (os.read takes no more
 * than it asks for).
 *
 * It runs the program in its own, already started interpreter rather than exec'ing a second
 * one: in a pooled container the launcher has started before the program arrives, so the
 * program does not wait for an interpreter start (about 10 ms of every run; docs/PERFORMANCE.md).
 * The one visible difference: introspection of the stack (inspect.stack(), recursion depth)
 * sees one more frame, the launcher's.
 */
export const LAUNCHER_SOURCE = [
  'import atexit, builtins, importlib.machinery, os, sys, types',
  'header = b""',
  'while not header.endswith(b"\\n"):',
  '    byte = os.read(0, 1)',
  '    if not byte: sys.exit("launcher: no program received")',
  '    header += byte',
  'length, token = header.split()',
  'remaining = int(length)',
  'chunks = []',
  'chunk = b""',
  'while remaining:',
  '    chunk = os.read(0, min(remaining, 65536))',
  '    if not chunk: break',
  '    chunks.append(chunk)',
  '    remaining -= len(chunk)',
  'source = b"".join(chunks)',
  'fd = os.open("/tmp/main.py", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)',
  'view = memoryview(source)',
  'while view: view = view[os.write(fd, view):]',
  'os.close(fd)',
  'main = types.ModuleType("__main__")',
  'main.__file__ = "/tmp/main.py"',
  'main.__cached__ = None',
  'main.__builtins__ = builtins',
  'main.__loader__ = importlib.machinery.SourceFileLoader("__main__", "/tmp/main.py")',
  'sys.modules["__main__"] = main',
  'sys.argv[:] = ["/tmp/main.py"]',
  'sys.orig_argv[:] = [sys.executable, "-u", "/tmp/main.py"]',
  'sys.path[0] = "/tmp"',
  // The end report (program-end.ts), from the first atexit handler registered, which runs
  // last: after the program's own handlers and after its non-daemon threads have finished.
  'status = [0]',
  'def report_end(pid=os.getpid(), prefix=b"\\x1eSCE-END " + token + b" ", status=status):',
  '    if os.getpid() != pid: return',
  '    for stream in (sys.stdout, sys.stderr):',
  '        try: stream.flush()',
  '        except Exception: pass',
  '    oom = -1',
  '    for path in ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"):',
  '        try:',
  '            with open(path) as counters:',
  '                for line in counters:',
  '                    if line.startswith("oom_kill "): oom = int(line.split()[1])',
  '            break',
  '        except (OSError, ValueError): pass',
  '    report = prefix + b"%d %d\\x1e" % (status[0], oom)',
  '    for out in (1, 2):',
  '        try: os.write(out, report)',
  '        except OSError: pass',
  'atexit.register(report_end)',
  'del header, length, token, remaining, chunks, chunk, view, fd, builtins, importlib, types',
  'os.write(1, b"\\x06")',
  'try:',
  '    exec(compile(source, "/tmp/main.py", "exec", dont_inherit=True), main.__dict__)',
  'except SystemExit as stop:',
  '    code = stop.code',
  '    status[0] = 0 if code is None else code & 0xFF if isinstance(code, int) else 1',
  '    raise',
  'except BaseException as error:',
  '    del source',
  '    tb = error.__traceback__',
  '    tb = None if isinstance(error, SyntaxError) and tb.tb_next is None else tb.tb_next',
  '    sys.excepthook(type(error), error.with_traceback(tb), tb)',
  '    if isinstance(error, KeyboardInterrupt):',
  '        import signal',
  '        signal.signal(signal.SIGINT, signal.SIG_DFL)',
  '        os.kill(os.getpid(), signal.SIGINT)',
  '    status[0] = 1',
  '    sys.exit(1)',
].join('\n');

/**
 * Frames a program and its stdin for LAUNCHER_SOURCE: `<byte length> <end token>\n<source><stdin>`.
 * `endToken` (hex) goes into the launcher's end report (program-end.ts).
 */
export function frameProgram(code: string, stdin: string, endToken: string): Buffer {
  const source = Buffer.from(code, 'utf8');
  return Buffer.concat([
    Buffer.from(`${source.length} ${endToken}\n`),
    source,
    Buffer.from(stdin, 'utf8'),
  ]);
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

/** Docker's create-container body for one program under this policy. */
export function containerCreateOptions(
  policy: SandboxPolicy,
  labels: Record<string, string>,
): ContainerCreateOptions {
  const hostConfig: HostConfigWithCgroupns = {
    Runtime: policy.runtime,
    NetworkMode: 'none',
    Memory: policy.memoryBytes,
    MemorySwap: policy.memoryBytes, // equal to Memory: no swap at all
    NanoCpus: policy.nanoCpus,
    PidsLimit: hostPidsLimit(policy),
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': `rw,nosuid,nodev,noexec,size=${policy.tmpfsBytes},mode=1777` },
    ShmSize: policy.tmpfsBytes,
    CapDrop: ['ALL'],
    SecurityOpt: sandboxSecurityOpt(policy.runtime), // no-new-privileges + the seccomp profile (seccomp/)
    Init: true, // tini as PID 1 reaps orphans and forwards signals
    IpcMode: 'private',
    CgroupnsMode: 'private',
    Ulimits: [
      { Name: 'nofile', Soft: policy.openFilesLimit, Hard: policy.openFilesLimit },
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'fsize', Soft: policy.fileSizeLimitBytes, Hard: policy.fileSizeLimitBytes },
      ...(policy.runtime === 'runsc'
        ? [{ Name: 'nproc', Soft: policy.pidsLimit, Hard: policy.pidsLimit }]
        : []),
    ],
    // Output is read through the attach stream; nothing is written to the host's disk.
    LogConfig: { Type: 'none', Config: {} },
    OomScoreAdj: 1000, // if the host runs short of memory, a sandbox dies first
    AutoRemove: false, // removed by the service after its exit state is read
    Binds: [],
    Mounts: [],
    Devices: [],
    Privileged: false,
  };
  return {
    Image: policy.image,
    Cmd: ['python3', '-u', '-c', LAUNCHER_SOURCE],
    Env: SANDBOX_ENV,
    User: SANDBOX_USER,
    WorkingDir: '/tmp',
    Hostname: 'sandbox',
    Labels: { ...labels, [MANAGED_LABEL]: 'true' },
    // The program's stdin carries the code; attach before start, close after writing.
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: true,
    HostConfig: hostConfig,
  };
}

import {
  expectAllBlocked,
  MIB,
  PRINT_REPORT,
  PROBE,
  program,
  reportOf,
  type Attack,
} from '../attack-kit.js';

/**
 * Disk and files: writes outside /tmp, filling /tmp, executing from it, descriptor limits.
 * Run by test/hostile/files.e2e-spec.ts and by `npm run experiments`.
 */

export const fileAttacks: Attack[] = [
  program(
    'files',
    'writes anywhere on the root file system',
    'every write outside /tmp fails (read-only root, unprivileged user)',
    [
      PROBE,
      'import os',
      'def write(path):',
      '    with open(path, "a") as f:',
      '        f.write("owned\\n")',
      '    return path',
      'for path in ("/evil", "/etc/passwd", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname",',
      '             "/usr/lib/python3.11/os.py", "/usr/local/evil", "/root/evil", "/home/evil",',
      '             "/var/tmp/evil", "/var/log/evil", "/run/evil", "/dev/evil", "/proc/evil"):',
      '    attempt("write " + path, lambda path=path: write(path))',
      'attempt("mkdir /opt/evil", lambda: os.mkdir("/opt/evil"))',
      'attempt("chmod /etc/passwd", lambda: os.chmod("/etc/passwd", 0o777))',
      'attempt("rename /etc/hosts", lambda: os.rename("/etc/hosts", "/etc/hosts2"))',
      'attempt("symlink in /", lambda: os.symlink("/tmp", "/evil-link"))',
      PRINT_REPORT,
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      expectAllBlocked(reportOf(result, verdict), verdict, 18);
    },
  ),
  program(
    'files',
    'fill /tmp',
    '/tmp is writable but full at its size cap (ENOSPC or EFBIG, as an error)',
    [
      'import os',
      'written = 0',
      'chunk = b"x" * (1024 * 1024)',
      'try:',
      '    with open("/tmp/big", "wb") as f:',
      '        for _ in range(1024):',
      '            f.write(chunk)',
      '            f.flush()',
      '            written += 1',
      'except OSError as error:',
      '    print("stopped after", written, "MiB:", error.strerror)',
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      const stopped = /stopped after (\d+) MiB: (.+)/.exec(result.output);
      verdict.ok(stopped !== null, `the write failed (${result.output.slice(0, 100)})`);
      if (!stopped) return;
      verdict.ok(Number(stopped[1]) >= 1, '/tmp is writable');
      verdict.atMost(Number(stopped[1]), context.limits.tmpfsBytes / MIB, 'MiB written to /tmp');
    },
  ),
  program(
    'files',
    'execute a file written to /tmp',
    'fails: /tmp is mounted noexec, nosuid',
    [
      PROBE,
      'import os, subprocess',
      'with open("/tmp/evil.sh", "w") as f:',
      '    f.write("#!/bin/sh\\necho pwned\\n")',
      'os.chmod("/tmp/evil.sh", 0o4755)',
      'attempt("exec /tmp/evil.sh", lambda: subprocess.run(["/tmp/evil.sh"], check=True, capture_output=True).stdout)',
      'import shutil',
      'shutil.copy("/bin/true", "/tmp/true")',
      'os.chmod("/tmp/true", 0o755)',
      'attempt("exec copied binary", lambda: subprocess.run(["/tmp/true"], check=True).returncode)',
      'import ctypes',
      'shutil.copy("/bin/true", "/dev/shm/true")',
      'os.chmod("/dev/shm/true", 0o755)',
      'attempt("exec from /dev/shm", lambda: subprocess.run(["/dev/shm/true"], check=True).returncode)',
      'attempt("load a library from /tmp", lambda: (shutil.copy(ctypes.util.find_library("c") and "/lib/x86_64-linux-gnu/libc.so.6", "/tmp/libc.so.6"), ctypes.CDLL("/tmp/libc.so.6")))',
      PRINT_REPORT,
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      expectAllBlocked(reportOf(result, verdict), verdict, 4);
    },
  ),
  program(
    'files',
    'file descriptor exhaustion',
    'open() fails with EMFILE at the nofile limit: an error, not a hang',
    'files = []\nwhile True:\n    files.append(open("/dev/null"))',
    (result, verdict, context) => {
      verdict.equal(result.status, 'runtime_error', 'status');
      verdict.ok(result.stderr.includes('Too many open files'), 'stderr names EMFILE');
      verdict.ok(result.durationMs < context.limits.timeoutMs, 'ended before the time limit');
    },
  ),
  program(
    'files',
    'file descriptors counted',
    'the count of descriptors a program can hold is the nofile limit',
    [
      'import os, resource',
      'soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)',
      'held = []',
      'try:',
      '    while True:',
      '        held.append(os.open("/dev/null", os.O_RDONLY))',
      'except OSError as error:',
      '    print("limit", soft, hard, "opened", len(held), "errno", error.errno)',
      'attempt_raise = None',
      'try:',
      '    resource.setrlimit(resource.RLIMIT_NOFILE, (hard * 4, hard * 4))',
      '    print("raised")',
      'except (ValueError, OSError) as error:',
      '    print("raise refused")',
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      const line = /limit (\d+) (\d+) opened (\d+) errno (\d+)/.exec(result.output);
      verdict.ok(line !== null, `the program reported its limit (${result.output})`);
      if (!line) return;
      verdict.equal(Number(line[1]), context.limits.openFilesLimit, 'soft nofile');
      verdict.equal(Number(line[2]), context.limits.openFilesLimit, 'hard nofile');
      verdict.atMost(Number(line[3]), context.limits.openFilesLimit, 'descriptors opened');
      verdict.equal(Number(line[4]), 24, 'errno (EMFILE)');
      verdict.ok(result.output.includes('raise refused'), 'the hard limit cannot be raised');
    },
  ),
  program(
    'files',
    'no core files',
    'RLIMIT_CORE is 0 and a crashing child leaves no core dump',
    [
      'import os, resource, glob',
      'print("core limit", resource.getrlimit(resource.RLIMIT_CORE))',
      'pid = os.fork()',
      'if pid == 0:',
      '    os.abort()',
      '_, status = os.waitpid(pid, 0)',
      'print("signalled", os.WIFSIGNALED(status), "core dumped", os.WCOREDUMP(status))',
      'print("core files", glob.glob("/tmp/core*") + glob.glob("core*"))',
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      verdict.equal(
        result.output,
        'core limit (0, 0)\nsignalled True core dumped False\ncore files []',
        'output',
      );
    },
  ),
];

import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import {
  expectAllBlocked,
  reportOf,
  resultOf,
  runRequest,
  type Attack,
  type AttackContext,
  type Category,
  type Exchange,
  type Verdict,
} from './attack-kit.js';
import type { RunResult } from '../src/sandbox/run-result.js';

/**
 * The attack catalogue: programs and requests a hostile user would send, each with what the
 * sandbox must do about it. Defined once, here; the hostile end-to-end suite (test/hostile)
 * and `npm run experiments` both run exactly these.
 */

const MIB = 1024 * 1024;

/** An attack that sends one Python program and judges its RunResult. */
function program(
  category: Category,
  name: string,
  expected: string,
  code: string | ((context: AttackContext) => string),
  judge: (result: RunResult, verdict: Verdict, context: AttackContext) => void,
  options: { stdin?: string; before?: string } = {},
): Attack {
  const source = (context: AttackContext) => (typeof code === 'string' ? code : code(context));
  return {
    category,
    name,
    expected,
    request: (context) => runRequest(source(context), options.stdin),
    before: options.before === undefined ? undefined : () => runRequest(options.before ?? ''),
    judge: (exchange: Exchange, verdict: Verdict, context: AttackContext) => {
      const result = resultOf(exchange, verdict);
      if (result) judge(result, verdict, context);
    },
  };
}

/** Python prelude of probe programs: try each action, report "blocked: ..." or "ALLOWED: ...". */
const PROBE = `
import json
report = {}
def attempt(name, action):
    try:
        value = action()
        report[name] = "ALLOWED: " + repr(value)[:100]
    except BaseException as error:
        report[name] = "blocked: " + type(error).__name__ + ": " + str(error)[:100]
`;
const PRINT_REPORT = '\nprint(json.dumps(report))\n';

function killedAtTimeLimit(result: RunResult, verdict: Verdict, context: AttackContext): void {
  verdict.equal(result.status, 'timeout', 'status');
  verdict.equal(result.exitCode, null, 'exitCode');
  verdict.ok(
    result.durationMs >= context.limits.timeoutMs,
    `ran until the time limit (${result.durationMs} ms)`,
  );
}

/**
 * Killed by the kernel's OOM killer (the engine's record says so), or Python noticed first
 * (MemoryError); never a success. Under gVisor the engine sometimes misses the OOM record of a
 * sandbox the kernel killed (about 1 run in 10 here): a SIGKILL exit (137) is all it shows.
 */
function stoppedForMemory(result: RunResult, verdict: Verdict, context: AttackContext): void {
  verdict.oneOf(result.status, ['memory_exceeded', 'runtime_error'], 'status');
  if (result.status !== 'runtime_error') return;
  const unrecordedOom = context.limits.runtime === 'runsc' && result.exitCode === 128 + 9;
  verdict.ok(
    result.stderr.includes('MemoryError') || unrecordedOom,
    `a runtime_error is a MemoryError${context.limits.runtime === 'runsc' ? ' or a SIGKILL' : ''} (exit ${result.exitCode})`,
  );
}

/** Megabytes a program reported as held (its last "held N" line) stay within the limit. */
function heldWithinMemory(result: RunResult, verdict: Verdict, context: AttackContext): void {
  const held = [...result.stdout.matchAll(/^held (\d+)$/gm)].map((m) => Number(m[1]));
  verdict.ok(held.length > 0, 'the program reported progress before it was stopped');
  const most = Math.max(0, ...held);
  verdict.atMost(most, context.limits.memoryBytes / MIB, 'MiB held by the program');
}

// ---------------------------------------------------------------- CPU and time

const cpuTime: Attack[] = [
  program(
    'cpu-time',
    'busy loop',
    'timeout at the limit, output printed before the kill kept',
    'print("started", flush=True)\nwhile True:\n    pass',
    (result, verdict, context) => {
      killedAtTimeLimit(result, verdict, context);
      verdict.equal(result.output, 'started', 'output before the kill');
    },
  ),
  program(
    'cpu-time',
    'sleep forever',
    'timeout at the limit, output kept',
    'import time\nprint("sleeping")\ntime.sleep(3600)',
    (result, verdict, context) => {
      killedAtTimeLimit(result, verdict, context);
      verdict.equal(result.output, 'sleeping', 'output before the kill');
    },
  ),
  program(
    'cpu-time',
    'many busy threads',
    'timeout at the limit',
    [
      'import threading',
      'def spin():',
      '    while True:',
      '        pass',
      'print("starting 32 threads", flush=True)',
      'for _ in range(32):',
      '    threading.Thread(target=spin, daemon=True).start()',
      'spin()',
    ].join('\n'),
    (result, verdict, context) => {
      killedAtTimeLimit(result, verdict, context);
      verdict.equal(result.output, 'starting 32 threads', 'output before the kill');
    },
  ),
  program(
    'cpu-time',
    'ignore SIGTERM, SIGINT, SIGHUP',
    'timeout at the limit (SIGKILL cannot be ignored)',
    [
      'import signal, time',
      'for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):',
      '    signal.signal(sig, signal.SIG_IGN)',
      'print("ignoring signals", flush=True)',
      'while True:',
      '    time.sleep(0.01)',
    ].join('\n'),
    (result, verdict, context) => {
      killedAtTimeLimit(result, verdict, context);
      verdict.equal(result.output, 'ignoring signals', 'output before the kill');
    },
  ),
  program(
    'cpu-time',
    'busy processes measure their CPU share',
    'four busy processes get about the 0.5-core limit together, not the 2 cores of the host',
    [
      '# Each worker spins reading the clock; a gap of more than 1 ms between two readings is',
      '# time it was not running (throttled or preempted). getrusage is not used: gVisor counts',
      '# CPU time in its own kernel, where a throttled process still looks busy.',
      'import os, time',
      'SECONDS = 2.0',
      'def spin():',
      '    start = last = time.monotonic()',
      '    ran = 0.0',
      '    while last < start + SECONDS:',
      '        now = time.monotonic()',
      '        if now - last < 0.001:',
      '            ran += now - last',
      '        last = now',
      '    return ran',
      'readers = []',
      'for _ in range(4):',
      '    r, w = os.pipe()',
      '    if os.fork() == 0:',
      '        os.write(w, str(spin()).encode())',
      '        os._exit(0)',
      '    os.close(w)',
      '    readers.append(r)',
      'ran = sum(float(os.read(r, 64)) for r in readers)',
      'print(f"cores {ran / SECONDS:.3f}")',
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      const share = Number(/cores ([\d.]+)/.exec(result.output)?.[1] ?? NaN);
      verdict.ok(Number.isFinite(share), `the program measured its CPU share (${result.output})`);
      // The limit is 0.5 core; the CFS quota lets a period's burst overshoot a little. Inside
      // gVisor the program's clock is the Sentry's, and the same 0.5-core quota (checked on the
      // host cgroup) reads as up to about 0.7: the bound is looser there, still far from the
      // 2 cores four processes would get without a limit.
      const bound = context.limits.runtime === 'runsc' ? 0.85 : 0.65;
      verdict.atMost(share, bound, 'cores used by four busy processes');
      verdict.ok(share > 0.05, `the measurement saw the work done (${share})`);
    },
  ),
];

// ---------------------------------------------------------------- memory

const memory: Attack[] = [
  program(
    'memory',
    'one 1 GiB allocation',
    'memory_exceeded, or a MemoryError (runtime_error); never a success',
    'data = bytearray(1024 * 1024 * 1024)\nprint("allocated", len(data))',
    (result, verdict, context) => {
      stoppedForMemory(result, verdict, context);
      verdict.ok(!result.output.includes('allocated'), 'the allocation never succeeded');
    },
  ),
  program(
    'memory',
    'gradual growth',
    'stopped before holding more than the limit; no swap lets it go further',
    [
      'blocks = []',
      'while True:',
      '    blocks.append(bytearray(4 * 1024 * 1024))',
      '    print("held", 4 * len(blocks), flush=True)',
    ].join('\n'),
    (result, verdict, context) => {
      stoppedForMemory(result, verdict, context);
      heldWithinMemory(result, verdict, context);
    },
  ),
  program(
    'memory',
    'memory through /tmp, /dev/shm and the heap',
    'files in tmpfs count against the memory limit: the total stays within it',
    [
      'import os',
      'held = 0',
      'chunk = b"x" * (1024 * 1024)',
      'for directory in ("/tmp", "/dev/shm"):',
      '    for n in range(1024):',
      '        try:',
      '            with open(f"{directory}/fill{n}", "wb") as f:',
      '                f.write(chunk)',
      '        except OSError:',
      '            break',
      '        held += 1',
      '        print("held", held, flush=True)',
      'blocks = []',
      'while True:',
      '    blocks.append(bytearray(4 * 1024 * 1024))',
      '    held += 4',
      '    print("held", held, flush=True)',
    ].join('\n'),
    (result, verdict, context) => {
      stoppedForMemory(result, verdict, context);
      heldWithinMemory(result, verdict, context);
    },
  ),
  program(
    'memory',
    'anonymous mmap touched page by page',
    'memory_exceeded or MemoryError; never a success',
    [
      'import mmap',
      'size = 1024 * 1024 * 1024',
      'region = mmap.mmap(-1, size)',
      'for offset in range(0, size, 4096):',
      '    region[offset] = 1',
      '    if offset % (16 * 1024 * 1024) == 0:',
      '        print("held", offset // (1024 * 1024), flush=True)',
      'print("touched all of it")',
    ].join('\n'),
    (result, verdict, context) => {
      stoppedForMemory(result, verdict, context);
      verdict.ok(!result.output.includes('touched all'), 'the mapping was never filled');
      heldWithinMemory(result, verdict, context);
    },
  ),
  program(
    'memory',
    'reads its own limits',
    'the memory cgroup allows no swap beyond the memory limit',
    [
      PROBE,
      'def read(path):',
      '    with open(path) as f:',
      '        return f.read().strip()',
      'for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness"):',
      '    attempt(name, lambda name=name: read("/sys/fs/cgroup/memory/" + name))',
      'attempt("SwapTotal", lambda: [l for l in read("/proc/meminfo").splitlines() if l.startswith("SwapTotal")][0])',
      PRINT_REPORT,
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      const report = reportOf<Record<string, string>>(result, verdict);
      if (!report) return;
      // Under runc the cgroup is visible; gVisor shows its own emulated files.
      const limit = /ALLOWED: '(\d+)'/.exec(report['memory.limit_in_bytes'] ?? '')?.[1];
      if (limit !== undefined) verdict.equal(Number(limit), context.limits.memoryBytes, 'limit');
      const memsw = /ALLOWED: '(\d+)'/.exec(report['memory.memsw.limit_in_bytes'] ?? '')?.[1];
      if (memsw !== undefined)
        verdict.equal(Number(memsw), context.limits.memoryBytes, 'memory + swap limit');
      const swap = /SwapTotal:\s+(\d+)/.exec(report.SwapTotal ?? '')?.[1];
      verdict.ok(limit !== undefined || swap !== undefined, 'the program could see a limit');
    },
  ),
];

// ---------------------------------------------------------------- processes

/**
 * Under gVisor every guest process costs more memory and host threads, so a bomb may also end
 * before the time limit: at the memory limit, or when the shell gives up on fork (exit 2).
 * Contained either way; a success never. Returns true when it judged the result.
 */
function bombEndedUnderGvisor(
  result: RunResult,
  verdict: Verdict,
  context: AttackContext,
): boolean {
  if (context.limits.runtime !== 'runsc' || result.status === 'timeout') return false;
  verdict.oneOf(result.status, ['memory_exceeded', 'runtime_error'], 'status under gVisor');
  return true;
}

const processes: Attack[] = [
  program(
    'processes',
    'Python fork bomb',
    'forks are refused at the PID limit; the bomb is killed at the time limit',
    [
      'import os, time',
      'children = 0',
      'try:',
      '    while True:',
      '        if os.fork() == 0:',
      '            time.sleep(3600)',
      '            os._exit(0)',
      '        children += 1',
      'except OSError as error:',
      '    print("fork refused after", children, "children:", error.errno, flush=True)',
      'while True:',
      '    try:',
      '        os.fork()',
      '    except OSError:',
      '        time.sleep(0.01)',
    ].join('\n'),
    (result, verdict, context) => {
      if (bombEndedUnderGvisor(result, verdict, context)) return;
      killedAtTimeLimit(result, verdict, context);
      const refused = /fork refused after (\d+) children: (\d+)/.exec(result.output);
      verdict.ok(refused !== null, `fork was refused (${result.output.slice(0, 100)})`);
      if (refused) verdict.atMost(Number(refused[1]), context.limits.pidsLimit, 'children');
    },
  ),
  program(
    'processes',
    'shell fork bomb',
    'contained by the PID limit, killed at the time limit',
    'import os\nos.execv("/bin/bash", ["bash", "-c", ":(){ :|:& };:; sleep 3600"])',
    (result, verdict, context) => {
      if (bombEndedUnderGvisor(result, verdict, context)) return;
      killedAtTimeLimit(result, verdict, context);
    },
  ),
  program(
    'processes',
    'dash fork bomb via subprocess',
    'contained by the PID limit, killed at the time limit',
    'import subprocess\nsubprocess.run(["/bin/sh", "-c", "b(){ b | b & }; b; sleep 3600"])',
    (result, verdict, context) => {
      if (bombEndedUnderGvisor(result, verdict, context)) return;
      killedAtTimeLimit(result, verdict, context);
    },
  ),
  program(
    'processes',
    'threads until the PID limit',
    'thread creation fails at the PID limit, as an error the program can see',
    [
      'import threading, time',
      'stop = threading.Event()',
      'threads = 0',
      'try:',
      '    while threads < 100000:',
      '        threading.Thread(target=stop.wait, daemon=True).start()',
      '        threads += 1',
      'except RuntimeError as error:',
      '    print("refused after", threads, "threads:", error, flush=True)',
      'stop.set()',
    ].join('\n'),
    (result, verdict, context) => {
      verdict.equal(result.status, 'success', 'status');
      const refused = /refused after (\d+) threads/.exec(result.output);
      verdict.ok(refused !== null, `thread creation was refused (${result.output.slice(0, 100)})`);
      if (refused) verdict.atMost(Number(refused[1]), context.limits.pidsLimit, 'threads');
    },
  ),
];

// ---------------------------------------------------------------- lifecycle

/** The request ends when the main program ends, whatever it left running. */
function endsWithMainProgram(result: RunResult, verdict: Verdict, context: AttackContext): void {
  verdict.ok(result.status !== 'timeout', 'the run ended with the program, not at the time limit');
  verdict.ok(result.durationMs < context.limits.timeoutMs, `ended before the time limit`);
}

const lifecycle: Attack[] = [
  program(
    'lifecycle',
    'child outlives the main process',
    'the run ends when the main program exits; the child dies with the container',
    'import subprocess\nsubprocess.Popen(["sleep", "3600"])\nprint("main done")',
    (result, verdict, context) => {
      endsWithMainProgram(result, verdict, context);
      verdict.equal(result.status, 'success', 'status');
      verdict.equal(result.output, 'main done', 'output');
    },
  ),
  program(
    'lifecycle',
    'double-forked setsid daemon',
    'the run ends when the main program exits; the daemon dies with the container',
    [
      'import os, time',
      'if os.fork() == 0:',
      '    os.setsid()',
      '    if os.fork() == 0:',
      '        while True:',
      '            time.sleep(0.1)',
      '    os._exit(0)',
      'os.wait()',
      'print("daemon started")',
    ].join('\n'),
    (result, verdict, context) => {
      endsWithMainProgram(result, verdict, context);
      verdict.equal(result.status, 'success', 'status');
      verdict.equal(result.output, 'daemon started', 'output');
    },
  ),
  program(
    'lifecycle',
    'kill -9 of PID 1',
    'runc: the kernel ignores it (PID 1 of the namespace), the program carries on; gVisor: the sandbox ends at once (exit 137); the run ends cleanly either way',
    [
      'import os, time',
      'try:',
      '    os.kill(1, 9)',
      '    print("signal sent", flush=True)',
      'except OSError as error:',
      '    print("signal refused", error.errno, flush=True)',
      'time.sleep(0.5)',
      'print("still alive")',
    ].join('\n'),
    (result, verdict, context) => {
      endsWithMainProgram(result, verdict, context);
      if (context.limits.runtime === 'runsc') {
        // gVisor lets a process of the sandbox kill its init; everything ends with it.
        verdict.equal(result.status, 'runtime_error', 'status');
        verdict.equal(result.exitCode, 128 + 9, 'exit code (SIGKILL)');
      } else {
        verdict.equal(result.status, 'success', 'status');
        verdict.equal(result.output, 'signal sent\nstill alive', 'output');
      }
    },
  ),
  program(
    'lifecycle',
    'kill(-1) and SIGTERM to PID 1',
    'kill(-1) reaches only its own processes; tini passes SIGTERM on to the program, which ends',
    [
      'import os, signal, subprocess, time',
      'child = subprocess.Popen(["sleep", "3600"])',
      'os.kill(-1, signal.SIGKILL)',
      'print("kill(-1) killed the child:", child.wait() == -signal.SIGKILL, flush=True)',
      'os.kill(1, signal.SIGTERM)',
      'time.sleep(2)',
      'print("survived SIGTERM to PID 1")',
    ].join('\n'),
    (result, verdict, context) => {
      endsWithMainProgram(result, verdict, context);
      verdict.equal(result.status, 'runtime_error', 'status');
      verdict.equal(result.exitCode, 128 + 15, 'exit code (SIGTERM forwarded by tini)');
      verdict.equal(result.output, 'kill(-1) killed the child: True', 'output');
    },
  ),
  program(
    'lifecycle',
    'os.abort()',
    'a runtime_error with exit code 134 (SIGABRT), no core file',
    'print("aborting", flush=True)\nimport os\nos.abort()',
    (result, verdict, context) => {
      endsWithMainProgram(result, verdict, context);
      verdict.equal(result.status, 'runtime_error', 'status');
      verdict.equal(result.exitCode, 128 + 6, 'exit code (killed by SIGABRT)');
      verdict.equal(result.output, 'aborting', 'output');
    },
  ),
  program(
    'lifecycle',
    'closes stdout and stderr, keeps running',
    'timeout at the limit (closed pipes do not end the run)',
    'import os, time\nprint("closing", flush=True)\nos.close(1)\nos.close(2)\ntime.sleep(3600)',
    (result, verdict, context) => {
      killedAtTimeLimit(result, verdict, context);
      verdict.equal(result.output, 'closing', 'output');
    },
  ),
  {
    category: 'lifecycle',
    name: 'client hangs up mid-run',
    expected: 'the service stays healthy; the container is gone by the time limit at the latest',
    request: () => ({ ...runRequest('while True:\n    pass'), hangUpAfterMs: 1000 }),
    judge: (exchange, verdict) => {
      verdict.equal(exchange.status, 0, 'the client hung up before any answer');
    },
  },
];

// ---------------------------------------------------------------- disk and files

const files: Attack[] = [
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

// ---------------------------------------------------------------- output

function cutAtTheCap(result: RunResult, verdict: Verdict, context: AttackContext): void {
  verdict.equal(result.truncated, true, 'truncated');
  const kept = Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr);
  // Invalid UTF-8 cut at the cap may be replaced by U+FFFD (3 bytes), hence the small margin.
  verdict.atMost(kept, context.limits.outputLimitBytes + 8, 'bytes of output kept');
  verdict.ok(kept >= context.limits.outputLimitBytes / 2, `output up to the cap kept (${kept})`);
  verdict.ok(result.status !== 'timeout', 'killed at the cap, not at the time limit');
}

const output: Attack[] = [
  program(
    'output',
    'stdout flood',
    'output capped at the limit, truncated: true, the program killed at the cap',
    'while True:\n    print("A" * 1000)',
    cutAtTheCap,
  ),
  program(
    'output',
    'stderr flood',
    'output capped at the limit, truncated: true, the program killed at the cap',
    'import sys\nwhile True:\n    sys.stderr.write("E" * 1000 + "\\n")',
    (result, verdict, context) => {
      cutAtTheCap(result, verdict, context);
      verdict.equal(result.stdout, '', 'stdout');
    },
  ),
  program(
    'output',
    'one 50 MB line without a newline',
    'capped, truncated, killed at the cap; the service does not buffer 50 MB',
    [
      'import os, time',
      'line = memoryview(b"x" * 50_000_000)',
      'while line:',
      '    line = line[os.write(1, line):]  # pipes may take less than asked',
      'time.sleep(3600)',
    ].join('\n'),
    (result, verdict, context) => {
      cutAtTheCap(result, verdict, context);
      verdict.ok(/^x+$/.test(result.stdout), 'only the bytes written were kept');
    },
  ),
  program(
    'output',
    'byte-at-a-time flood on both streams',
    'capped (tiny frames count as much as big ones), truncated, killed at the cap',
    'import os\nwhile True:\n    os.write(1, b"o")\n    os.write(2, b"e")',
    cutAtTheCap,
  ),
  program(
    'output',
    'invalid UTF-8 and NUL bytes',
    'a clean success; invalid bytes become U+FFFD, NUL is kept; the JSON stays valid',
    'import sys\nsys.stdout.buffer.write(b"ok \\xff\\xfe \\xc3\\x28 \\xed\\xa0\\x80 nul\\x00 end\\n")',
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      verdict.ok(result.stdout.startsWith('ok \uFFFD'), 'invalid bytes replaced by U+FFFD');
      verdict.ok(result.stdout.includes('nul\u0000 end'), 'the NUL byte is carried through');
    },
  ),
  program(
    'output',
    'multi-byte flood cut mid-character',
    'capped, truncated; a character cut at the cap is replaced, the JSON stays valid',
    'while True:\n    print("é😀" * 1000, end="")',
    cutAtTheCap,
  ),
];

// ---------------------------------------------------------------- network

const network: Attack[] = [
  program(
    'network',
    'reach out',
    'external addresses, DNS, the Docker bridge gateway, the engine and service ports, loopback, cloud metadata and raw sockets all fail',
    ({ servicePort }) =>
      [
        PROBE,
        'import socket',
        'def connect(host, port):',
        '    with socket.create_connection((host, port), timeout=2) as s:',
        '        return s.getpeername()',
        'targets = [("1.1.1.1", 53), ("8.8.8.8", 443), ("93.184.216.34", 80),',
        '           ("172.17.0.1", 2375), ("172.17.0.1", 2376), (f"172.17.0.1", ' +
          String(servicePort) +
          '),',
        '           ("127.0.0.1", ' + String(servicePort) + '), ("127.0.0.1", 22),',
        '           ("169.254.169.254", 80), ("10.0.0.1", 80), ("192.168.0.1", 80)]',
        'for host, port in targets:',
        '    attempt(f"tcp {host}:{port}", lambda host=host, port=port: connect(host, port))',
        'attempt("tcp [::1]:80", lambda: connect("::1", 80))',
        'attempt("dns example.com", lambda: socket.getaddrinfo("example.com", 80))',
        'attempt("dns localhost-free lookup of pypi.org", lambda: socket.gethostbyname("pypi.org"))',
        'def udp():',
        '    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:',
        '        return s.sendto(b"x", ("8.8.8.8", 53))',
        'attempt("udp 8.8.8.8:53", udp)',
        'attempt("raw ICMP socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))',
        'attempt("packet socket", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))',
        'def interfaces():',
        '    names = [name for _, name in socket.if_nameindex() if name != "lo"]',
        '    if names:',
        '        return names',
        '    raise OSError("only the loopback interface")',
        'attempt("network interfaces", interfaces)',
        PRINT_REPORT,
      ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      expectAllBlocked(reportOf(result, verdict), verdict, 18);
    },
  ),
];

// ---------------------------------------------------------------- privilege and kernel

const privilege: Attack[] = [
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

// ---------------------------------------------------------------- information

const information: Attack[] = [
  program(
    'information',
    'environment variables',
    'the program sees only the sandbox environment, none of the service',
    'import os, json\nprint(json.dumps(sorted(os.environ)))',
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      const names = reportOf<string[]>(result, verdict);
      verdict.equal(
        names,
        [
          'HOME',
          'HOSTNAME',
          'LANG',
          'PATH',
          'PYTHONDONTWRITEBYTECODE',
          'PYTHONIOENCODING',
          'PYTHONUNBUFFERED',
        ],
        'environment variable names',
      );
    },
  ),
  program(
    'information',
    'processes',
    'only its own processes are visible (tini, the program); nothing of the host',
    [
      'import os, json',
      'procs = {}',
      'for pid in os.listdir("/proc"):',
      '    if pid.isdigit():',
      '        try:',
      '            procs[pid] = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ").decode()[:60]',
      '        except OSError:',
      '            pass',
      'print(json.dumps(procs))',
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      const procs = reportOf<Record<string, string>>(result, verdict);
      if (!procs) return;
      const commands = Object.values(procs);
      verdict.atMost(commands.length, 2, 'visible processes');
      verdict.ok(
        commands.every((c) => /docker-init|tini|python3/.test(c)),
        `only tini and python are visible (${JSON.stringify(commands)})`,
      );
    },
  ),
  program(
    'information',
    'host directories and the Docker socket',
    'no host directory mounted, no Docker socket anywhere',
    [
      PROBE,
      'import os, stat',
      'def sockets():',
      '    found = []',
      '    for root in ("/run", "/var/run", "/tmp", "/var", "/home", "/srv", "/mnt"):',
      '        for directory, _, names in os.walk(root):',
      '            for name in names:',
      '                path = os.path.join(directory, name)',
      '                try:',
      '                    if stat.S_ISSOCK(os.lstat(path).st_mode) or "docker" in name:',
      '                        found.append(path)',
      '                except OSError:',
      '                    pass',
      '    if found:',
      '        return found',
      '    raise OSError("no sockets")',
      'attempt("docker sockets", sockets)',
      'attempt("/var/run/docker.sock", lambda: os.stat("/var/run/docker.sock"))',
      'attempt("/run/containerd", lambda: os.listdir("/run/containerd"))',
      'def host_mounts():',
      '    suspicious = []',
      '    for line in open("/proc/self/mountinfo"):',
      '        fields = line.split()',
      '        point, source = fields[4], fields[3]',
      '        if point in ("/", "/proc", "/dev", "/sys", "/tmp", "/dev/shm", "/dev/pts", "/dev/mqueue", "/sys/fs/cgroup") or point.startswith(("/proc/", "/sys/", "/dev/")):',
      '            continue',
      '        read_only = fields[5].split(",")[0] == "ro"',
      '        if point in ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/sbin/docker-init", "/usr/sbin/docker-init") and read_only:',
      '            continue',
      '        suspicious.append(point + " " + fields[5])',
      '    if suspicious:',
      '        return suspicious',
      '    raise OSError("no writable host mounts")',
      'attempt("host mounts", host_mounts)',
      'attempt("/proc/kcore", lambda: open("/proc/kcore", "rb").read(16))',
      'attempt("/proc/keys", lambda: open("/proc/keys").read(100) or (_ for _ in ()).throw(OSError("empty")))',
      'attempt("host /etc/shadow", lambda: open("/etc/shadow").read(10))',
      PRINT_REPORT,
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      expectAllBlocked(reportOf(result, verdict), verdict, 7);
    },
  ),
  program(
    'information',
    'leftovers of an earlier run',
    'a second run finds nothing of the first: no file in /tmp or /dev/shm, no process',
    [
      'import os, json',
      'print(json.dumps({"tmp": sorted(os.listdir("/tmp")), "shm": sorted(os.listdir("/dev/shm")),',
      '    "procs": len([p for p in os.listdir("/proc") if p.isdigit()])}))',
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      verdict.equal(
        reportOf(result, verdict),
        { tmp: ['main.py'], shm: [], procs: 2 },
        'what the second run finds',
      );
    },
    {
      before: [
        'import os, subprocess',
        'open("/tmp/secret", "w").write("from the first run")',
        'open("/dev/shm/secret", "w").write("from the first run")',
        'if os.fork() == 0:',
        '    os.setsid()',
        '    import time',
        '    time.sleep(3600)',
        'print("planted")',
      ].join('\n'),
    },
  ),
];

// ---------------------------------------------------------------- API

function api(
  name: string,
  expected: string,
  request: (context: AttackContext) => { body: string | Buffer; headers?: Record<string, string> },
  judge: (exchange: Exchange, verdict: Verdict, context: AttackContext) => void,
): Attack {
  return {
    category: 'api',
    name,
    expected,
    request: (context) => {
      const { body, headers } = request(context);
      return { body, headers: { 'content-type': 'application/json', ...headers } };
    },
    judge,
  };
}

function rejected(status: number, message: string | RegExp) {
  return (exchange: Exchange, verdict: Verdict) => {
    verdict.equal(exchange.status, status, 'HTTP status');
    const body = exchange.json as { statusCode?: number; message?: string; error?: string };
    verdict.equal(body?.statusCode, status, 'statusCode in the body');
    const text = body?.message ?? '';
    verdict.ok(
      typeof message === 'string' ? text === message : message.test(text),
      `message ${String(message)} (got ${JSON.stringify(text)})`,
    );
  };
}

function ranCleanly(expectedStatus: RunResult['status'], output?: string) {
  return (exchange: Exchange, verdict: Verdict) => {
    const result = resultOf(exchange, verdict);
    if (!result) return;
    verdict.equal(result.status, expectedStatus, 'status');
    if (output !== undefined) verdict.equal(result.output, output, 'output');
  };
}

/** Code of exactly `n` code points built from `unit` (itself `unitLength` code points) after a '#'. */
function commentOf(n: number, unit: string, unitLength: number): string {
  const units = Math.floor((n - 1) / unitLength);
  return '#' + unit.repeat(units) + 'x'.repeat(n - 1 - units * unitLength);
}

const CODE_UNITS: [string, string, number][] = [
  ['ASCII', 'a', 1],
  ['2-byte é', 'é', 1],
  ['3-byte 中', '中', 1],
  ['astral 😀', '😀', 1],
  ['combining e + U+0301', 'e\u0301', 2],
  ['lone surrogate', '\ud800', 1],
];

const codeLimit: Attack[] = CODE_UNITS.flatMap(([label, unit, unitLength]) => [
  api(
    `code of exactly the limit, ${label}`,
    'runs (the limit counts Unicode code points)',
    ({ limits }) => ({
      body: JSON.stringify({ code: commentOf(limits.maxCodeLength, unit, unitLength) }),
    }),
    ranCleanly('success', ''),
  ),
  api(
    `code one over the limit, ${label}`,
    '400 naming the limit',
    ({ limits }) => ({
      body: JSON.stringify({ code: commentOf(limits.maxCodeLength + 1, unit, unitLength) }),
    }),
    (exchange, verdict, context) =>
      rejected(
        400,
        `code must be at most ${context.limits.maxCodeLength} characters (got ${context.limits.maxCodeLength + 1})`,
      )(exchange, verdict),
  ),
]);

const PRINT_STDIN = 'import sys\nprint(repr(sys.stdin.read()))';

const PRINT_ONE = '{"code":"print(1)"}';
const TOO_DEEP = 'request body must not nest arrays or objects more than 32 levels deep';
const NOT_UTF8 = 'request body is not valid UTF-8';
const UTF8_ONLY = (charset: string) =>
  `unsupported charset "${charset}": the body must be JSON in UTF-8`;

const apiAttacks: Attack[] = [
  ...codeLimit,
  api(
    'NUL byte in the code',
    '400: Python 3.11 would silently ignore everything after it',
    () => ({ body: JSON.stringify({ code: 'print("a")\u0000print("b")' }) }),
    rejected(400, 'code must not contain NUL characters (U+0000)'),
  ),
  api(
    'NUL bytes and lone surrogates in stdin',
    'a clean run; the program reads them (a lone surrogate as U+FFFD)',
    () => ({
      body: JSON.stringify({
        code: 'import sys\nprint(ascii(sys.stdin.read()))',
        stdin: 'a\u0000b\ud800c',
      }),
    }),
    ranCleanly('success', "'a\\x00b\\ufffdc'"),
  ),
  api(
    '__proto__ key',
    'ignored: a clean run, the request gets no stdin from it',
    () => ({ body: `{"code":${JSON.stringify(PRINT_STDIN)},"__proto__":{"stdin":"polluted"}}` }),
    ranCleanly('success', "''"),
  ),
  {
    ...api(
      'constructor.prototype key',
      'ignored: later requests get no stdin from it (no prototype pollution)',
      () => ({ body: JSON.stringify({ code: PRINT_STDIN }) }),
      ranCleanly('success', "''"),
    ),
    before: () => ({
      body: `{"code":"print(1)","constructor":{"prototype":{"stdin":"polluted"}},"__proto__":{"__proto__":{"stdin":"polluted"}}}`,
      headers: { 'content-type': 'application/json' },
    }),
  },
  api(
    'code as an object with toString',
    '400: code must be a string',
    () => ({ body: '{"code":{"toString":"print(1)","length":1}}' }),
    rejected(400, 'code must be a string'),
  ),
  ...(
    [
      ['code null', '{"code":null}', 'code must be a string'],
      ['code a number', '{"code":42}', 'code must be a string'],
      ['code an array', '{"code":["print(1)"]}', 'code must be a string'],
      ['code true', '{"code":true}', 'code must be a string'],
      ['stdin null', '{"code":"print(1)","stdin":null}', null],
      ['stdin an array', '{"code":"print(1)","stdin":["a"]}', 'stdin must be a string'],
      ['stdin an object', '{"code":"print(1)","stdin":{"a":1}}', 'stdin must be a string'],
      ['body an array', '[{"code":"print(1)"}]', /code must be a string|array/],
      ['body null', 'null', /code must be a string|JSON/],
      ['body a string', '"print(1)"', /code must be a string|JSON/],
      ['body a number', '42', /code must be a string|JSON/],
    ] as const
  ).map(([name, body, message]) =>
    message === null
      ? api(name, 'runs: a null stdin is no stdin', () => ({ body }), ranCleanly('success', '1'))
      : api(name, '400 naming the field', () => ({ body }), rejected(400, message)),
  ),
  ...(
    [
      ['truncated JSON', '{"code": "print(1)'],
      ['trailing garbage', '{"code": "print(1)"} xyz'],
      ['single quotes', "{'code': 'print(1)'}"],
      ['invalid UTF-8 in the body', Buffer.from([0x7b, 0x22, 0x63, 0xff, 0xfe, 0x22, 0x7d])],
      ['deeply nested arrays', '{"code":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'],
    ] as const
  ).map(([name, body]) =>
    api(
      name,
      '400: not valid JSON, or 400 naming the field',
      () => ({ body }),
      (exchange, v) => {
        v.equal(exchange.status, 400, 'HTTP status');
        const message = (exchange.json as { message?: string } | undefined)?.message ?? '';
        v.ok(
          /JSON|UTF-8|code must be a string|levels deep/.test(message),
          `message (${message.slice(0, 80)})`,
        );
      },
    ),
  ),
  api(
    'text/plain body',
    '400: no JSON body means no code',
    () => ({ body: 'print(1)', headers: { 'content-type': 'text/plain' } }),
    (exchange, verdict) => {
      verdict.oneOf(exchange.status, [400, 415], 'HTTP status');
    },
  ),
  api(
    'unsupported charset',
    '415 unsupported charset',
    () => ({
      body: '{"code":"print(1)"}',
      headers: { 'content-type': 'application/json; charset=latin1' },
    }),
    rejected(415, /charset/),
  ),
  api(
    'body one byte over the limit',
    '413 naming the limit',
    ({ limits }) => ({ body: JSON.stringify({ code: 'x'.repeat(limits.bodyLimitBytes) }) }),
    (exchange, verdict, context) =>
      rejected(413, `request body must be at most ${context.limits.bodyLimitBytes} bytes`)(
        exchange,
        verdict,
      ),
  ),
  ...(['gzip', 'deflate'] as const).map((encoding) =>
    api(
      `${encoding} bomb (64 MB of spaces in a few KB)`,
      '413: the limit applies to the inflated body',
      () => ({ body: compressedBomb(encoding), headers: { 'content-encoding': encoding } }),
      rejected(413, /request body must be at most \d+ bytes/),
    ),
  ),
  api(
    'compressed body within the limit',
    'runs: compression itself is fine',
    () => ({
      body: compress('gzip', JSON.stringify({ code: 'print("zipped")' })),
      headers: { 'content-encoding': 'gzip' },
    }),
    ranCleanly('success', 'zipped'),
  ),
  api(
    'unknown content encoding',
    '415 unsupported content encoding',
    () => ({ body: '{"code":"print(1)"}', headers: { 'content-encoding': 'zstd-evil' } }),
    rejected(415, /encoding/),
  ),
  // JSON is UTF-8 (RFC 8259): any other charset is refused before the body is looked at, so the
  // nesting check and the parser always read the same text.
  api(
    'deep nesting written in UTF-7',
    '415 naming UTF-8 (the nesting check read the raw bytes, the parser UTF-7: a 500)',
    () => ({
      body: `{"code":"print(1)","stdin":${utf7(deepArrays(20_000))}}`,
      headers: { 'content-type': 'application/json; charset=utf-7' },
    }),
    rejected(415, UTF8_ONLY('UTF-7')),
  ),
  api(
    'deep nesting in UTF-7, gzipped',
    '415 naming UTF-8',
    () => ({
      body: gzipSync(`{"code":"print(1)","stdin":${utf7(deepArrays(20_000))}}`),
      headers: { 'content-type': 'application/json; charset=utf-7', 'content-encoding': 'gzip' },
    }),
    rejected(415, UTF8_ONLY('UTF-7')),
  ),
  ...(
    [
      ['utf-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PRINT_ONE, 'utf16le')])],
      ['utf-16le', Buffer.from(PRINT_ONE, 'utf16le')],
      ['utf-16be', Buffer.from(PRINT_ONE, 'utf16le').swap16()],
      ['utf-32', Buffer.from(PRINT_ONE)],
      ['utf8', Buffer.from(PRINT_ONE)],
      ['iso-8859-1', Buffer.from(PRINT_ONE)],
    ] as const
  ).map(([charset, body]) =>
    api(
      `JSON declared as charset=${charset}`,
      '415 naming UTF-8',
      () => ({ body, headers: { 'content-type': `application/json; charset=${charset}` } }),
      rejected(415, UTF8_ONLY(charset.toUpperCase())),
    ),
  ),
  api(
    'UTF-16 with a byte order mark, no charset',
    '400: not valid UTF-8',
    () => ({ body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PRINT_ONE, 'utf16le')]) }),
    rejected(400, NOT_UTF8),
  ),
  api(
    'invalid UTF-8 inside a string',
    '400: not valid UTF-8 (not run with U+FFFD in its place)',
    () => ({
      body: Buffer.concat([
        Buffer.from('{"code":"print(\''),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('\')"}'),
      ]),
    }),
    rejected(400, NOT_UTF8),
  ),
  ...(['UTF-8', 'utf-8', '"utf-8"'] as const).map((charset) =>
    api(
      `charset=${charset}`,
      'runs: UTF-8 however it is spelled',
      () => ({
        body: PRINT_ONE,
        headers: { 'content-type': `application/json; charset=${charset}` },
      }),
      ranCleanly('success', '1'),
    ),
  ),
  api(
    'UTF-8 with a byte order mark',
    'runs: the mark is not part of the text',
    () => ({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(PRINT_ONE)]) }),
    ranCleanly('success', '1'),
  ),
  api(
    'deep nesting after a UTF-8 byte order mark',
    '400 naming the nesting limit',
    () => ({
      body: Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(`{"code":"print(1)","stdin":${deepArrays(20_000)}}`),
      ]),
    }),
    rejected(400, TOO_DEEP),
  ),
  ...(
    [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const
  ).map(([encoding, squeeze]) =>
    api(
      `deep nesting, Content-Encoding ${encoding}`,
      '400 naming the nesting limit: the check reads the inflated body',
      () => ({
        body: squeeze(Buffer.from(`{"code":"print(1)","stdin":${deepArrays(20_000)}}`)),
        headers: { 'content-encoding': encoding },
      }),
      rejected(400, TOO_DEEP),
    ),
  ),
  api(
    'Content-Encoding gzip on a body that is not gzip',
    '400',
    () => ({ body: PRINT_ONE, headers: { 'content-encoding': 'gzip' } }),
    (exchange, verdict) => verdict.equal(exchange.status, 400, 'HTTP status'),
  ),
  api(
    'Content-Encoding gzip twice',
    '415 unsupported content encoding',
    () => ({ body: gzipSync(gzipSync(PRINT_ONE)), headers: { 'content-encoding': 'gzip, gzip' } }),
    rejected(415, /encoding/),
  ),
];

function deepArrays(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** `text` in UTF-7 with every character base64-encoded, as a UTF-7 encoder may write brackets. */
function utf7(text: string): string {
  return `+${Buffer.from(text, 'utf16le').swap16().toString('base64').replace(/=+$/, '')}-`;
}

function compress(encoding: 'gzip' | 'deflate', text: string): Buffer {
  return encoding === 'gzip' ? gzipSync(text) : deflateSync(text);
}

function compressedBomb(encoding: 'gzip' | 'deflate'): Buffer {
  return compress(encoding, `{"code":"print(1)"${' '.repeat(64 * 1024 * 1024)}}`);
}

export const ATTACKS: readonly Attack[] = [
  ...cpuTime,
  ...memory,
  ...processes,
  ...lifecycle,
  ...files,
  ...output,
  ...network,
  ...privilege,
  ...information,
  ...apiAttacks,
];

export function attacksIn(category: Category): Attack[] {
  return ATTACKS.filter((attack) => attack.category === category);
}

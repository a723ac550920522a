import {
  killedAtTimeLimit,
  program,
  runRequest,
  type Attack,
  type AttackContext,
  type Verdict,
} from '../attack-kit.js';
import type { RunResult } from '../../../src/sandbox/run-result.js';

/**
 * Lifecycle: programs that try to outlive their run, kill their init, or lose their client.
 * Run by test/hostile/lifecycle.e2e-spec.ts and by `npm run experiments`.
 */

/** The request ends when the main program ends, whatever it left running. */
function endsWithMainProgram(result: RunResult, verdict: Verdict, context: AttackContext): void {
  verdict.ok(result.status !== 'timeout', 'the run ended with the program, not at the time limit');
  verdict.ok(result.durationMs < context.limits.timeoutMs, `ended before the time limit`);
}

export const lifecycleAttacks: Attack[] = [
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
    'kill(-1)',
    'kill(-1) reaches only the sandbox user’s processes, the launcher among them: the container ends at once (exit 137), the run cleanly',
    [
      'import os, signal, subprocess',
      'child = subprocess.Popen(["sleep", "3600"])',
      'print("killing", flush=True)',
      'os.kill(-1, signal.SIGKILL)',
      'child.wait()',
      'print("survived kill(-1)")',
    ].join('\n'),
    (result, verdict, context) => {
      endsWithMainProgram(result, verdict, context);
      verdict.equal(result.status, 'runtime_error', 'status');
      verdict.equal(result.exitCode, 128 + 9, 'exit code (the launcher was killed)');
      verdict.equal(result.output, 'killing', 'output');
    },
  ),
  program(
    'lifecycle',
    'SIGTERM to PID 1',
    'tini passes SIGTERM on to the launcher, which passes it on to the program, which ends',
    [
      'import os, signal, time',
      'os.kill(1, signal.SIGTERM)',
      'time.sleep(2)',
      'print("survived SIGTERM to PID 1")',
    ].join('\n'),
    (result, verdict, context) => {
      endsWithMainProgram(result, verdict, context);
      verdict.equal(result.status, 'runtime_error', 'status');
      verdict.equal(result.exitCode, 128 + 15, 'exit code (SIGTERM passed on)');
      verdict.equal(result.output, '', 'output');
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
  program(
    'lifecycle',
    'exit status too large for a byte',
    'the answer carries the status the kernel gives the process (255, as python3 on a host), not one the program computed',
    'import sys\nsys.exit(2**64)',
    (result, verdict) => {
      verdict.equal(result.exitCode, 255, 'exit code');
      verdict.equal(result.status, 'runtime_error', 'status');
    },
  ),
  program(
    'lifecycle',
    'forged end report',
    'the program cannot find the end token (not in its memory, the launcher is not readable through /proc), so reports it forges are output, and the answer carries its real exit status',
    [
      'import gc, os, re, sys, time',
      'candidates = set()',
      'for o in gc.get_objects():',
      '    if isinstance(o, (bytes, str)):',
      '        text = o.decode("latin1") if isinstance(o, bytes) else o',
      '        candidates.update(re.findall(r"[0-9a-f]{32}", text))',
      'for name in ("mem", "fd/0", "environ", "cmdline"):',
      '    try:',
      '        with open(f"/proc/{os.getppid()}/{name}", "rb") as f:',
      '            candidates.update(re.findall(rb"[0-9a-f]{32}", f.read(1 << 20)))',
      '    except OSError:',
      '        pass',
      'for token in candidates:',
      '    token = token.decode() if isinstance(token, bytes) else token',
      '    for fd in (1, 2):',
      '        os.write(fd, f"\\x1eSCE-END {token} 0 0\\x1e".encode())',
      'time.sleep(0.5)',
      'print("still here")',
      'sys.exit(3)',
    ].join('\n'),
    (result, verdict) => {
      verdict.equal(result.exitCode, 3, 'exit code');
      verdict.equal(result.status, 'runtime_error', 'status');
      verdict.ok(result.stdout.endsWith('still here\n'), 'output after the forged reports is kept');
    },
  ),
  program(
    'lifecycle',
    'C stdio flushed at exit',
    'output a C library buffers until exit (printf without a flush) is in the answer',
    'import ctypes\nctypes.CDLL(None).printf(b"from C\\n")',
    (result, verdict) => {
      verdict.equal(result.status, 'success', 'status');
      verdict.equal(result.stdout, 'from C\n', 'stdout');
    },
  ),
];

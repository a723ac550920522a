import {
  killedAtTimeLimit,
  program,
  type Attack,
  type AttackContext,
  type Verdict,
} from '../attack-kit.js';
import type { RunResult } from '../../../src/sandbox/run-result.js';

/**
 * Processes: fork bombs and thread floods against the PID limit.
 * Run by test/hostile/processes.e2e-spec.ts and by `npm run experiments`.
 */

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

export const processAttacks: Attack[] = [
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
    'fork bomb in a bash program',
    'contained by the PID limit, killed at the time limit',
    ':(){ :|:& };:\nsleep 3600',
    (result, verdict, context) => {
      if (bombEndedUnderGvisor(result, verdict, context)) return;
      killedAtTimeLimit(result, verdict, context);
    },
    { language: 'bash' },
  ),
  program(
    'processes',
    'fork bomb in a C program',
    'forks fail at the PID limit; the bomb is killed at the time limit',
    '#include <unistd.h>\nint main(void) { for (;;) fork(); }',
    (result, verdict, context) => {
      if (bombEndedUnderGvisor(result, verdict, context)) return;
      killedAtTimeLimit(result, verdict, context);
    },
    { language: 'c' },
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
      // Refused at the limit, not at the first thread (as when clone3 failed with EPERM).
      if (refused)
        verdict.ok(
          Number(refused[1]) >= context.limits.pidsLimit / 2,
          `at least ${context.limits.pidsLimit / 2} threads started (${refused[1]})`,
        );
    },
  ),
];

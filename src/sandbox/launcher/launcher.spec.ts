/* eslint-disable no-control-regex -- the launcher's end report is delimited by U+001E */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { frameProgram, LAUNCHER_SOURCE } from './launcher.js';

describe('the launcher', () => {
  it('frames the program length in UTF-8 bytes and the end token, then the code, then stdin', () => {
    expect(frameProgram('print("é")', 'x\n', 'ab12').toString()).toBe('11 ab12\nprint("é")x\n');
  });

  // The launcher is Python; run it with the host's python3 to check it end to end.
  function launch(program: string, stdin = '') {
    const script = LAUNCHER_SOURCE.replaceAll(
      '"/tmp/main.py"',
      `"/tmp/launcher-spec-${process.pid}.py"`,
    );
    const run = spawnSync('python3', ['-I', '-S', '-c', script], {
      input: frameProgram(program, stdin, 'f00d'),
    });
    return { stdout: run.stdout.toString(), stderr: run.stderr.toString(), status: run.status };
  }
  /** The end report (program-end.ts); the OOM count depends on the host, so any number. */
  const report = (status: number) => new RegExp(`\x1eSCE-END f00d ${status} -?\\d+\x1e$`);

  it('hands the program exactly its own stdin, between its start marker and its end report', () => {
    const run = launch('import sys\nprint(repr(sys.stdin.read()))', 'line 1\nline 2 😀');
    expect(run.stdout.startsWith("\u0006'line 1\\nline 2 😀'\n\x1eSCE-END f00d 0 ")).toBe(true);
    expect(run.stdout).toMatch(report(0));
    expect(run.stderr).toMatch(report(0));
    expect(run.status).toBe(0);
  });

  it('reports the exit status after the program’s own atexit handlers and threads', () => {
    const run = launch(
      [
        'import atexit, sys, threading, time',
        'atexit.register(lambda: print("atexit ran"))',
        'threading.Thread(target=lambda: (time.sleep(0.2), print("thread done"))).start()',
        'sys.exit(3)',
      ].join('\n'),
    );
    expect(run.stdout).toMatch(/thread done\natexit ran\n\x1eSCE-END f00d 3 /);
    expect(run.stderr).toMatch(report(3));
    expect(run.status).toBe(3);
  });

  it('reports 1 after the traceback of an uncaught exception', () => {
    const run = launch('raise ValueError("boom")');
    expect(run.stderr).toMatch(/ValueError: boom\n\x1eSCE-END f00d 1 -?\d+\x1e$/);
    expect(run.status).toBe(1);
  });

  it('reports nothing when the program leaves without the interpreter’s exit (os._exit)', () => {
    const run = launch('import os\nprint("bye", flush=True)\nos._exit(4)');
    expect(run.stdout).toBe('\u0006bye\n');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(4);
  });

  it('reports nothing from a forked child, only from the program itself', () => {
    const run = launch(
      'import os\nif os.fork() == 0:\n    raise SystemExit(7)\nos.wait()\nprint("parent")',
    );
    expect(run.stdout.match(/SCE-END/g)).toHaveLength(1);
    expect(run.stdout).toMatch(/parent\n\x1eSCE-END f00d 0 /);
  });
});

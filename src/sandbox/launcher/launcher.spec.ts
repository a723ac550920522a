import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameProgram, LAUNCHER_SOURCE, type ExecLaunch, type FrameOptions } from './launcher.js';

const TOKEN = 'f00d'.repeat(8);

describe('the launcher', () => {
  it('frames the program length in UTF-8 bytes and the time limit, the code, the end token, then stdin', () => {
    expect(frameProgram('print("é")', 'x\n', TOKEN, 5000).toString()).toBe(
      `11 5000 - 0 0 0\nprint("é")${TOKEN}x\n`,
    );
    expect(() => frameProgram('x', '', 'f00d', 5000)).toThrow(/32 hex digits/);
  });

  it('sends launcher.py without its comment lines, as the same program to Python', () => {
    const file = readFileSync(join(import.meta.dirname, 'launcher.py'), 'utf8');
    expect(LAUNCHER_SOURCE.length).toBeLessThan(file.length * 0.9);
    expect(LAUNCHER_SOURCE).not.toMatch(/^\s*#/m);
    // ast.dump leaves out line numbers: equal dumps are the same statements and strings.
    const compare = [
      'import ast, json, sys',
      'a, b = json.load(sys.stdin)',
      'print(ast.dump(ast.parse(a)) == ast.dump(ast.parse(b)))',
    ].join('\n');
    const run = spawnSync('python3', ['-I', '-S', '-c', compare], {
      input: JSON.stringify([file, LAUNCHER_SOURCE]),
    });
    expect(run.stderr.toString()).toBe('');
    expect(run.stdout.toString()).toBe('True\n');
  });

  // The launcher is Python; run it with the host's python3 to check it end to end.
  let launches = 0;
  function launch(program: string, stdin = '', timeLimitMs = 30_000) {
    // No --sandbox argument: on a host the launcher kills only the program's process group.
    const script = LAUNCHER_SOURCE.replaceAll(
      '"/tmp/main.py"',
      `"/tmp/launcher-spec-${process.pid}-${++launches}.py"`,
    );
    const run = spawnSync('python3', ['-I', '-S', '-c', script], {
      input: frameProgram(program, stdin, TOKEN, timeLimitMs),
      // As root (CI), run it as nobody, as in the sandbox: were a mistake to make it kill
      // every process it may signal, that would be nobody's few, not the machine's.
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });
    return { stdout: run.stdout.toString(), stderr: run.stderr.toString(), status: run.status };
  }
  /** The end report (program-end.ts); the OOM count depends on the host, so any number. */
  const report = (status: number, ending = 'exit') =>
    new RegExp(`\x1eSCE-END ${TOKEN} ${status} -?\\d+ ${ending} \\d+ -?\\d+ -?\\d+\x1e$`);

  it('hands the program exactly its own stdin, between its start marker and its end report', () => {
    const run = launch('import sys\nprint(repr(sys.stdin.read()))', 'line 1\nline 2 😀');
    expect(run.stdout.startsWith(`\u0006'line 1\\nline 2 😀'\n\x1eSCE-END ${TOKEN} 0 `)).toBe(true);
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
    expect(run.stdout).toMatch(new RegExp(`thread done\natexit ran\n\x1eSCE-END ${TOKEN} 3 `));
    expect(run.stderr).toMatch(report(3));
    expect(run.status).toBe(3);
  });

  it('reports 1 after the traceback of an uncaught exception', () => {
    const run = launch('raise ValueError("boom")');
    expect(run.stderr).toMatch(
      new RegExp(`ValueError: boom\n\x1eSCE-END ${TOKEN} 1 -?\\d+ exit 0 -?\\d+ -?\\d+\x1e$`),
    );
    expect(run.status).toBe(1);
  });

  it('shows a syntax error as python3 would, without the launcher’s frames', () => {
    const run = launch('print("unclosed"');
    expect(run.stderr).toMatch(/^ {2}File "\/tmp\/launcher-spec-[\d-]+\.py", line 1\n/);
    expect(run.stderr).not.toContain('<string>');
    expect(run.stderr).toMatch(report(1));
  });

  it('reports the real exit status, as the kernel gives it, whatever the program asked for', () => {
    expect(launch('import sys\nsys.exit(2**64)')).toMatchObject({ status: 255 });
    expect(launch('import sys\nsys.exit(2**64)').stdout).toMatch(report(255));
    expect(launch('import sys\nsys.exit(256 + 7)').stdout).toMatch(report(7));
    const killed = launch('import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)');
    expect(killed.stdout).toMatch(report(139));
    expect(killed.status).toBe(139);
  });

  it('reports a program that leaves without the interpreter’s exit (os._exit) too', () => {
    const run = launch('import os\nprint("bye", flush=True)\nos._exit(4)');
    expect(run.stdout).toMatch(new RegExp(`^\u0006bye\n\x1eSCE-END ${TOKEN} 4 `));
    expect(run.status).toBe(4);
  });

  it('reports once, for the program, not for its forked children', () => {
    const run = launch(
      'import os\nif os.fork() == 0:\n    raise SystemExit(7)\nos.wait()\nprint("parent")',
    );
    expect(run.stdout.match(/SCE-END/g)).toHaveLength(1);
    expect(run.stdout).toMatch(new RegExp(`parent\n\x1eSCE-END ${TOKEN} 0 `));
  });

  it('reports after what C stdio flushes at exit', () => {
    const run = launch('import ctypes\nctypes.CDLL(None).printf(b"from C\\n")');
    expect(run.stdout).toMatch(new RegExp(`^\u0006from C\n\x1eSCE-END ${TOKEN} 0 `));
  });

  it('never lets the program hold the end token: not in its memory, not through /proc', () => {
    const run = launch(
      [
        'import gc, os, sys',
        `needle = bytes.fromhex("${Buffer.from(TOKEN).toString('hex')}")`,
        'found = [o for o in gc.get_objects() if isinstance(o, (bytes, str)) and (needle in o if isinstance(o, bytes) else needle.decode() in o) and o is not needle]',
        'print("objects", len(found) > 0)',
        'for name in ("mem", "environ", "fd/0"):',
        '    try:',
        '        open(f"/proc/{os.getppid()}/{name}", "rb").read(1)',
        '        print(name, "readable")',
        '    except OSError as error:',
        '        print(name, "denied", error.errno)',
      ].join('\n'),
    );
    expect(run.stdout).toContain('objects False');
    expect(run.stdout).toMatch(/mem denied/);
    expect(run.stdout).toMatch(/fd\/0 denied/);
  });

  it('hands every byte of a large write to the pipe, whatever the pipe takes at once', () => {
    const run = launch('import sys\nsys.stdout.write("x" * 1_000_000)');
    expect(run.stdout.length).toBeGreaterThan(1_000_000);
    expect(run.stdout.indexOf('\x1eSCE-END')).toBe(1_000_001);
  });

  it('kills the program and everything it started at the time limit, and says so', () => {
    const started = Date.now();
    const run = launch(
      'import subprocess, time\nsubprocess.Popen(["sleep", "30"])\nprint("looping", flush=True)\nwhile True: pass',
      '',
      500,
    );
    expect(Date.now() - started).toBeLessThan(20_000); // not the 30 s of the sleep
    expect(run.stdout).toMatch(
      new RegExp(`^\u0006looping\n\x1eSCE-END ${TOKEN} 137 -?\\d+ time 0 -?\\d+ -?\\d+\x1e$`),
    );
    expect(run.status).toBe(137);
  });

  it('leaves nothing behind when its stdin closes before a program came (a pooled container given up)', () => {
    // The program's process is forked before the program arrives; it must go with the launcher.
    // Were it left waiting, it would hold the pipes open and this call would time out.
    const run = spawnSync('python3', ['-I', '-S', '-c', LAUNCHER_SOURCE], {
      input: '',
      timeout: 10_000,
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(1);
    expect(run.stdout.toString()).toBe('');
    expect(run.stderr.toString()).toBe('launcher: no program received\n');
  });

  it('lets a program end its own run early by sending the exit word itself, and nothing more', () => {
    // The child tells the parent its status just before it exits, so the report need not wait
    // for the kernel's teardown. A program that finds that pipe can only do what exiting does:
    // end its run now, with a status of its choosing (the report still comes after its output).
    const run = launch(
      [
        'import os, stat, time',
        'print("before", flush=True)',
        'for fd in range(3, 64):',
        '    try:',
        '        if stat.S_ISFIFO(os.fstat(fd).st_mode):',
        '            os.write(fd, b"%d 42\\n" % os.getpid())',
        '    except OSError:',
        '        pass',
        'time.sleep(1)',
      ].join('\n'),
    );
    expect(run.stdout).toMatch(
      new RegExp(`^\u0006before\n\x1eSCE-END ${TOKEN} 42 -?\\d+ exit 0 -?\\d+ -?\\d+\x1e$`),
    );
    expect(run.status).toBe(42);
  });

  it('says `exit` for a program killed by a signal of its own before the limit', () => {
    const run = launch('import os, signal\nos.kill(os.getpid(), signal.SIGKILL)', '', 5000);
    expect(run.stdout).toMatch(report(137, 'exit'));
  });

  describe('for a language other than Python (--launch)', () => {
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

    /** The launcher with `launch`, its working directory a fresh one of the host's. */
    function launchOther(
      launch: ExecLaunch,
      program: string,
      stdin = '',
      timeLimitMs = 30_000,
      options: FrameOptions = {},
      input: Buffer = frameProgram(program, stdin, TOKEN, timeLimitMs, options),
    ) {
      const dir = mkdtempSync(join(tmpdir(), 'launcher-spec-'));
      dirs.push(dir);
      const script = LAUNCHER_SOURCE.replace(
        'WORKDIR = "/tmp"',
        `WORKDIR = ${JSON.stringify(dir)}`,
      );
      const run = spawnSync(
        'python3',
        ['-I', '-S', '-c', script, '--launch', JSON.stringify(launch)],
        { input, cwd: dir },
      );
      return {
        stdout: run.stdout.toString(),
        stderr: run.stderr.toString(),
        status: run.status,
        dir,
      };
    }
    const shell: ExecLaunch = { sourceFile: 'main.sh', command: ['sh', 'main.sh'] };
    const c: ExecLaunch = {
      sourceFile: 'main.c',
      compile: ['gcc', '-O0', '-o', 'main', 'main.c'],
      compileTimeoutMs: 20_000,
      command: ['./main'],
    };

    it('writes the source to its file and runs the command in its place, with its stdin', () => {
      const run = launchOther(shell, 'read name\necho "hi $name from $0"\nexit 5', 'Ada\n');
      expect(run.stdout).toMatch(new RegExp(`^\u0006hi Ada from main.sh\n\x1eSCE-END ${TOKEN} 5 `));
      expect(run.stdout).toMatch(report(5));
      expect(run.status).toBe(5);
    });

    describe('with an interpreter started before the program arrives (prestart)', () => {
      // sh stands in for Node.js: it notes that it has started, waits for the go on
      // descriptor 3 (leaving quietly at its end of file), then runs the source file.
      const prestarted: ExecLaunch = {
        sourceFile: 'main.sh',
        command: ['sh', 'main.sh'],
        prestart: [
          'sh',
          '-c',
          'echo $$ > started; [ -n "$(dd bs=1 count=1 <&3 2>/dev/null)" ] || exit 0; exec sh main.sh',
        ],
      };

      it('starts it before any program comes, and it leaves when none does', () => {
        const run = launchOther(prestarted, '', '', 30_000, {}, Buffer.alloc(0));
        expect(run.stderr).toContain('launcher: no program received');
        expect(readFileSync(join(run.dir, 'started'), 'utf8')).toMatch(/^\d+\n$/);
        expect(existsSync(join(run.dir, 'main.sh'))).toBe(false);
      });

      it('runs the program in it with exactly its stdin, and ends with its exit status', () => {
        const run = launchOther(
          prestarted,
          'read name\necho "hi $name from $0"\ncat\nexit 5',
          'Ada\nthe rest',
        );
        expect(run.stdout).toMatch(
          new RegExp(`^\u0006hi Ada from main.sh\nthe rest\x1eSCE-END ${TOKEN} 5 `),
        );
        expect(run.stdout).toMatch(report(5));
        expect(run.status).toBe(5);
      });

      it('ends killed by the signal that killed it', () => {
        const run = launchOther(prestarted, 'echo bye\nkill -TERM $$\nsleep 5');
        expect(run.stdout).toMatch(new RegExp(`^\u0006bye\n`));
        expect(run.stdout).toMatch(report(143));
      });

      it('is killed with everything else at the time limit', () => {
        const run = launchOther(prestarted, 'echo looping\nwhile :; do :; done', '', 300);
        expect(run.stdout).toMatch(report(137, 'time'));
      });
    });

    it('kills it at the time limit', () => {
      const run = launchOther(shell, 'echo looping\nwhile :; do :; done', '', 300);
      expect(run.stdout).toMatch(
        new RegExp(`^\u0006looping\n\x1eSCE-END ${TOKEN} 137 -?\\d+ time 0 -?\\d+ -?\\d+\x1e$`),
      );
    });

    it('compiles first, reports the compile time, then runs the program with its stdin', () => {
      const run = launchOther(
        c,
        '#include <stdio.h>\nint main(void) { int n; scanf("%d", &n); printf("%d\\n", n * 2); return 0; }',
        '21',
      );
      expect(run.stdout).toMatch(
        new RegExp(`^\u000642\n\x1eSCE-END ${TOKEN} 0 -?\\d+ exit \\d+ -?\\d+ -?\\d+\x1e$`),
      );
      const compileMs = Number(new RegExp(`exit (\\d+) -?\\d+ -?\\d+\x1e$`).exec(run.stdout)?.[1]);
      expect(compileMs).toBeGreaterThan(0);
    });

    it('reports `compile` with the compiler’s messages when compilation fails, and never runs it', () => {
      const run = launchOther(c, 'int main(void) { return nope; }');
      expect(run.stderr).toMatch(/main\.c:1:\d+: error: .nope. undeclared/);
      expect(run.stdout).toMatch(
        new RegExp(`^\u0006\x1eSCE-END ${TOKEN} 1 -?\\d+ compile \\d+ -?\\d+ -?\\d+\x1e$`),
      );
    });

    it('says when the compilation is over under the compile token, before the program runs', () => {
      const compileToken = 'c0de'.repeat(8);
      const run = launchOther(
        c,
        '#include <stdio.h>\nint main(void) { puts("ran"); return 0; }',
        '',
        30_000,
        {
          compileToken,
        },
      );
      expect(run.stdout).toMatch(
        new RegExp(`^\u0006\x1eSCE-COMPILED ${compileToken} ok\x1eran\n\x1eSCE-END ${TOKEN} 0 `),
      );
    });

    it('places the request’s files, subfolders made, before the program runs', () => {
      const files = [
        { name: 'data/in.txt', data: Buffer.from('from a file\n') },
        { name: 'bytes', data: Buffer.from([0, 255]) },
      ];
      const run = launchOther(shell, 'cat data/in.txt\nod -An -tu1 bytes', '', 30_000, { files });
      expect(run.stdout).toMatch(
        new RegExp(`^\u0006from a file\n\\s+0\\s+255\n\x1eSCE-END ${TOKEN} 0 `),
      );
    });

    it('sends the regular files of out/ under the end token, never a link’s target, within the caps', () => {
      const run = launchOther(
        shell,
        [
          'mkdir -p out/sub',
          'printf text > out/a.txt',
          'printf deep > out/sub/b.txt',
          'printf 0123456789 > out/too-big.txt',
          'ln -s /etc/passwd out/link',
          'mkfifo out/fifo',
        ].join('\n'),
        '',
        30_000,
        { out: { maxFiles: 5, maxBytes: 9 } },
      );
      const sent = new RegExp(
        `\x1eSCE-FILES ${TOKEN} (\\d+)\x1e(.*)\x1eSCE-END ${TOKEN} 0 `,
        's',
      ).exec(run.stdout);
      expect(sent).not.toBeNull();
      expect(Number(sent![1])).toBe(Buffer.byteLength(sent![2]));
      expect(JSON.parse(sent![2])).toEqual({
        files: [
          ['a.txt', 4, Buffer.from('text').toString('base64')],
          ['sub/b.txt', 4, Buffer.from('deep').toString('base64')],
        ],
        truncated: true,
      });
    });

    it('stops a compilation at its own limit', () => {
      const slow = { ...c, compile: ['sh', '-c', 'sleep 5'], compileTimeoutMs: 200 };
      const run = launchOther(slow, 'int main(void) { return 0; }');
      expect(run.stderr).toMatch(/compilation stopped: it took longer than 200 ms/);
      expect(run.stdout).toMatch(report(124, 'compile'));
    });
  });
});

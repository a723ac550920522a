import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startService, type RunningService } from '../support/service.js';
import { runProgram } from '../support/run.js';

/**
 * The launcher runs each program in its own, already started interpreter (no second
 * interpreter start). These tests hold it to what `python3 -u /tmp/main.py` does in the same
 * sandbox: a reference program writes the program under test to /tmp/main.py, runs it in a
 * fresh interpreter and reports what that printed, and the service's answer must match.
 */
function reference(code: string, stdin: string): string {
  return [
    'import json, subprocess, sys',
    `open("/tmp/main.py", "w", encoding="utf-8").write(${JSON.stringify(code)})`,
    'r = subprocess.run([sys.executable, "-u", "/tmp/main.py"], capture_output=True,',
    `                   input=${JSON.stringify(stdin)}.encode())`,
    'print(json.dumps([r.stdout.decode(), r.stderr.decode(), r.returncode]))',
  ].join('\n');
}

const PROGRAMS: [string, string, string?][] = [
  ['a traceback', 'def f():\n    return 1 / 0\nprint("before")\nf()'],
  ['a syntax error', 'print("unclosed"'],
  ['an indentation error', 'if True:\nprint(1)'],
  ['sys.exit with a code', 'import sys\nprint("bye")\nsys.exit(3)'],
  ['sys.exit with a message', 'import sys\nsys.exit("fatal: " + "x")'],
  ['the exit() of site', 'print("a")\nexit(4)'],
  [
    'the identity of __main__',
    'import sys, __main__\nprint(__name__, __file__, sys.argv, sys.path[0], sys.orig_argv[1:])\nprint(type(__loader__).__name__, __spec__, __package__, __main__ is sys.modules[__name__])\nprint(sorted(k for k in globals() if not k.startswith("__")))',
  ],
  [
    'pickling a class of __main__',
    'import pickle\nclass A: pass\nprint(type(pickle.loads(pickle.dumps(A()))).__name__)',
  ],
  ['stdin', 'import sys\nprint(input())\nprint(repr(sys.stdin.read()))', 'first\nrest é\n'],
  [
    'a custom excepthook',
    'import sys\nsys.excepthook = lambda t, e, tb: print("hooked", t.__name__)\nraise ValueError("x")',
  ],
  [
    'a chained exception',
    'try:\n    {}["k"]\nexcept KeyError as e:\n    raise RuntimeError("wrapped") from e',
  ],
  ['a warning', 'import warnings\nwarnings.warn("old", DeprecationWarning)\nprint("ok")'],
  [
    'threads and atexit',
    'import atexit, threading\natexit.register(lambda: print("atexit"))\nt = threading.Thread(target=lambda: print("thread"))\nt.start()\nt.join()',
  ],
  [
    'flags and encodings',
    'import sys\nprint(sys.flags.no_site, sys.flags.isolated, sys.stdout.encoding, sys.getdefaultencoding())\nprint("é😀")',
  ],
];

describe('programs run as `python3 -u /tmp/main.py` would', () => {
  let t: RunningService;

  beforeAll(async () => {
    t = await startService();
  });

  afterAll(async () => {
    expect(await t.stop()).toBe(0);
    expect(await t.containers()).toEqual([]);
  });

  it.each(PROGRAMS)('for %s', async (_name, code, stdin = '') => {
    const ref = await runProgram(t.url, reference(code, stdin));
    expect(ref.status).toBe('success');
    const [stdout, stderr, exitCode] = JSON.parse(ref.stdout) as [string, string, number];

    const result = await runProgram(t.url, code, stdin);
    expect({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode }).toEqual({
      stdout,
      stderr,
      exitCode,
    });
    expect(result.stderr).not.toContain('<string>'); // no launcher frame in tracebacks
  });
});

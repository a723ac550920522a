import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import request from 'supertest';
import { RUNTIMES } from '../src/runtimes/runtime-catalogue.js';
import { startService, type RunningService } from './support/service.js';

/**
 * Every runtime of the catalogue on the real engine: its image must be built
 * (`npm run sandbox:ensure -- --all`, as .ci/run does). Each runtime has one warm container, so
 * these runs go through the pool as users' runs do; the pool-off hostile run covers cold starts.
 */

interface RuntimeCases {
  hello: string;
  /** Reads a name and a number from stdin ("Ada\n21\n"), prints "Ada 42". */
  echo: string;
  /** Fails at run time, printing "boom" on stderr. */
  crash: string;
  /** Never ends. */
  loop: string;
  /** Takes far more memory than its limit. */
  hog: string;
  /** Does not compile (compiled runtimes only). */
  broken?: string;
}

/**
 * The time limit a memory hog asks for: the cases judge memory alone. On a slow machine, with a
 * cold page cache, bash's doubling string took 3.5-5.0 s to fill 128 MB and numpy 3.6 s, so the
 * service's 4 s limit sometimes came first. A hog whose thrashing went unseen would still run
 * into this limit and answer `timeout`.
 */
const HOG_TIMEOUT_MS = 15_000;

const CASES: Record<string, RuntimeCases> = {
  python: {
    hello: 'print("hello from python")',
    echo: 'name = input()\nn = int(input())\nprint(name, n * 2)',
    crash: 'import sys\nprint("boom", file=sys.stderr)\nsys.exit(3)',
    loop: 'while True:\n    pass',
    hog: 'x = bytearray(1024 * 1024 * 1024)',
  },
  'python-scientific': {
    hello: 'import numpy as np\nprint("hello from python-scientific", int(np.arange(4).sum()))',
    echo: 'import numpy as np\nname = input()\nn = np.int64(input())\nprint(name, n * 2)',
    crash: 'import sys\nprint("boom", file=sys.stderr)\nsys.exit(3)',
    loop: 'while True:\n    pass',
    hog: 'import numpy as np\nx = np.ones(400_000_000)',
  },
  javascript: {
    hello: 'console.log("hello from javascript")',
    echo: [
      'const [name, n] = require("fs").readFileSync(0, "utf8").trim().split("\\n");',
      'console.log(name, Number(n) * 2);',
    ].join('\n'),
    crash: 'console.error("boom");\nprocess.exit(3);',
    loop: 'for (;;) {}',
    hog: 'const keep = [];\nfor (;;) keep.push(Buffer.alloc(1 << 20, 1));',
  },
  bash: {
    hello: 'echo "hello from bash"',
    echo: 'read name\nread n\necho "$name $((n * 2))"',
    crash: 'echo boom >&2\nexit 3',
    loop: 'while :; do :; done',
    hog: 'a=x\nwhile :; do a=$a$a; done',
  },
  c: {
    hello: '#include <stdio.h>\nint main(void) { puts("hello from c"); return 0; }',
    echo: [
      '#include <stdio.h>',
      'int main(void) { char name[32]; int n; scanf("%31s %d", name, &n); printf("%s %d\\n", name, n * 2); return 0; }',
    ].join('\n'),
    crash: '#include <stdio.h>\nint main(void) { fputs("boom\\n", stderr); return 3; }',
    loop: 'int main(void) { for (;;) {} }',
    hog: [
      '#include <stdlib.h>',
      '#include <string.h>',
      'int main(void) { for (;;) { char *p = malloc(1 << 20); if (!p) return 1; memset(p, 1, 1 << 20); } }',
    ].join('\n'),
    broken: 'int main(void) { return undeclared_name; }',
  },
  cpp: {
    hello: '#include <iostream>\nint main() { std::cout << "hello from cpp" << std::endl; }',
    echo: [
      '#include <iostream>',
      '#include <string>',
      'int main() { std::string name; int n; std::cin >> name >> n; std::cout << name << " " << n * 2 << "\\n"; }',
    ].join('\n'),
    crash: '#include <iostream>\nint main() { std::cerr << "boom\\n"; return 3; }',
    loop: 'int main() { for (;;) {} }',
    hog: [
      '#include <vector>',
      'int main() { std::vector<std::vector<char>> keep; for (;;) keep.emplace_back(1 << 20, 1); }',
    ].join('\n'),
    broken: 'int main() { return undeclared_name; }',
  },
  ruby: {
    hello: 'puts "hello from ruby"',
    echo: 'name = gets.strip\nn = gets.to_i\nputs "#{name} #{n * 2}"',
    crash: 'warn "boom"\nexit 3',
    loop: 'loop {}',
    hog: 'keep = []\nloop { keep << ("a" * (1 << 20)) }',
  },
  php: {
    hello: '<?php echo "hello from php\\n";',
    echo: '<?php $name = trim(fgets(STDIN)); $n = (int) fgets(STDIN); echo "$name " . ($n * 2) . "\\n";',
    crash: '<?php fwrite(STDERR, "boom\\n"); exit(3);',
    loop: '<?php for (;;) {}',
    hog: '<?php ini_set("memory_limit", "-1"); $keep = []; for (;;) $keep[] = str_repeat("a", 1 << 20);',
  },
};

interface ReturnedFile {
  name: string;
  size: number;
  encoding: 'utf8' | 'base64';
  content: string;
}

interface RunBody {
  files?: ReturnedFile[];
  filesTruncated?: boolean;
  status: string;
  output: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  durationMs: number;
  compileMs?: number;
}

describe('runtimes: every language of the catalogue on the real engine', () => {
  let t: RunningService;

  beforeAll(async () => {
    // One warm container per runtime. A time limit short enough for the loops to end soon; the
    // memory hogs ask for a longer one (HOG_TIMEOUT_MS).
    t = await startService({
      SANDBOX_POOL_SIZES: RUNTIMES.map((runtime) => `${runtime.language}=1`).join(','),
      SANDBOX_TIMEOUT_MS: '4000',
      OUT_FILES_MAX_COUNT: '5',
      FILES_MAX_COUNT: '4',
    });
  });

  afterAll(async () => {
    expect(await t.leftovers()).toEqual([]);
    expect(await t.stop()).toBe(0);
    expect(await t.containers()).toEqual([]);
  });

  async function runWith(body: Record<string, unknown>): Promise<RunBody> {
    return (await request(t.url).post('/run').send(body).expect(200)).body as RunBody;
  }

  async function run(language: string, code: string, stdin?: string): Promise<RunBody> {
    return runWith({ language, code, ...(stdin === undefined ? {} : { stdin }) });
  }

  it('has a case for every runtime of the catalogue', () => {
    expect(Object.keys(CASES).sort()).toEqual(RUNTIMES.map((runtime) => runtime.language).sort());
  });

  it('lists every runtime on GET /runtimes, each with its image built here', async () => {
    const answer = await request(t.url).get('/runtimes').expect(200);
    const listed = answer.body as {
      language: string;
      aliases: string[];
      version: string;
      imagePresent: boolean | null;
      compiled: boolean;
      limits: { timeoutMs: number; memoryMb: number; compileTimeoutMs?: number };
    }[];
    expect(listed.map((entry) => entry.language)).toEqual(RUNTIMES.map((r) => r.language));
    for (const entry of listed) {
      expect(entry.imagePresent).toBe(true);
      expect(entry.version).toMatch(/^\d+(\.\d+)?$/);
    }
    expect(listed.find((entry) => entry.language === 'python')).toMatchObject({
      aliases: ['py', 'python3'],
      compiled: false,
      limits: { timeoutMs: 4000, memoryMb: 128 },
    });
    expect(listed.find((entry) => entry.language === 'c')).toMatchObject({
      compiled: true,
      limits: { timeoutMs: 4000, compileTimeoutMs: 10_000 },
    });
  });

  it('refuses an unknown language with a 400 naming the known ones', async () => {
    const answer = await request(t.url)
      .post('/run')
      .send({ language: 'cobol', code: 'DISPLAY "HI"' })
      .expect(400);
    expect(JSON.stringify(answer.body)).toContain(
      `language must be one of: ${RUNTIMES.map((r) => r.language).join(', ')}`,
    );
  });

  it('takes an alias, in any case, for its language', async () => {
    const answer = await request(t.url)
      .post('/run')
      .send({ language: 'JS', code: 'console.log(typeof process.versions.node)' })
      .expect(200);
    expect(answer.body).toMatchObject({ status: 'success', output: 'string' });
  });

  describe.each(Object.entries(CASES))('%s', (language, cases) => {
    it('says hello', async () => {
      const body = await run(language, cases.hello);
      expect(body).toMatchObject({ status: 'success', exitCode: 0 });
      expect(body.output).toMatch(new RegExp(`^hello from ${language}`));
    });

    it('reads its stdin', async () => {
      expect(await run(language, cases.echo, 'Ada\n21\n')).toMatchObject({
        status: 'success',
        output: 'Ada 42',
      });
    });

    it('reports a runtime error with its exit code and stderr', async () => {
      expect(await run(language, cases.crash)).toMatchObject({
        status: 'runtime_error',
        exitCode: 3,
        stderr: 'boom\n',
      });
    });

    it('is stopped at the time limit', async () => {
      expect(await run(language, cases.loop)).toMatchObject({
        status: 'timeout',
        exitCode: null,
      });
    });

    it('is stopped at the memory limit', async () => {
      const body = await runWith({
        language,
        code: cases.hog,
        limits: { timeoutMs: HOG_TIMEOUT_MS },
      });
      expect(body).toMatchObject({ status: 'memory_exceeded', exitCode: null });
    });

    if (cases.broken !== undefined) {
      const broken = cases.broken;
      it('answers compile_error with the compiler’s messages, and a compile time apart', async () => {
        const body = await run(language, broken);
        expect(body.status).toBe('compile_error');
        expect(body.output).toMatch(/error: .undeclared_name. (was not declared|undeclared)/);
        expect(body.compileMs).toBeGreaterThan(0);
        const ok = await run(language, cases.hello);
        expect(ok.compileMs).toBeGreaterThan(0);
        expect(ok.durationMs).toBeGreaterThanOrEqual(0);
      });
    }
  });

  // Node.js and Ruby run in an interpreter started before the program arrived (`prestart`);
  // the program must not tell it from `node main.js` or `ruby main.rb`.
  describe('a program in an interpreter started before it arrived', () => {
    it('is Node.js’s main module, as in `node main.js` run beside it, with a require of its own', async () => {
      const body = await runWith({
        language: 'javascript',
        code: [
          'const seen = JSON.stringify([Object.getOwnPropertyNames(globalThis).sort(), require.main === module,',
          '  __filename, process.argv.slice(1), process.execArgv, Object.keys(require.cache)]);',
          'if (process.env.AS_NODE_MAIN_JS) { console.log(seen); process.exit(0); }',
          'const real = require("child_process").execFileSync(process.execPath, ["main.js"],',
          '  { env: { ...process.env, AS_NODE_MAIN_JS: "1" } }).toString().trim();',
          'console.log(seen === real || [seen, real], JSON.parse(seen).slice(1), require("./twice.js")(21));',
          'setTimeout(() => { throw new Error("late") }, 10);',
        ].join('\n'),
        files: [{ name: 'twice.js', content: 'module.exports = (n) => 2 * n;' }],
      });
      expect(body).toMatchObject({
        status: 'runtime_error',
        exitCode: 1,
        stdout: `true [ true, '/tmp/main.js', [ '/tmp/main.js' ], [], [ '/tmp/main.js' ] ] 42\n`,
      });
      expect(body.stderr).toMatch(/^\/tmp\/main\.js:7\n/);
      expect(body.stderr).toContain('Error: late\n    at Timeout._onTimeout (/tmp/main.js:7:');
    });

    it('is Ruby’s main script: __FILE__, $0, DATA, require_relative, an error’s backtrace', async () => {
      const body = await runWith({
        language: 'ruby',
        code: [
          'require_relative "twice"',
          'puts [__FILE__, $0, __FILE__ == $0, twice(21), local_variables, DATA.read].inspect',
          'def fail_here = raise("boom")',
          'fail_here',
          '__END__',
          'data',
        ].join('\n'),
        files: [{ name: 'twice.rb', content: 'def twice(n) = 2 * n' }],
      });
      expect(body).toMatchObject({
        status: 'runtime_error',
        exitCode: 1,
        stdout: '["main.rb", "main.rb", true, 42, [], "data"]\n',
        stderr: "main.rb:3:in `fail_here': boom (RuntimeError)\n\tfrom main.rb:4:in `<main>'\n",
      });
    });

    it('gives Ruby’s own message for a syntax error', async () => {
      const body = await run('ruby', 'def broken(\n');
      expect(body).toMatchObject({ status: 'runtime_error', exitCode: 1 });
      expect(body.stderr).toMatch(/^main\.rb:\d+: syntax error, unexpected end-of-input/);
      expect(body.stderr).not.toContain('SyntaxError');
    });
  });

  describe('limits of a request, within the operator’s caps', () => {
    const hold200 = 'x = bytearray(200 * 1024 * 1024)\nprint(len(x) // 2**20)';

    it('runs with more memory when asked, and reports what the run used', async () => {
      const tight = await run('python', hold200);
      expect(tight).toMatchObject({ status: 'memory_exceeded' });
      const roomy = await request(t.url)
        .post('/run')
        .send({ code: hold200, limits: { memoryMb: 300 } })
        .expect(200);
      expect(roomy.body).toMatchObject({ status: 'success', output: '200' });
      const used = roomy.body as RunBody & { cpuMs: number; memoryPeakMb: number };
      expect(used.memoryPeakMb).toBeGreaterThanOrEqual(200);
      expect(used.memoryPeakMb).toBeLessThanOrEqual(300);
      expect(used.cpuMs).toBeGreaterThanOrEqual(0);
    });

    it('stops a program at its own, shorter time limit', async () => {
      const answer = await request(t.url)
        .post('/run')
        .send({ language: 'bash', code: 'echo started\nsleep 60', limits: { timeoutMs: 700 } })
        .expect(200);
      expect(answer.body).toMatchObject({ status: 'timeout', output: 'started' });
      expect((answer.body as RunBody).durationMs).toBeGreaterThanOrEqual(700);
    });

    it('runs a compiled program with its own memory, not the compiler’s', async () => {
      // 200 MiB fits the compiler's 256 MiB but not the program's 128 MiB.
      const code = [
        '#include <stdio.h>',
        '#include <stdlib.h>',
        // volatile: every page is touched, whatever the optimizer knows.
        'int main(void) { size_t n = 200u << 20; volatile char *p = malloc(n); for (size_t i = 0; i < n; i += 4096) p[i] = 1; printf("%d\\n", p[n - 4096]); return 0; }',
      ].join('\n');
      expect(await run('c', code)).toMatchObject({ status: 'memory_exceeded' });
      const roomy = await request(t.url)
        .post('/run')
        .send({ language: 'c', code, limits: { memoryMb: 300 } })
        .expect(200);
      expect(roomy.body).toMatchObject({ status: 'success', output: '1' });
    });

    it.each([
      [{ timeoutMs: 30_001 }, 'limits.timeoutMs must be at most 30000 (SANDBOX_MAX_TIMEOUT_MS)'],
      [{ memoryMb: 1025 }, 'limits.memoryMb must be at most 1024 (SANDBOX_MAX_MEMORY_MB)'],
      [{ timeoutMs: 99 }, 'limits.timeoutMs must be at least 100'],
      [{ memoryMb: 8 }, 'limits.memoryMb must be at least 32'],
      [{ memoryMb: 1.5 }, 'limits.memoryMb must be an integer (MiB)'],
      [{ cpus: 4 }, 'limits.property cpus should not exist'],
      [7, 'limits must be an object'],
    ])('refuses limits %j with a 400 naming the limit', async (limits, message) => {
      const answer = await request(t.url)
        .post('/run')
        .send({ code: 'print(1)', limits })
        .expect(400);
      expect(JSON.stringify(answer.body)).toContain(message);
    });
  });

  describe('files in and out', () => {
    it('places a Python program’s other module and its data in a subfolder', async () => {
      const body = await runWith({
        code: 'import helper\nprint(helper.twice(21), open("data/in.csv").read().split())',
        files: [
          { name: 'helper.py', content: 'def twice(x):\n    return 2 * x\n' },
          { name: 'data/in.csv', content: 'a,b\n1,2\n' },
        ],
      });
      expect(body).toMatchObject({ status: 'success', output: "42 ['a,b', '1,2']" });
    });

    it('compiles a C program with its header, and places bytes given as base64', async () => {
      const body = await runWith({
        language: 'c',
        code: [
          '#include <stdio.h>',
          '#include "lib/twice.h"',
          'int main(void) { FILE *f = fopen("blob", "rb"); int a = fgetc(f), b = fgetc(f);',
          '  printf("%d %d %d\\n", twice(21), a, b); return 0; }',
        ].join('\n'),
        files: [
          { name: 'lib/twice.h', content: 'static int twice(int x) { return 2 * x; }\n' },
          { name: 'blob', content: Buffer.from([0, 255]).toString('base64'), encoding: 'base64' },
        ],
      });
      expect(body).toMatchObject({ status: 'success', output: '42 0 255' });
    });

    it('returns what the program writes under out/: text as text, bytes as base64, subfolders too', async () => {
      const body = await runWith({
        code: [
          'import os',
          'os.makedirs("out/deep/er")',
          'open("out/hello.txt", "w").write("héllo\\n")',
          'open("out/deep/er/bytes.bin", "wb").write(bytes([0, 1, 2, 255]))',
          'open("not-out.txt", "w").write("stays")',
        ].join('\n'),
      });
      expect(body.status).toBe('success');
      expect(body.files).toEqual([
        { name: 'deep/er/bytes.bin', size: 4, encoding: 'base64', content: 'AAEC/w==' },
        { name: 'hello.txt', size: 7, encoding: 'utf8', content: 'héllo\n' },
      ]);
      expect(body.filesTruncated).toBe(false);
    });

    it('never follows a link in out/, nor reads anything but regular files', async () => {
      const body = await runWith({
        code: [
          'import os',
          'os.makedirs("out")',
          'open("secret.txt", "w").write("outside out/")',
          'os.symlink("/etc/passwd", "out/passwd")',
          'os.symlink("../secret.txt", "out/secret")',
          'os.symlink("/etc", "out/etc")',
          'os.mkfifo("out/fifo")',
          'open("out/real.txt", "w").write("real")',
        ].join('\n'),
      });
      expect(body.status).toBe('success');
      expect(body.files).toEqual([
        { name: 'real.txt', size: 4, encoding: 'utf8', content: 'real' },
      ]);
      expect(JSON.stringify(body)).not.toContain('root:');
    });

    it('returns at most OUT_FILES_MAX_COUNT files, and says it left some out', async () => {
      const body = await runWith({
        code: 'import os\nos.makedirs("out")\nfor i in range(8):\n    open(f"out/{i}.txt", "w").write(str(i))',
      });
      expect(body.files?.map((file) => file.name)).toEqual([
        '0.txt',
        '1.txt',
        '2.txt',
        '3.txt',
        '4.txt',
      ]);
      expect(body.filesTruncated).toBe(true);
    });

    it('returns a matplotlib plot as a PNG (python-scientific)', async () => {
      const body = await runWith({
        language: 'python-scientific',
        code: [
          'import os',
          'import matplotlib.pyplot as plt',
          'import numpy as np',
          'import pandas as pd',
          'os.makedirs("out")',
          'x = np.linspace(0, 6.28, 50)',
          'frame = pd.DataFrame({"x": x, "y": np.sin(x)})',
          'plt.plot(frame.x, frame.y)',
          'plt.savefig("out/plot.png")',
          'print(round(frame.y.max(), 2))',
        ].join('\n'),
      });
      expect(body).toMatchObject({ status: 'success', output: '1.0' });
      const [plot] = body.files ?? [];
      expect(plot).toMatchObject({ name: 'plot.png', encoding: 'base64' });
      const png = Buffer.from(plot.content, 'base64');
      expect(png.subarray(0, 8)).toEqual(
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      );
      expect(png.length).toBe(plot.size);
    });

    it.each([
      ['../escape.txt', 'must not contain a .. segment'],
      ['data/../../escape.txt', 'must not contain a .. segment'],
      ['/etc/passwd', 'must be a relative path, not an absolute one'],
      ['', 'must not be empty'],
      ['.', 'must not have an empty or . segment'],
      ['a//b', 'must not have an empty or . segment'],
      ['a/./b', 'must not have an empty or . segment'],
      ['trailing/', 'must not have an empty or . segment'],
      ['nul\u0000byte', 'must not contain NUL'],
      ['bell\u0007', 'must not contain control characters'],
      ['back\\slash', 'must use / between folders, not \\'],
      ['main.py', 'must not replace the program itself (main.py)'],
      ['x'.repeat(256), 'must be at most 255 characters'],
    ])('refuses the file name %j with a 400 naming the file', async (name, problem) => {
      const answer = await request(t.url)
        .post('/run')
        .send({
          code: 'print(1)',
          files: [
            { name: 'fine.txt', content: '' },
            { name, content: 'x' },
          ],
        })
        .expect(400);
      expect((answer.body as { message: string }).message).toBe(
        `files[1].name ${JSON.stringify(name)} ${problem}`,
      );
    });

    it.each([
      [
        [
          { name: 'a', content: '' },
          { name: 'a', content: '' },
        ],
        'files[1].name "a" is given twice',
      ],
      [
        [
          { name: 'a', content: '' },
          { name: 'a/b', content: '' },
        ],
        'files: "a" is a file and also a folder of "a/b"',
      ],
      [
        Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, content: '' })),
        'files must hold at most 4 files (FILES_MAX_COUNT); got 5',
      ],
      [
        [{ name: 'big', content: 'x'.repeat(256 * 1024 + 1) }],
        'files must hold at most 262144 bytes in all, decoded (FILES_MAX_BYTES); got 262145',
      ],
      [
        [{ name: 'bad', content: 'not base64!', encoding: 'base64' }],
        'files[0].content of "bad" is not valid base64',
      ],
      [[{ name: 'x', content: 1 }], 'files.0.content must be a string'],
      [[{ name: 'x', content: '', encoding: 'latin1' }], 'files.0.encoding must be utf8 or base64'],
      ['main.py', 'files must be an array of {name, content, encoding?}'],
    ])('refuses files %# with a 400 naming the problem', async (files, message) => {
      const answer = await request(t.url)
        .post('/run')
        .send({ code: 'print(1)', files })
        .expect(400);
      expect(String((answer.body as { message: unknown }).message)).toContain(message);
    });

    it('refuses a C program’s file named as its source', async () => {
      const answer = await request(t.url)
        .post('/run')
        .send({
          language: 'c',
          code: 'int main(void){return 0;}',
          files: [{ name: 'main.c', content: '' }],
        })
        .expect(400);
      expect(JSON.stringify(answer.body)).toContain('must not replace the program itself (main.c)');
    });
  });

  describe('at the memory limit with a cold page cache', () => {
    let cold: RunningService;

    beforeAll(async () => {
      // No pool: each run's interpreter starts after the caches are dropped, as a cold start
      // on a busy host does.
      cold = await startService({ SANDBOX_POOL_SIZE: '0', SANDBOX_TIMEOUT_MS: '4000' });
    });

    afterAll(async () => {
      expect(await cold.leftovers()).toEqual([]);
      expect(await cold.stop()).toBe(0);
    });

    it.each(Object.entries(CASES))(
      '%s is stopped as out of memory, not left to thrash until the time limit',
      async (language, cases) => {
        // With the interpreter's files out of the page cache, the container is charged for
        // them, and at the limit the kernel evicts and reloads the program's code instead of
        // killing it (launcher.py, ThrashWatch). Dropping the host's clean caches needs root, as
        // the suite's engines do.
        writeFileSync('/proc/sys/vm/drop_caches', '3');
        const answer = await request(cold.url)
          .post('/run')
          .send({ language, code: cases.hog, limits: { timeoutMs: HOG_TIMEOUT_MS } })
          .expect(200);
        expect(answer.body).toMatchObject({ status: 'memory_exceeded', exitCode: null });
        // Thrashing that goes on until the time limit is also reported as out of memory: the
        // case is that the launcher stopped it well before.
        expect((answer.body as RunBody).durationMs).toBeLessThan(HOG_TIMEOUT_MS);
      },
    );
  });
});

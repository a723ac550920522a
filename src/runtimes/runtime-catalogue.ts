/**
 * Every language the service runs, as data, in one place: which image, which Debian packages
 * make that image, how the launcher runs a program (and compiles it first where it must), and
 * the default limits. The isolation is the same for all (sandbox-policy.ts); only what is here
 * differs. The image builds (scripts/sandbox-image.ts) and the service read this same list.
 *
 * Pure data with no imports, so scripts, the sandbox and the HTTP layer can all read it.
 */

/** How the launcher turns the source into a running program. */
export type RuntimeLaunch =
  /**
   * Python, in the launcher's own interpreter, already started and forked when the program
   * arrives (launcher.py); `interpreter` is the python3 that runs the launcher.
   */
  | { readonly kind: 'python'; readonly interpreter: string }
  /**
   * Anything else: the launcher writes the source to `sourceFile` in the working directory,
   * runs `compile` first where there is one (its own time and memory limits), then replaces
   * the program's process with `command` (argv; relative to the working directory).
   */
  | {
      readonly kind: 'exec';
      readonly interpreter: 'python3';
      readonly compile?: readonly string[];
      readonly command: readonly string[];
      /**
       * For an interpreter whose start is most of a short run: argv that starts it with the
       * container, before the program arrives, waiting for one byte on descriptor 3; it then
       * runs `sourceFile` as `command` would (same file name, argv, exit status and errors, but
       * for the interpreter's own frames in a stack trace). The launcher uses it instead of
       * `command`: the launcher's child becomes it, and the parent reads the program for it.
       */
      readonly prestart?: readonly string[];
    };

export interface RuntimeLimits {
  /** Wall-clock limit of the program, from its start. Unset: SANDBOX_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Memory limit of the container while the program runs. Unset: SANDBOX_MEMORY_MB. */
  readonly memoryMb?: number;
}

export interface CompileLimits {
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

export interface RuntimeDefinition {
  /** The name a request gives in `language`. */
  readonly language: string;
  /** Other names accepted for it. */
  readonly aliases: readonly string[];
  /** The version Debian bookworm ships (what the offline build installs). */
  readonly version: string;
  /** Image the service runs it in (SANDBOX_IMAGE overrides python's). */
  readonly image: string;
  /** Debian packages installed on top of the base image (python3 is always there, for the launcher). */
  readonly packages: readonly string[];
  /** A command the image build runs (as the sandbox user) to prove the image works. */
  readonly check: string;
  /** File the source is written to, in the working directory; what error messages name. */
  readonly sourceFile: string;
  readonly launch: RuntimeLaunch;
  readonly limits: RuntimeLimits;
  /** Limits of the compile step, for runtimes that have one. */
  readonly compileLimits?: CompileLimits;
  /** Extra environment of the program (on top of the sandbox's own). */
  readonly env?: readonly string[];
  /** The language's name for the page's editor and examples. */
  readonly label: string;
}

/**
 * Node.js, started before the program: on the go it runs main.js as `node main.js` does (the
 * same loader, as the main module, with that argv and global object), so only internal frames
 * of an uncaught error's stack differ. Its own names live in a function, never the program's.
 */
const NODE_PRESTART = [
  'node',
  '-e',
  [
    '(() => {',
    '  const fs = require("fs");',
    '  const loader = require("module");',
    '  const path = require("path");',
    // Made now, not in the run: the streams a program's first console.log would make.
    '  process.stdout; process.stderr;',
    // What -e puts on the global object and `node main.js` does not: the built-in modules by
    // name, and require, module, exports, __filename, __dirname.
    '  const added = ["__dirname", "__filename", "exports", "module", "require"].concat(',
    '    loader.builtinModules.filter((name) => !name.startsWith("_") && !name.includes("/")));',
    '  for (const name of added) if (name !== "console" && name !== "process") delete globalThis[name];',
    '  if (fs.readSync(3, Buffer.alloc(1), 0, 1, null) !== 1) process.exit(0);',
    '  fs.closeSync(3);',
    '  process.argv.splice(1, Infinity, path.resolve("main.js"));',
    '  process.execArgv.length = 0;',
    '  loader.runMain();',
    '})();',
  ].join('\n'),
];

/**
 * Ruby, started before the program: on the go it compiles main.rb and runs it at the top level
 * as `ruby main.rb` does (`__FILE__`, `$0`, `<main>`, `DATA`, a syntax error's message, exit
 * status), its own frames taken off an uncaught error's backtrace; only `caller` at the top
 * level still shows them. Its names live in a lambda, never in the program's top-level scope.
 */
const RUBY_PRESTART = [
  'ruby',
  '-e',
  [
    '-> do',
    '  go = IO.for_fd(3)',
    '  exit 0 unless go.read(1)',
    '  go.close',
    '  $0 = "main.rb"',
    '  begin',
    '    program = RubyVM::InstructionSequence.compile_file("main.rb")',
    '  rescue SyntaxError => error',
    '    warn error.message',
    '    exit 1',
    '  end',
    '  data = File.open("main.rb")',
    '  if data.each_line.any? { |line| line.chomp == "__END__" }',
    '    Object.const_set(:DATA, data)',
    '  else',
    '    data.close',
    '  end',
    '  begin',
    '    program.eval',
    '  rescue Exception => error',
    '    error.set_backtrace(error.backtrace.reject { |line| line.start_with?("-e:") }) if error.backtrace',
    '    raise error',
    '  end',
    'end.call',
  ].join('\n'),
];

/** The compile step of C and C++, for either compiler. */
const C_COMPILE_LIMITS: CompileLimits = { timeoutMs: 10_000, memoryMb: 256 };

export const RUNTIMES: readonly RuntimeDefinition[] = [
  {
    language: 'python',
    aliases: ['py', 'python3'],
    version: '3.11',
    label: 'Python',
    image: 'safe-code-executor-python:3.11',
    packages: [],
    check: "python3 -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version'",
    sourceFile: 'main.py',
    launch: { kind: 'python', interpreter: 'python3' },
    limits: {},
  },
  {
    language: 'python-scientific',
    aliases: ['scipy', 'numpy', 'pandas'],
    version: '3.11',
    label: 'Python (numpy, pandas, scipy, matplotlib)',
    image: 'safe-code-executor-python-scientific:3.11',
    packages: ['python3-numpy', 'python3-pandas', 'python3-scipy', 'python3-matplotlib'],
    check:
      '/usr/bin/python3 -c \'import numpy, pandas, scipy, matplotlib.pyplot; assert matplotlib.get_backend().lower() == "agg"\'',
    sourceFile: 'main.py',
    // Debian's python3, the one its numpy and friends are built for (a registry base may put
    // another python3 first on PATH).
    launch: { kind: 'python', interpreter: '/usr/bin/python3' },
    // numpy, pandas and matplotlib take about 100 MB between them once imported.
    limits: { memoryMb: 512 },
    env: ['MPLBACKEND=Agg'],
  },
  {
    language: 'javascript',
    aliases: ['js', 'node', 'nodejs'],
    version: '18',
    label: 'JavaScript (Node.js)',
    image: 'safe-code-executor-javascript:18',
    packages: ['nodejs'],
    check: 'node -e \'if (!process.versions.node.startsWith("18.")) process.exit(1)\'',
    sourceFile: 'main.js',
    launch: {
      kind: 'exec',
      interpreter: 'python3',
      command: ['node', 'main.js'],
      prestart: NODE_PRESTART,
    },
    limits: {},
  },
  {
    language: 'bash',
    aliases: ['sh', 'shell'],
    version: '5.2',
    label: 'Bash',
    image: 'safe-code-executor-bash:5.2',
    packages: [],
    check: 'bash -c \'[[ "$BASH_VERSION" == 5.2.* ]]\'',
    sourceFile: 'main.sh',
    launch: { kind: 'exec', interpreter: 'python3', command: ['bash', 'main.sh'] },
    limits: {},
  },
  {
    language: 'c',
    aliases: ['gcc'],
    version: '12',
    label: 'C (gcc)',
    image: 'safe-code-executor-c:12',
    packages: ['gcc', 'libc6-dev'],
    check: "gcc -dumpversion | grep -qx '12'",
    sourceFile: 'main.c',
    launch: {
      kind: 'exec',
      interpreter: 'python3',
      compile: ['gcc', '-std=gnu17', '-O2', '-pipe', '-o', 'main', 'main.c', '-lm'],
      command: ['./main'],
    },
    limits: {},
    compileLimits: C_COMPILE_LIMITS,
  },
  {
    language: 'cpp',
    aliases: ['c++', 'g++'],
    version: '12',
    label: 'C++ (g++)',
    image: 'safe-code-executor-cpp:12',
    packages: ['g++', 'libc6-dev'],
    check: "g++ -dumpversion | grep -qx '12'",
    sourceFile: 'main.cpp',
    launch: {
      kind: 'exec',
      interpreter: 'python3',
      compile: ['g++', '-std=gnu++20', '-O2', '-pipe', '-o', 'main', 'main.cpp', '-lm'],
      command: ['./main'],
    },
    limits: {},
    compileLimits: C_COMPILE_LIMITS,
  },
  {
    language: 'ruby',
    aliases: ['rb'],
    version: '3.1',
    label: 'Ruby',
    image: 'safe-code-executor-ruby:3.1',
    packages: ['ruby'],
    check: 'ruby -e \'exit(RUBY_VERSION.start_with?("3.1.") ? 0 : 1)\'',
    sourceFile: 'main.rb',
    launch: {
      kind: 'exec',
      interpreter: 'python3',
      command: ['ruby', 'main.rb'],
      prestart: RUBY_PRESTART,
    },
    limits: {},
  },
  {
    language: 'php',
    aliases: ['php8'],
    version: '8.2',
    label: 'PHP',
    image: 'safe-code-executor-php:8.2',
    packages: ['php-cli'],
    check: "php -r 'exit(PHP_MAJOR_VERSION === 8 && PHP_MINOR_VERSION === 2 ? 0 : 1);'",
    sourceFile: 'main.php',
    launch: { kind: 'exec', interpreter: 'python3', command: ['php', 'main.php'] },
    limits: {},
  },
];

/** The language of requests that name none: today's requests keep running Python. */
export const DEFAULT_LANGUAGE = 'python';

/** The runtime a name (or alias) means, or undefined. */
export function findRuntime(name: string): RuntimeDefinition | undefined {
  const wanted = name.toLowerCase();
  return RUNTIMES.find(
    (runtime) => runtime.language === wanted || runtime.aliases.includes(wanted),
  );
}

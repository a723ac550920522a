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
    launch: { kind: 'exec', interpreter: 'python3', command: ['node', 'main.js'] },
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
    launch: { kind: 'exec', interpreter: 'python3', command: ['ruby', 'main.rb'] },
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

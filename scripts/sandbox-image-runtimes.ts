/**
 * Which sandbox images scripts/sandbox-image.ts makes, and with which build arguments: one per
 * runtime of the catalogue (src/runtimes/runtime-catalogue.ts), all from sandbox-image/Dockerfile.
 * Kept apart from scripts/sandbox-image.ts (which runs on import) so that these decisions have
 * unit tests.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_LANGUAGE,
  findRuntime,
  RUNTIMES,
  type RuntimeDefinition,
} from '../src/runtimes/runtime-catalogue.js';
import { FatalError } from './sandbox-image-sources.js';

export const USAGE =
  'Usage: node dist/scripts/sandbox-image.js [--runtime NAME[,NAME...]]... | --all ' +
  '[--rebuild] [--offline] [--refresh-base] [--export FILE]';

export interface Options {
  /** The runtimes whose images to make, in catalogue order, each once. */
  runtimes: RuntimeDefinition[];
  /** --all: every runtime of the catalogue. */
  all: boolean;
  rebuild: boolean;
  offline: boolean;
  /** Debootstrap a new offline base even when one is on the engine. */
  refreshBase: boolean;
  /** Where to write the image as a `docker save` archive, once it is on the engine. */
  exportTo?: string;
}

/** The names a user may give, for error messages: `python (py, python3), ...`. */
export function knownRuntimes(): string {
  return RUNTIMES.map((runtime) =>
    runtime.aliases.length
      ? `${runtime.language} (${runtime.aliases.join(', ')})`
      : runtime.language,
  ).join(', ');
}

/** The runtimes named by `names` (each may be a comma list), in catalogue order. */
export function resolveRuntimes(names: readonly string[]): RuntimeDefinition[] {
  const wanted = new Set<RuntimeDefinition>();
  const unknown: string[] = [];
  for (const name of names.flatMap((list) => list.split(','))) {
    const trimmed = name.trim();
    if (trimmed === '') continue;
    const runtime = findRuntime(trimmed);
    if (runtime) wanted.add(runtime);
    else unknown.push(trimmed);
  }
  if (unknown.length) {
    throw new FatalError(
      `unknown runtime${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => JSON.stringify(name)).join(', ')}`,
      `Known runtimes (and aliases): ${knownRuntimes()}.`,
    );
  }
  if (wanted.size === 0) {
    throw new FatalError('--runtime names no runtime', `Known runtimes: ${knownRuntimes()}.`);
  }
  return RUNTIMES.filter((runtime) => wanted.has(runtime));
}

export function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        runtime: { type: 'string', multiple: true },
        all: { type: 'boolean', default: false },
        rebuild: { type: 'boolean', default: false },
        offline: { type: 'boolean', default: false },
        'refresh-base': { type: 'boolean', default: false },
        export: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new FatalError(error instanceof Error ? error.message : String(error), USAGE);
  }
  const names = values.runtime ?? [];
  if (values.all && names.length) {
    throw new FatalError('give either --all or --runtime, not both', USAGE);
  }
  const runtimes = values.all
    ? [...RUNTIMES]
    : names.length
      ? resolveRuntimes(names)
      : [findRuntime(DEFAULT_LANGUAGE) as RuntimeDefinition];
  if (values.export !== undefined && runtimes.length !== 1) {
    throw new FatalError(
      `--export writes one image, but ${runtimes.length} runtimes are named`,
      'Name one with --runtime NAME (without one it exports python), and run it once per image.',
    );
  }
  return {
    runtimes,
    all: values.all,
    rebuild: values.rebuild,
    offline: values.offline,
    refreshBase: values['refresh-base'],
    exportTo: values.export,
  };
}

/** The image a runtime's build makes: the catalogue's, except SANDBOX_IMAGE renames python's. */
export function imageName(runtime: RuntimeDefinition, sandboxImage: string | undefined): string {
  const override = sandboxImage?.trim();
  return runtime.language === DEFAULT_LANGUAGE && override ? override : runtime.image;
}

/**
 * org.opencontainers.image.title of a runtime's image: how a rebuild recognises the image it
 * replaced as its own to remove (never another runtime's).
 */
export function imageTitle(runtime: RuntimeDefinition): string {
  return `safe-code-executor-${runtime.language}`;
}

/** A catalogue value that goes into the Dockerfile's shell unquoted must be plain words. */
const PLAIN_WORD = /^[A-Za-z0-9][A-Za-z0-9.+_=:/-]*$/;

/** The build arguments of sandbox-image/Dockerfile for `runtime` on `baseImage`. */
export function buildArgs(runtime: RuntimeDefinition, baseImage: string): Record<string, string> {
  for (const word of [...runtime.packages, ...(runtime.env ?? [])]) {
    if (!PLAIN_WORD.test(word)) {
      throw new FatalError(
        `runtime ${runtime.language}: ${JSON.stringify(word)} is not a plain package name or NAME=value`,
      );
    }
  }
  return {
    BASE_IMAGE: baseImage,
    RUNTIME: runtime.language,
    PACKAGES: runtime.packages.join(' '),
    CHECK: runtime.check,
    CHECK_ENV: (runtime.env ?? []).join(' '),
    TITLE: imageTitle(runtime),
    DESCRIPTION: `${runtime.label} ${runtime.version} sandbox image for Safe Code Executor`,
  };
}

/**
 * A shell command printing the version the image really holds (one line), for the label
 * safe-code-executor.runtime-version. A runtime missing here simply gets no such label.
 */
export const VERSION_COMMANDS: Readonly<Record<string, string>> = {
  python: "python3 -c 'import platform; print(platform.python_version())'",
  'python-scientific':
    "/usr/bin/python3 -c 'import platform, numpy, pandas, scipy, matplotlib as m; " +
    'print(platform.python_version(), "numpy", numpy.__version__, "pandas", pandas.__version__, ' +
    '"scipy", scipy.__version__, "matplotlib", m.__version__)\'',
  javascript: 'node -p process.versions.node',
  bash: 'bash -c \'echo "${BASH_VERSION%%(*}"\'',
  c: 'gcc -dumpfullversion',
  cpp: 'g++ -dumpfullversion',
  ruby: "ruby -e 'print RUBY_VERSION'",
  php: "php -r 'echo PHP_VERSION;'",
};

/** What a version command printed, fit for a label: its last line, tame characters, bounded. */
export function versionLabel(output: string): string | undefined {
  const line = output.trim().split('\n').pop()?.trim() ?? '';
  const tame = line.replace(/[^A-Za-z0-9.+~:_ -]/g, '').slice(0, 200);
  return tame === '' ? undefined : tame;
}

export interface BuildReport {
  runtime: string;
  image: string;
  /** Size of the image; undefined when its build failed. */
  bytes?: number;
  /** Seconds the build took; undefined when the image was already there. */
  seconds?: number;
  failed?: boolean;
}

/** The table printed at the end of a build of several runtimes. */
export function formatTable(rows: readonly BuildReport[]): string[] {
  const cells = [
    ['runtime', 'image', 'size', 'seconds'],
    ...rows.map((row) => [
      row.runtime,
      row.image,
      row.bytes === undefined ? '-' : `${(row.bytes / 1e6).toFixed(0)} MB`,
      row.failed ? 'FAILED' : row.seconds === undefined ? 'present' : String(row.seconds),
    ]),
  ];
  const widths = cells[0].map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const right = [false, false, true, true];
  return cells.map((row) =>
    row
      .map((cell, column) =>
        right[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join('  ')
      .trimEnd(),
  );
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The launcher's Python source (launcher.py beside this file; the build copies it to dist/),
 * read once when the module loads. It is the container's command: `python3 -u -c <source>`, so
 * every create request carries it and the engine parses and stores it with each container. Its
 * comment lines and blank lines, a fifth of the file, are for the file's readers and are left
 * out (the unit test checks that Python parses both to the same program).
 */
export const LAUNCHER_SOURCE = withoutCommentLines(
  readFileSync(join(import.meta.dirname, 'launcher.py'), 'utf8'),
);

/**
 * `source` without the lines that hold only a comment or nothing. Safe for launcher.py, whose
 * multi-line strings (its docstrings) have no such line: the unit test would see the change.
 */
function withoutCommentLines(source: string): string {
  const kept = source.split('\n').filter((line) => {
    const text = line.trim();
    return text !== '' && !text.startsWith('#');
  });
  return `${kept.join('\n')}\n`;
}

/** How the launcher runs a program that is not Python (launcher.py reads it from `--launch`). */
export interface ExecLaunch {
  sourceFile: string;
  /** The compiler's argv, run in the working directory before the program. */
  compile?: readonly string[];
  compileTimeoutMs?: number;
  command: readonly string[];
  /**
   * An interpreter started with the container, before the program arrives: it waits for one
   * byte on descriptor 3, then runs the source file as `command` would. Used instead of `command`.
   */
  prestart?: readonly string[];
}

/**
 * The command of a sandbox container. `--sandbox` tells the launcher it is alone with the
 * program under a user of their own, so that at the time limit it may kill every process it can
 * signal (launcher.py); the unit tests, which run it on a host, leave it out. `interpreter` is
 * the python3 that runs the launcher (and a Python program in it); `exec` is given for every
 * other language.
 */
export function launcherCommand(interpreter: string, exec?: ExecLaunch): string[] {
  return [
    interpreter,
    '-u',
    '-c',
    LAUNCHER_SOURCE,
    '--sandbox',
    ...(exec ? ['--launch', JSON.stringify(exec)] : []),
  ];
}

/**
 * Byte the launcher writes on stdout once it holds the whole program, just before running it.
 * The service takes it off the output; a container that exits without it never ran its program
 * (for example a pooled container that died while waiting), so the program can safely be run
 * again elsewhere.
 */
export const PROGRAM_START_MARKER = 0x06;

/** Length of the end token, in bytes of ASCII (hex). */
export const END_TOKEN_LENGTH = 32;

/** A file placed in the working directory before the program starts. */
export interface ProgramFile {
  /** Relative path, checked by the API (no `..`, no absolute path, no empty or `.` segment). */
  name: string;
  data: Buffer;
}

/** What the launcher is told besides the source (all optional). */
export interface FrameOptions {
  /** Asks the launcher to say when the compilation is over (compiledPrefix). */
  compileToken?: string;
  files?: readonly ProgramFile[];
  /** Most files, and bytes in all, the launcher returns from out/ (0 files: none). */
  out?: { maxFiles: number; maxBytes: number };
}

/**
 * Frames a program and its stdin for the launcher:
 * `<byte length> <time limit in ms> <compile token or -> <files length> <out files> <out bytes>\n
 * <source><files><end token><stdin>`. The launcher kills the program at the time limit itself
 * (to the millisecond, counted from the program's start) and reads the end token only after it
 * has forked the program's process, so the program never holds it; `endToken` (32 hex digits)
 * goes into the end report (program-end.ts). The files are a JSON array of
 * `[name, base64]`. A compile token asks the launcher to say when the compilation is over
 * (compiledPrefix): the service then sends the end token only after adjusting the container
 * (`frameHead` first, `frameTail` later).
 */
export function frameProgram(
  code: string,
  stdin: string,
  endToken: string,
  timeLimitMs: number,
  options: FrameOptions = {},
): Buffer {
  return Buffer.concat([frameHead(code, timeLimitMs, options), frameTail(endToken, stdin)]);
}

/** The header, the source and the files. */
export function frameHead(code: string, timeLimitMs: number, options: FrameOptions = {}): Buffer {
  const { compileToken, files = [], out = { maxFiles: 0, maxBytes: 0 } } = options;
  if (compileToken !== undefined) assertToken(compileToken, 'compile');
  const source = Buffer.from(code, 'utf8');
  const block =
    files.length === 0
      ? Buffer.alloc(0)
      : Buffer.from(JSON.stringify(files.map((file) => [file.name, file.data.toString('base64')])));
  const header = [
    source.length,
    Math.ceil(timeLimitMs),
    compileToken ?? '-',
    block.length,
    out.maxFiles,
    out.maxBytes,
  ].join(' ');
  return Buffer.concat([Buffer.from(`${header}\n`), source, block]);
}

/** The end token, then the program's stdin. */
export function frameTail(endToken: string, stdin: string): Buffer {
  assertToken(endToken, 'end');
  return Buffer.concat([Buffer.from(endToken, 'latin1'), Buffer.from(stdin, 'utf8')]);
}

function assertToken(token: string, name: string): void {
  if (!/^[0-9a-f]+$/.test(token) || token.length !== END_TOKEN_LENGTH) {
    throw new Error(`the ${name} token must be ${END_TOKEN_LENGTH} hex digits`);
  }
}

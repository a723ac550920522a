/**
 * The launcher's report that the program has ended, written as the very last thing on both
 * stdout and stderr: `\x1eSCE-END <token> <exit status> <OOM kills> <exit|time|compile> <compile ms>
 * <CPU µs> <memory peak KiB>\x1e` (the last two -1 where the launcher cannot read the cgroup). With it on both
 * streams, everything the program wrote before it has arrived (each pipe keeps its order), so
 * the service can answer without waiting for the engine to process the container's exit.
 * The token is new for every run, and the program never holds it (launcher.py reads it only after
 * forking the program's process), so the program cannot forge the report.
 */
export interface ProgramEnd {
  /** The program's exit status (0-255). */
  exitCode: number;
  /** OOM kills in the container's memory cgroup so far; -1 when the launcher could not tell. */
  oomKills: number;
  /**
   * `time`: the launcher killed the program at the time limit; `exit`: it ended by itself;
   * `compile`: its compilation failed (or passed the compile limit), so it never ran.
   */
  ending: 'exit' | 'time' | 'compile';
  /** How long the compilation took (0 for a runtime without one). */
  compileMs: number;
  /** CPU time of the container from the program's start (the cgroup's); -1 if unknown. */
  cpuUs: number;
  /** The container's highest memory use (the cgroup's); -1 if unknown. */
  memoryPeakKb: number;
}

const SEPARATOR = 0x1e;
/** Longest report after its prefix: five fields of ten digits, a word, and some room. */
const MAX_FIELDS_BYTES = 80;
const EMPTY = Buffer.alloc(0);

export function programEndPrefix(token: string): Buffer {
  return Buffer.from(`\x1eSCE-END ${token} `, 'latin1');
}

/**
 * The launcher's word after a compilation, on stdout under the compile token of the run's
 * header: `\x1eSCE-COMPILED <token> ok|fail\x1e`. The service may then change the container's
 * memory to the program's before it sends the end token, which starts the program.
 */
export function compiledPrefix(token: string): Buffer {
  return Buffer.from(`\x1eSCE-COMPILED ${token} `, 'latin1');
}

/**
 * Finds one in-band message of the launcher (`<prefix><fields>\x1e`) in one stream's bytes as
 * they arrive, split anywhere, and takes it off the output. What comes after it is output too
 * (`after: 'output'`), not (`after: 'dropped'`: nothing after the end report is the answer's,
 * for a process the program left behind cannot add to an answer whose program has ended), or
 * left to the caller (`after: 'held'`, in `rest`).
 */
export class MarkerScanner<T> {
  /** Bytes that may be the start of the message, held back until that is decided. */
  private held: Buffer = EMPTY;
  private found: T | undefined;

  constructor(
    private readonly prefix: Buffer,
    private readonly parse: (fields: string) => T | undefined,
    private readonly after: 'output' | 'dropped' | 'held',
  ) {
    if (prefix[0] !== SEPARATOR || prefix.indexOf(SEPARATOR, 1) >= 0) {
      throw new Error('a marker prefix must hold the separator as its first byte only');
    }
  }

  /** With `after: 'held'`: the bytes after the message (in the chunk that completed it). */
  rest: Buffer = EMPTY;

  get message(): T | undefined {
    return this.found;
  }

  /** Returns the bytes of `data` that are output. */
  feed(data: Buffer): Buffer {
    if (this.found !== undefined) return this.after === 'output' ? data : EMPTY;
    const bytes = this.held.length > 0 ? Buffer.concat([this.held, data]) : data;
    this.held = EMPTY;
    const at = bytes.indexOf(this.prefix);
    if (at >= 0) {
      const fieldsStart = at + this.prefix.length;
      const close = bytes.indexOf(SEPARATOR, fieldsStart);
      if (close < 0) {
        if (bytes.length - fieldsStart <= MAX_FIELDS_BYTES) {
          this.held = Buffer.from(bytes.subarray(at));
          return bytes.subarray(0, at);
        }
        return bytes; // too long to be the report: ordinary output
      }
      const message = this.parse(bytes.subarray(fieldsStart, close).toString('latin1'));
      if (message === undefined) return bytes; // not the message after all
      this.found = message;
      const before = bytes.subarray(0, at);
      if (this.after === 'dropped') return before;
      if (this.after === 'held') {
        this.rest = Buffer.from(bytes.subarray(close + 1));
        return before;
      }
      const rest = bytes.subarray(close + 1);
      return rest.length === 0 ? before : Buffer.concat([before, rest]);
    }
    const keep = this.prefixStartAtEnd(bytes);
    if (keep === 0) return bytes;
    this.held = Buffer.from(bytes.subarray(bytes.length - keep));
    return bytes.subarray(0, bytes.length - keep);
  }

  /**
   * Length of the tail of `bytes` that could be the start of the prefix. The prefix holds the
   * separator only as its first byte, so only a tail from the last separator can be one: one
   * comparison per chunk, whatever the chunks look like.
   */
  private prefixStartAtEnd(bytes: Buffer): number {
    const window = bytes.subarray(Math.max(0, bytes.length - (this.prefix.length - 1)));
    const start = window.lastIndexOf(SEPARATOR);
    if (start < 0) return 0;
    const tail = window.subarray(start);
    return tail.equals(this.prefix.subarray(0, tail.length)) ? tail.length : 0;
  }

  /** At the end of the stream: what was held back was output after all. */
  flush(): Buffer {
    const held = this.held;
    this.held = EMPTY;
    return held;
  }
}

/** The scanner of the end report: nothing after it is output. */
export class ProgramEndScanner extends MarkerScanner<ProgramEnd> {
  constructor(prefix: Buffer) {
    super(prefix, parseEnd, 'dropped');
  }

  get end(): ProgramEnd | undefined {
    return this.message;
  }
}

/** The scanner of the word after a compilation: what follows is the program's output. */
export class CompiledScanner extends MarkerScanner<'ok' | 'fail'> {
  constructor(prefix: Buffer) {
    super(
      prefix,
      (fields) => (fields === 'ok' || fields === 'fail' ? fields : undefined),
      'output',
    );
  }
}

function parseEnd(text: string): ProgramEnd | undefined {
  const match =
    /^(\d{1,3}) (-1|\d{1,10}) (exit|time|compile) (\d{1,10}) (-1|\d{1,15}) (-1|\d{1,12})$/.exec(
      text,
    );
  if (!match) return undefined;
  const exitCode = Number(match[1]);
  if (exitCode > 255) return undefined;
  return {
    exitCode,
    oomKills: Number(match[2]),
    ending: match[3] as ProgramEnd['ending'],
    compileMs: Number(match[4]),
    cpuUs: Number(match[5]),
    memoryPeakKb: Number(match[6]),
  };
}

/** One file the program left in out/, as the launcher read it. */
export interface ReturnedFile {
  name: string;
  data: Buffer;
}

export interface ReturnedFiles {
  files: ReturnedFile[];
  /** The launcher left files out (more than its caps). */
  truncated: boolean;
}

/** Largest payload believed: the launcher's caps are far smaller. */
const MAX_FILES_PAYLOAD = 256 * 1024 * 1024;

export function filesPrefix(token: string): Buffer {
  return Buffer.from(`\x1eSCE-FILES ${token} `, 'latin1');
}

/**
 * The files of out/, which the launcher writes on stdout just before its end report, under the
 * end token (so the program cannot forge them): `\x1eSCE-FILES <token> <length>\x1e<JSON>`.
 * Takes them off the output, so they never count against the output limit.
 */
export class FilesScanner {
  private readonly header: MarkerScanner<number>;
  private remaining = 0;
  private readonly chunks: Buffer[] = [];
  private parsed: ReturnedFiles | undefined;

  constructor(prefix: Buffer) {
    this.header = new MarkerScanner(
      prefix,
      (fields) => {
        const length = /^\d{1,10}$/.test(fields) ? Number(fields) : NaN;
        return length > 0 && length <= MAX_FILES_PAYLOAD ? length : undefined;
      },
      'held',
    );
  }

  get files(): ReturnedFiles | undefined {
    return this.parsed;
  }

  /** Returns the bytes of `data` that are output. */
  feed(data: Buffer): Buffer {
    if (this.parsed) return data;
    if (this.header.message === undefined) {
      const output = this.header.feed(data);
      const length = this.header.message;
      if (length === undefined) return output;
      this.remaining = length;
      const after = this.take(this.header.rest);
      return after.length === 0 ? output : Buffer.concat([output, after]);
    }
    return this.take(data);
  }

  flush(): Buffer {
    return this.header.message === undefined ? this.header.flush() : EMPTY;
  }

  /** Payload bytes off the front of `bytes`; returns what follows the payload. */
  private take(bytes: Buffer): Buffer {
    const part = bytes.subarray(0, this.remaining);
    this.chunks.push(Buffer.from(part));
    this.remaining -= part.length;
    if (this.remaining === 0) this.parsed = parseFiles(Buffer.concat(this.chunks));
    return bytes.subarray(part.length);
  }
}

function parseFiles(payload: Buffer): ReturnedFiles {
  try {
    const body = JSON.parse(payload.toString('utf8')) as { files?: unknown; truncated?: unknown };
    const files: ReturnedFile[] = [];
    for (const entry of Array.isArray(body.files) ? body.files : []) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[2] !== 'string') {
        continue;
      }
      files.push({ name: entry[0], data: Buffer.from(entry[2], 'base64') });
    }
    return { files, truncated: body.truncated === true };
  } catch {
    return { files: [], truncated: true };
  }
}

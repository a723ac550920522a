import { TextDecoder } from 'node:util';
import {
  CompiledScanner,
  compiledPrefix,
  FilesScanner,
  filesPrefix,
  type ReturnedFiles,
  ProgramEndScanner,
  programEndPrefix,
  type ProgramEnd,
} from './launcher/program-end.js';

export type StreamName = 'stdout' | 'stderr';

/** Text of one stream, decoded as it arrived. */
interface Piece {
  stream: StreamName;
  text: string;
}

export interface CollectedOutput {
  /** stdout and stderr merged in the order they arrived, each decoded on its own. */
  merged: string;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

const HEADER_BYTES = 8;

/**
 * Reads Docker's multiplexed attach stream (8-byte frame headers: stream id, 3 zero bytes,
 * big-endian payload length) and keeps at most `limitBytes` of payload. Anything past the
 * limit is dropped as it arrives, so a flood never costs the service more than the limit.
 */
export class OutputCollector {
  private readonly pieces: Piece[] = [];
  /**
   * One streaming UTF-8 decoder per stream: a character split across writes of one stream
   * still decodes, and bytes of the two streams never combine into one (`e2 80` on stdout and
   * `ae` on stderr are two U+FFFD, not a right-to-left override). Invalid sequences become
   * U+FFFD, so the JSON answer is always valid; a leading BOM is output like any character.
   */
  private readonly decoders: Record<StreamName, TextDecoder> = {
    stdout: new TextDecoder('utf-8', { ignoreBOM: true }),
    stderr: new TextDecoder('utf-8', { ignoreBOM: true }),
  };
  /** Bytes of a frame header split across reads. */
  private header: Buffer = Buffer.alloc(0);
  /** The frame being read, if its header is complete. */
  private frame: { stream: StreamName; remaining: number } | null = null;
  private kept = 0;
  private overLimit = false;
  private startSeen = false;
  private stdoutSeen = false;
  /** One per stream, when the launcher reports the program's end (see program-end.ts). */
  private readonly endScanners: Record<StreamName, ProgramEndScanner> | undefined;
  private reportEnd: (end: ProgramEnd) => void = () => undefined;
  /** Resolves when the launcher has reported the program's end on both streams. */
  readonly programEnded = new Promise<ProgramEnd>((resolve) => (this.reportEnd = resolve));
  /** The files of out/, which the launcher sends under the end token before its report. */
  private readonly filesScanner: FilesScanner | undefined;
  /** The launcher's word after a compilation, when the run has a compile token. */
  private readonly compiledScanner: CompiledScanner | undefined;
  private reportCompiled: (verdict: 'ok' | 'fail') => void = () => undefined;
  /** Resolves when the launcher says the compilation is over (runs with a compile token). */
  readonly compiled = new Promise<'ok' | 'fail'>((resolve) => (this.reportCompiled = resolve));

  /**
   * @param onLimit called once, as soon as the program writes more than the limit.
   * @param startMarker byte the launcher writes on stdout just before the program starts
   *   (PROGRAM_START_MARKER); it is taken off the output and recorded in `programStarted`.
   * @param endToken this run's token in the launcher's end report; without it, no report is
   *   looked for.
   * @param onText called with each piece of kept output as soon as it is decoded (live output):
   *   the same text, in the same order, as the result holds, so the cap applies to it alike.
   */
  constructor(
    private readonly limitBytes: number,
    private readonly onLimit: () => void,
    private readonly startMarker?: number,
    endToken?: string,
    private readonly onText?: (stream: StreamName, text: string) => void,
    compileToken?: string,
  ) {
    if (compileToken !== undefined) {
      this.compiledScanner = new CompiledScanner(compiledPrefix(compileToken));
    }
    if (endToken !== undefined) {
      this.filesScanner = new FilesScanner(filesPrefix(endToken));
      const prefix = programEndPrefix(endToken);
      this.endScanners = {
        stdout: new ProgramEndScanner(prefix),
        stderr: new ProgramEndScanner(prefix),
      };
    }
  }

  get truncated(): boolean {
    return this.overLimit;
  }

  /** Whether the launcher announced the program's start (always true without a marker). */
  get programStarted(): boolean {
    return this.startMarker === undefined || this.startSeen;
  }

  /** Feeds raw bytes from the attach stream. */
  write(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.frame === null) {
        const part = data.subarray(offset, offset + HEADER_BYTES - this.header.length);
        this.header = Buffer.concat([this.header, part]);
        offset += part.length;
        if (this.header.length < HEADER_BYTES) return;
        const stream: StreamName = this.header[0] === 2 ? 'stderr' : 'stdout';
        this.frame = { stream, remaining: this.header.readUInt32BE(4) };
        this.header = Buffer.alloc(0);
        continue;
      }
      const length = Math.min(this.frame.remaining, data.length - offset);
      this.take(this.frame.stream, data.subarray(offset, offset + length));
      offset += length;
      this.frame.remaining -= length;
      if (this.frame.remaining === 0) this.frame = null;
    }
  }

  private take(stream: StreamName, payload: Buffer): void {
    if (stream === 'stdout' && !this.stdoutSeen && payload.length > 0) {
      this.stdoutSeen = true;
      // Only the launcher writes to stdout before the program starts, so the first stdout
      // byte is its marker; the program cannot fake its absence.
      if (this.startMarker !== undefined && payload[0] === this.startMarker) {
        this.startSeen = true;
        payload = payload.subarray(1);
      }
    }
    // Past the limit nothing more is kept and the end report no longer decides the answer
    // (the engine's record of the kill does), so the rest of a flood costs no scanning.
    if (this.overLimit) return;
    // The word after a compilation first, until it comes: the launcher then waits for the
    // service, so the word's last byte must not be held back as the start of another message.
    if (stream === 'stdout' && this.compiledScanner && !this.compiledScanner.message) {
      payload = this.compiledScanner.feed(payload);
      const verdict = this.compiledScanner.message;
      if (verdict) this.reportCompiled(verdict);
    }
    // Then the end report: the files' scanner holds back a tail that could begin its message,
    // and the report's closing byte could.
    let ended = false;
    if (this.endScanners) {
      const scanner = this.endScanners[stream];
      payload = scanner.feed(payload);
      const { stdout, stderr } = this.endScanners;
      ended = scanner.end !== undefined && stdout.end !== undefined && stderr.end !== undefined;
    }
    if (stream === 'stdout' && this.filesScanner) payload = this.filesScanner.feed(payload);
    this.keep(stream, payload);
    // Last: the files before the report on stdout are in by now.
    if (ended) this.reportEnd(this.endScanners!.stdout.end!);
  }

  /** Keeps program output up to the limit; the first byte past it stops the program. */
  private keep(stream: StreamName, payload: Buffer): void {
    if (this.overLimit || payload.length === 0) return;
    const room = this.limitBytes - this.kept;
    const bytes = payload.length <= room ? payload : payload.subarray(0, room);
    if (bytes.length > 0) {
      this.append(stream, this.decoders[stream].decode(bytes, { stream: true }));
      this.kept += bytes.length;
    }
    if (payload.length > room) {
      this.overLimit = true;
      this.onLimit();
    }
  }

  /** What the launcher returned from out/, if anything. */
  get returnedFiles(): ReturnedFiles | undefined {
    return this.filesScanner?.files;
  }

  result(): CollectedOutput {
    if (this.compiledScanner && !this.compiledScanner.message) {
      this.keep('stdout', this.compiledScanner.flush());
    }
    if (this.filesScanner) this.keep('stdout', this.filesScanner.flush());
    if (this.endScanners) {
      // Bytes held back as a possible report that never completed were output after all.
      for (const stream of ['stdout', 'stderr'] as const) {
        this.keep(stream, this.endScanners[stream].flush());
      }
    }
    // A character left incomplete at the end of its stream (or cut at the limit) is U+FFFD.
    for (const stream of ['stdout', 'stderr'] as const) {
      this.append(stream, this.decoders[stream].decode());
    }
    const text = (pieces: Piece[]) => pieces.map((piece) => piece.text).join('');
    return {
      merged: text(this.pieces),
      stdout: text(this.pieces.filter((piece) => piece.stream === 'stdout')),
      stderr: text(this.pieces.filter((piece) => piece.stream === 'stderr')),
      truncated: this.overLimit,
    };
  }

  private append(stream: StreamName, text: string): void {
    if (text.length === 0) return;
    this.pieces.push({ stream, text });
    this.onText?.(stream, text);
  }
}

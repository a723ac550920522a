import { ProgramEndScanner, programEndPrefix, type ProgramEnd } from './launcher/program-end.js';

export type StreamName = 'stdout' | 'stderr';

interface Chunk {
  stream: StreamName;
  bytes: Buffer;
}

export interface CollectedOutput {
  /** stdout and stderr merged in the order the program wrote them. */
  merged: string;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

const HEADER_BYTES = 8;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Reads Docker's multiplexed attach stream (8-byte frame headers: stream id, 3 zero bytes,
 * big-endian payload length) and keeps at most `limitBytes` of payload. Anything past the
 * limit is dropped as it arrives, so a flood never costs the service more than the limit.
 */
export class OutputCollector {
  private readonly chunks: Chunk[] = [];
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

  /**
   * @param onLimit called once, as soon as the program writes more than the limit.
   * @param startMarker byte the launcher writes on stdout just before the program starts
   *   (PROGRAM_START_MARKER); it is taken off the output and recorded in `programStarted`.
   * @param endToken this run's token in the launcher's end report; without it, no report is
   *   looked for.
   */
  constructor(
    private readonly limitBytes: number,
    private readonly onLimit: () => void,
    private readonly startMarker?: number,
    endToken?: string,
  ) {
    if (endToken !== undefined) {
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
    if (this.endScanners) {
      const scanner = this.endScanners[stream];
      payload = scanner.feed(payload);
      const { stdout, stderr } = this.endScanners;
      if (scanner.end && stdout.end && stderr.end) this.reportEnd(stdout.end);
    }
    this.keep(stream, payload);
  }

  /** Keeps program output up to the limit; the first byte past it stops the program. */
  private keep(stream: StreamName, payload: Buffer): void {
    if (this.overLimit || payload.length === 0) return;
    const room = this.limitBytes - this.kept;
    const bytes = payload.length <= room ? payload : payload.subarray(0, room);
    if (bytes.length > 0) {
      this.chunks.push({ stream, bytes: Buffer.from(bytes) });
      this.kept += bytes.length;
    }
    if (payload.length > room) {
      this.overLimit = true;
      this.onLimit();
    }
  }

  result(): CollectedOutput {
    if (this.endScanners) {
      // Bytes held back as a possible report that never completed were output after all.
      for (const stream of ['stdout', 'stderr'] as const) {
        this.keep(stream, this.endScanners[stream].flush());
      }
    }
    const merged = Buffer.concat(this.chunks.map((c) => c.bytes));
    const of = (name: StreamName) =>
      Buffer.concat(this.chunks.filter((c) => c.stream === name).map((c) => c.bytes));
    return {
      merged: decode(merged),
      stdout: decode(of('stdout')),
      stderr: decode(of('stderr')),
      truncated: this.overLimit,
    };
  }
}

/** UTF-8 with invalid sequences replaced by U+FFFD, so the JSON answer is always valid. */
function decode(bytes: Buffer): string {
  return utf8.decode(bytes);
}

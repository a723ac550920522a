import {
  RUN_STATUSES,
  type OutputFile,
  type RunResult,
  type RunStatus,
} from '../../sandbox/index.js';
import { ApiProperty } from '@nestjs/swagger';

/** A file the program left under out/. */
export class OutputFileDto implements OutputFile {
  /**
   * Path relative to out/.
   * @example plot.png
   */
  name!: string;

  /**
   * Bytes.
   * @example 18324
   */
  size!: number;

  /** `utf8` for valid UTF-8 text, else `base64`. */
  @ApiProperty({ enum: ['utf8', 'base64'], example: 'base64' })
  encoding!: 'utf8' | 'base64';

  /** The file's content, as `encoding` says. */
  content!: string;
}

export class RunResponseDto implements RunResult {
  /**
   * What a terminal would show: stdout and stderr merged in the order produced, trailing newlines trimmed.
   * @example 4
   */
  output!: string;

  /**
   * Everything the program wrote to standard output, untrimmed.
   * @example 4\n
   */
  stdout!: string;

  /**
   * Everything the program wrote to standard error, untrimmed.
   * @example
   */
  stderr!: string;

  /**
   * The program's exit code; null when the sandbox killed it (time, memory or output limit).
   * A program that exited by itself just as it passed the output limit keeps its code.
   * @example 0
   */
  @ApiProperty({ type: 'integer', nullable: true, example: 0 })
  exitCode!: number | null;

  /**
   * How the run ended: `success` (exit 0), `runtime_error` (non-zero exit), `timeout`,
   * `memory_exceeded`, `output_limit_exceeded` (output passed the limit, exactly when
   * `truncated`), `compile_error` (C, C++: the compiler refused the program, whose messages
   * are the output; it never ran). When several are seen at once, the first of output limit,
   * time limit, memory limit wins.
   */
  @ApiProperty({ enum: RUN_STATUSES, example: 'success' })
  status!: RunStatus;

  /**
   * Wall time of the program itself, in milliseconds (after its compilation, if any).
   * @example 23
   */
  durationMs!: number;

  /**
   * Wall time of the compilation, in milliseconds: compiled languages only (C, C++).
   * @example 412
   */
  compileMs?: number;

  /**
   * CPU time the program used, in milliseconds (every process of its container, from its
   * start); null where the sandbox cannot count it (gVisor).
   * @example 12
   */
  @ApiProperty({ type: 'integer', nullable: true, example: 12 })
  cpuMs!: number | null;

  /**
   * The highest memory use of the program's container, in MiB (with the launcher's few MiB
   * and, for a compiled language, the compiler's); null where it cannot be read (gVisor).
   * @example 9.6
   */
  @ApiProperty({ type: 'number', nullable: true, example: 9.6 })
  memoryPeakMb!: number | null;

  /**
   * True when the output passed the output limit and was cut there (status `output_limit_exceeded`).
   * @example false
   */
  truncated!: boolean;

  /**
   * The regular files the program left under `out/` in its working directory (links and
   * special files are skipped), at most OUT_FILES_MAX_COUNT (20) and OUT_FILES_MAX_BYTES
   * (1 MiB) in all; present only when the program made `out/`.
   */
  files?: OutputFileDto[];

  /** Files of `out/` were left out of `files` (past its caps); present with `files`. */
  filesTruncated?: boolean;
}

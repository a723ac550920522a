import { RUN_STATUSES, type RunResult, type RunStatus } from '../../sandbox/index.js';
import { ApiProperty } from '@nestjs/swagger';

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
}

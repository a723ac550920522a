import { ApiProperty } from '@nestjs/swagger';

export class RuntimeLimitsDto {
  /**
   * Wall-clock limit of the program, from its start (after its compilation).
   * @example 5000
   */
  timeoutMs!: number;

  /**
   * Memory of its container, in MiB (for a compiled language, of the compile step as well).
   * @example 128
   */
  memoryMb!: number;

  /**
   * Limit of the compile step, for a language that compiles (C, C++).
   * @example 10000
   */
  compileTimeoutMs?: number;
}

export class RuntimeDto {
  /**
   * The name to give in a request's `language`.
   * @example python
   */
  language!: string;

  /**
   * Other names a request may give.
   * @example ["py", "python3"]
   */
  aliases!: string[];

  /**
   * The language's version in its image.
   * @example 3.11
   */
  version!: string;

  /**
   * A name for people.
   * @example Python
   */
  label!: string;

  /** Whether it compiles before it runs (a failed compilation answers `compile_error`). */
  compiled!: boolean;

  /**
   * Whether its image is built on this process's engine: `false` answers 503 with how to build
   * it; `null` when this process runs no programs (ROLE=api: the workers' engines decide) or
   * its engine does not answer.
   */
  @ApiProperty({ type: Boolean, nullable: true })
  imagePresent!: boolean | null;

  /** The image its programs run in. */
  image!: string;

  limits!: RuntimeLimitsDto;
}

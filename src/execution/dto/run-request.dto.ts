import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Min,
  NotContains,
  Validate,
  ValidateNested,
} from 'class-validator';
import type { RunProgram } from '../../runs/index.js';
import { DEFAULT_LANGUAGE, findRuntime, RUNTIMES } from '../../runtimes/runtime-catalogue.js';
import {
  CodeLengthRule,
  FilesRule,
  LIMIT_FLOORS,
  LimitCapRule,
  StdinSizeRule,
} from '../program-limits.js';

const LANGUAGES = RUNTIMES.map((runtime) => runtime.language);
const ALIASES = RUNTIMES.flatMap((runtime) => runtime.aliases);

/** A request's own limits, within the operator's caps; unset ones are the runtime's defaults. */
export class RunLimitsDto {
  /**
   * Wall-clock limit of the program in milliseconds, from its start (after its compilation).
   * At most SANDBOX_MAX_TIMEOUT_MS (30000 by default).
   * @example 2000
   */
  // (Checks run bottom-up: the type first, then the floor, then the cap.)
  @IsOptional()
  @Validate(LimitCapRule)
  @Min(LIMIT_FLOORS.timeoutMs, {
    message: `timeoutMs must be at least ${LIMIT_FLOORS.timeoutMs}`,
  })
  @IsInt({ message: 'timeoutMs must be an integer (milliseconds)' })
  timeoutMs?: number;

  /**
   * Memory of the program's container in MiB. At most SANDBOX_MAX_MEMORY_MB (1024 by default).
   * @example 256
   */
  // (Checks run bottom-up: the type first, then the floor, then the cap.)
  @IsOptional()
  @Validate(LimitCapRule)
  @Min(LIMIT_FLOORS.memoryMb, {
    message: `memoryMb must be at least ${LIMIT_FLOORS.memoryMb}`,
  })
  @IsInt({ message: 'memoryMb must be an integer (MiB)' })
  memoryMb?: number;
}

/** A file placed in the program's working directory before it starts. */
export class RunFileDto {
  /**
   * Path relative to the working directory; folders are made as needed (`data/in.csv`). No
   * `..` segment, no absolute path, no NUL or control character, no empty or `.` segment, not
   * the program's own file (`main.py` for python).
   * @example data/in.csv
   */
  @IsString()
  name!: string;

  /**
   * The file's content, as `encoding` says.
   * @example a,b\n1,2\n
   */
  @IsString()
  content!: string;

  /** `utf8` (the default) or `base64` (for bytes that are not text). */
  @ApiPropertyOptional({ enum: ['utf8', 'base64'], default: 'utf8' })
  @IsOptional()
  @IsIn(['utf8', 'base64'], { message: 'encoding must be utf8 or base64' })
  encoding?: 'utf8' | 'base64';
}

export class RunRequestDto {
  /**
   * The program to run, in `language` (Python 3.11 by default). Counted in Unicode code points: 5000 emoji are 5000 characters.
   * @example 'print(2 + 2)'
   */
  // Python 3.11 silently stops reading a source file at a NUL: refuse it rather than run half.
  // (Checks run bottom-up: this one last, after the type and the length.)
  @NotContains('\u0000', { message: 'code must not contain NUL characters (U+0000)' })
  @IsString()
  @Validate(CodeLengthRule)
  code!: string;

  /**
   * Fed to the program's standard input (UTF-8, at most 64 KiB by default).
   * @example 3\n4
   */
  @IsOptional()
  @IsString()
  @Validate(StdinSizeRule)
  stdin?: string;

  @ApiPropertyOptional({
    description: `The program's language (GET /runtimes lists them, with their versions and limits). An alias (${ALIASES.join(', ')}) is taken for its language.`,
    enum: LANGUAGES,
    default: DEFAULT_LANGUAGE,
    example: DEFAULT_LANGUAGE,
  })
  @IsOptional()
  @IsIn(LANGUAGES, {
    message: `language must be one of: ${LANGUAGES.join(', ')} (or an alias: ${ALIASES.join(', ')})`,
  })
  // An alias, in any case, becomes its language's name before the check.
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? (findRuntime(value)?.language ?? value) : value,
  )
  language?: string;

  /**
   * Files placed in the program's working directory before it starts (at most FILES_MAX_COUNT,
   * 20 by default, and FILES_MAX_BYTES, 256 KiB, in all). Files the program writes under `out/`
   * come back in the result's `files`.
   */
  @IsOptional()
  @Validate(FilesRule)
  @ValidateNested({ each: true })
  @Type(() => RunFileDto)
  // A bound before the per-file checks, whatever FILES_MAX_COUNT says (FilesRule names it).
  @ArrayMaxSize(1000)
  @IsArray({ message: 'files must be an array of {name, content, encoding?}' })
  files?: RunFileDto[];

  /** Limits of this run, within the operator's caps (GET /runtimes shows the defaults). */
  @IsOptional()
  @IsObject({ message: 'limits must be an object: {"timeoutMs": ..., "memoryMb": ...}' })
  @ValidateNested()
  @Type(() => RunLimitsDto)
  limits?: RunLimitsDto;
}

/** What the service is asked to run, from a validated request. */
export function programOf(request: RunRequestDto): RunProgram {
  return {
    code: request.code,
    ...(request.stdin === undefined ? {} : { stdin: request.stdin }),
    ...(request.language === undefined ? {} : { language: request.language }),
    ...(request.limits === undefined ? {} : { limits: { ...request.limits } }),
    ...(request.files === undefined ? {} : { files: request.files.map((file) => ({ ...file })) }),
  };
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
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
import { CodeLengthRule, LIMIT_FLOORS, LimitCapRule, StdinSizeRule } from '../program-limits.js';

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
  };
}

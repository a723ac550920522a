import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, NotContains, Validate } from 'class-validator';
import type { RunProgram } from '../../runs/index.js';
import { DEFAULT_LANGUAGE, findRuntime, RUNTIMES } from '../../runtimes/runtime-catalogue.js';
import { CodeLengthRule, StdinSizeRule } from '../program-limits.js';

const LANGUAGES = RUNTIMES.map((runtime) => runtime.language);
const ALIASES = RUNTIMES.flatMap((runtime) => runtime.aliases);

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
}

/** What the service is asked to run, from a validated request. */
export function programOf(request: RunRequestDto): RunProgram {
  return {
    code: request.code,
    ...(request.stdin === undefined ? {} : { stdin: request.stdin }),
    ...(request.language === undefined ? {} : { language: request.language }),
  };
}

import { IsOptional, IsString, NotContains, Validate } from 'class-validator';
import { CodeLengthRule, StdinSizeRule } from '../program-limits.js';

export class RunRequestDto {
  /**
   * The Python 3.11 program to run. Counted in Unicode code points: 5000 emoji are 5000 characters.
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
}

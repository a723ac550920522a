import { IsOptional, IsString, Validate } from 'class-validator';
import { CodeLengthRule, StdinSizeRule } from '../program-limits.js';

export class RunRequestDto {
  /**
   * The Python 3.11 program to run. Counted in Unicode code points: 5000 emoji are 5000 characters.
   * @example 'print(2 + 2)'
   */
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

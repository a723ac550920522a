import { Inject, Injectable } from '@nestjs/common';
import {
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { codePointLength } from '../common/code-points.js';
import { configSlice, type ConfigSlice } from '../config/config-slice.js';

/** The settings the execution module reads. */
export const EXECUTION_CONFIG = configSlice('execution', [
  'MAX_CODE_LENGTH',
  'MAX_STDIN_BYTES',
  'LIVE_STREAMS_PER_CLIENT',
  // The runtimes' default limits, which GET /runtimes shows also where no engine is (ROLE=api).
  'SANDBOX_TIMEOUT_MS',
  'SANDBOX_MEMORY_MB',
  // The caps of a request's own limits.
  'SANDBOX_MAX_TIMEOUT_MS',
  'SANDBOX_MAX_MEMORY_MB',
] as const);
export type ExecutionConfig = ConfigSlice<(typeof EXECUTION_CONFIG.keys)[number]>;

/** `code` must hold 1 to MAX_CODE_LENGTH characters. Reads the limit from the validated config. */
@ValidatorConstraint({ name: 'codeLength' })
@Injectable()
export class CodeLengthRule implements ValidatorConstraintInterface {
  constructor(@Inject(EXECUTION_CONFIG.token) private readonly config: ExecutionConfig) {}

  validate(value: unknown): boolean {
    if (typeof value !== 'string') return true; // @IsString reports the type
    const length = codePointLength(value);
    return length >= 1 && length <= this.config.MAX_CODE_LENGTH;
  }

  defaultMessage(args: ValidationArguments): string {
    const value = args.value as string;
    if (value.length === 0) return `${args.property} must not be empty`;
    return `${args.property} must be at most ${this.config.MAX_CODE_LENGTH} characters (got ${codePointLength(value)})`;
  }
}

/** `stdin` must fit in MAX_STDIN_BYTES once encoded as UTF-8. */
@ValidatorConstraint({ name: 'stdinSize' })
@Injectable()
export class StdinSizeRule implements ValidatorConstraintInterface {
  constructor(@Inject(EXECUTION_CONFIG.token) private readonly config: ExecutionConfig) {}

  validate(value: unknown): boolean {
    if (typeof value !== 'string') return true;
    return Buffer.byteLength(value, 'utf8') <= this.config.MAX_STDIN_BYTES;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be at most ${this.config.MAX_STDIN_BYTES} bytes of UTF-8 (got ${Buffer.byteLength(args.value as string, 'utf8')})`;
  }
}

/** Least a request may ask for: below it no runtime can even start. */
export const LIMIT_FLOORS = { timeoutMs: 100, memoryMb: 32 } as const;

/** The setting that caps each of a request's limits. */
const LIMIT_CAPS = {
  timeoutMs: 'SANDBOX_MAX_TIMEOUT_MS',
  memoryMb: 'SANDBOX_MAX_MEMORY_MB',
} as const;

/** `limits.timeoutMs` and `limits.memoryMb` within the operator's caps (SANDBOX_MAX_*). */
@ValidatorConstraint({ name: 'limitCap' })
@Injectable()
export class LimitCapRule implements ValidatorConstraintInterface {
  constructor(@Inject(EXECUTION_CONFIG.token) private readonly config: ExecutionConfig) {}

  validate(value: unknown, args: ValidationArguments): boolean {
    if (typeof value !== 'number') return true; // @IsInt reports the type
    return value <= this.capOf(args.property);
  }

  defaultMessage(args: ValidationArguments): string {
    const setting = LIMIT_CAPS[args.property as keyof typeof LIMIT_CAPS];
    return `${args.property} must be at most ${this.capOf(args.property)} (${setting})`;
  }

  private capOf(property: string): number {
    return this.config[LIMIT_CAPS[property as keyof typeof LIMIT_CAPS]];
  }
}

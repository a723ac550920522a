import { DEFAULT_LANGUAGE, findRuntime } from '../runtimes/runtime-catalogue.js';
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
  'FILES_MAX_COUNT',
  'FILES_MAX_BYTES',
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

/** Longest file name (a path relative to the working directory), in characters. */
export const MAX_FILE_NAME_LENGTH = 255;

/** What is wrong with a file's name, or undefined: the rules of `files[].name`. */
export function fileNameProblem(name: string, entryPoint: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_FILE_NAME_LENGTH) {
    return `must be at most ${MAX_FILE_NAME_LENGTH} characters`;
  }
  if (name.includes('\u0000')) return 'must not contain NUL';
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  if (name.startsWith('/')) return 'must be a relative path, not an absolute one';
  if (name.includes('\\')) return 'must use / between folders, not \\';
  const segments = name.split('/');
  if (segments.includes('..')) return 'must not contain a .. segment';
  if (segments.some((segment) => segment === '' || segment === '.')) {
    return 'must not have an empty or . segment';
  }
  if (name === entryPoint) return `must not replace the program itself (${entryPoint})`;
  return undefined;
}

/**
 * `files`: at most FILES_MAX_COUNT, each named by the rules of fileNameProblem, base64 content
 * valid where it says so, no name given twice or used as a folder of another, and at most
 * FILES_MAX_BYTES in all once decoded. Each message names the file.
 */
@ValidatorConstraint({ name: 'files' })
@Injectable()
export class FilesRule implements ValidatorConstraintInterface {
  constructor(@Inject(EXECUTION_CONFIG.token) private readonly config: ExecutionConfig) {}

  validate(value: unknown, args: ValidationArguments): boolean {
    if (!Array.isArray(value)) return true; // @IsArray reports the type
    return this.problemOf(value, args.object) === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    return this.problemOf(args.value as unknown[], args.object) ?? 'files are invalid';
  }

  private problemOf(files: unknown[], request: { language?: string }): string | undefined {
    if (files.length > this.config.FILES_MAX_COUNT) {
      return `files must hold at most ${this.config.FILES_MAX_COUNT} files (FILES_MAX_COUNT); got ${files.length}`;
    }
    const entryPoint = findRuntime(request.language ?? DEFAULT_LANGUAGE)?.sourceFile ?? '';
    const names = new Set<string>();
    let bytes = 0;
    for (const [index, file] of files.entries()) {
      if (typeof file !== 'object' || file === null) continue; // the nested checks report it
      const { name, content, encoding } = file as Record<string, unknown>;
      if (typeof name !== 'string' || typeof content !== 'string') continue;
      const problem = fileNameProblem(name, entryPoint);
      if (problem) return `files[${index}].name ${JSON.stringify(name)} ${problem}`;
      if (names.has(name)) return `files[${index}].name ${JSON.stringify(name)} is given twice`;
      names.add(name);
      if (encoding === 'base64') {
        if (!BASE64.test(content)) {
          return `files[${index}].content of ${JSON.stringify(name)} is not valid base64`;
        }
        bytes += Buffer.byteLength(content, 'base64');
      } else {
        bytes += Buffer.byteLength(content, 'utf8');
      }
    }
    for (const name of names) {
      const folders = name.split('/').slice(0, -1);
      for (let depth = 1; depth <= folders.length; depth++) {
        const folder = folders.slice(0, depth).join('/');
        if (names.has(folder)) {
          return `files: ${JSON.stringify(folder)} is a file and also a folder of ${JSON.stringify(name)}`;
        }
      }
    }
    if (bytes > this.config.FILES_MAX_BYTES) {
      return `files must hold at most ${this.config.FILES_MAX_BYTES} bytes in all, decoded (FILES_MAX_BYTES); got ${bytes}`;
    }
    return undefined;
  }
}

/** Standard base64 with its padding (what Buffer.from(..., 'base64') reads back exactly). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

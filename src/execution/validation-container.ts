import type { INestApplicationContext } from '@nestjs/common';
import { CallbackUrlRule } from '../callbacks/index.js';
import { CodeLengthRule, FilesRule, LimitCapRule, StdinSizeRule } from './program-limits.js';

/** The validation rules of run bodies that are Nest providers (they read settings). */
const PROVIDED_RULES: ReadonlySet<unknown> = new Set([
  CodeLengthRule,
  StdinSizeRule,
  LimitCapRule,
  FilesRule,
  CallbackUrlRule,
]);

/**
 * class-validator's container (for `useContainer(..., { fallback: true })`): Nest's instance of
 * a rule this module provides, nothing for any other class, so that class-validator makes its
 * own. class-validator asks the container for every constraint of every body, its built-in
 * ones too; asked for a class it does not hold, Nest throws, and building that exception with
 * its stack on every request cost more CPU than the rest of the validation.
 */
export function validationContainer(execution: INestApplicationContext): {
  get(someClass: unknown): unknown;
} {
  return {
    get: (someClass: unknown): unknown =>
      PROVIDED_RULES.has(someClass) ? execution.get(someClass as never) : undefined,
  };
}

import { findRuntime, RUNTIMES } from '../runtimes/runtime-catalogue.js';

/** SANDBOX_POOL_SIZES: how the setting is read and checked. Its use is sandbox/'s. */

/** Most idle containers of one runtime. */
export const MAX_POOL_SIZE = 64;

export class InvalidPoolSizesError extends Error {}

/**
 * Parses SANDBOX_POOL_SIZES, `language=size` pairs separated by commas (aliases accepted), into
 * sizes by language. Throws InvalidPoolSizesError naming the first bad entry.
 */
export function parsePoolSizes(value: string | undefined): ReadonlyMap<string, number> {
  const sizes = new Map<string, number>();
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const match = /^([^=\s]+)\s*=\s*(\d{1,3})$/.exec(entry);
    if (!match) throw new InvalidPoolSizesError(`"${entry}" is not language=size`);
    const runtime = findRuntime(match[1]);
    if (!runtime) {
      const known = RUNTIMES.map((known) => known.language).join(', ');
      throw new InvalidPoolSizesError(`"${match[1]}" is not a runtime (known: ${known})`);
    }
    const size = Number(match[2]);
    if (size > MAX_POOL_SIZE) {
      throw new InvalidPoolSizesError(`"${entry}": at most ${MAX_POOL_SIZE} per runtime`);
    }
    if (sizes.has(runtime.language)) {
      throw new InvalidPoolSizesError(`"${runtime.language}" is given twice`);
    }
    sizes.set(runtime.language, size);
  }
  return sizes;
}

/** The setting's problem, for validation; undefined when it parses. */
export function poolSizesProblem(value: unknown): string | undefined {
  try {
    parsePoolSizes(typeof value === 'string' ? value : undefined);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidPoolSizesError) return error.message;
    throw error;
  }
}

/**
 * The pool size of every runtime: what SANDBOX_POOL_SIZES says, else SANDBOX_POOL_SIZE for
 * python (the default runtime) and one for each other runtime (each warm container costs
 * memory), none at all when SANDBOX_POOL_SIZE is 0.
 */
export function poolSizeOf(
  language: string,
  poolSize: number,
  poolSizes: ReadonlyMap<string, number>,
): number {
  return poolSizes.get(language) ?? (language === 'python' ? poolSize : Math.min(poolSize, 1));
}

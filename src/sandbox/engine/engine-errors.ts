import { EngineUnavailableError } from '../sandbox.errors.js';

/** What dockerode (docker-modem) puts on its errors. */
export interface EngineHttpError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
}

export function describeEngineError(error: unknown): EngineHttpError {
  return typeof error === 'object' && error !== null ? error : {};
}

/**
 * The one place where engine errors are translated: an error without an HTTP status came from
 * the transport (socket missing, refused, timed out, aborted), so the engine is unavailable;
 * anything else is rethrown as it is for the caller to interpret.
 */
export function translateEngineError(error: unknown): never {
  const { statusCode, code, message } = describeEngineError(error);
  if (statusCode === undefined) throw new EngineUnavailableError(code ?? message ?? 'no answer');
  throw error;
}

/** Resolves quietly for "already gone" (404) and "already stopped" (409, 304) answers. */
export function ignoreGone(error: unknown): void {
  const { statusCode } = describeEngineError(error);
  if (statusCode === 404 || statusCode === 409 || statusCode === 304) return;
  translateEngineError(error);
}

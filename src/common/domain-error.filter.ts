import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  ServiceUnavailableException,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { DomainError, type DomainErrorCode } from './domain-error.js';
import type { ErrorResponseDto } from './error-response.dto.js';
import { unsupportedCharsetMessage } from './json-body.js';

/** nginx's code for a request whose client hung up first; nobody receives it, logs do. */
const CLIENT_CLOSED_REQUEST = 499;

/** RFC 9110's answer to a request that needs another protocol (Nest's HttpStatus lacks it). */
const UPGRADE_REQUIRED = 426;

/** The HTTP answer to each domain error. */
const HTTP_STATUS: Record<
  DomainErrorCode,
  HttpStatus | typeof CLIENT_CLOSED_REQUEST | typeof UPGRADE_REQUIRED
> = {
  engine_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  image_missing: HttpStatus.SERVICE_UNAVAILABLE,
  runtime_missing: HttpStatus.SERVICE_UNAVAILABLE,
  container_lost: HttpStatus.SERVICE_UNAVAILABLE,
  queue_full: HttpStatus.SERVICE_UNAVAILABLE,
  queue_timeout: HttpStatus.SERVICE_UNAVAILABLE,
  shutting_down: HttpStatus.SERVICE_UNAVAILABLE,
  client_gone: CLIENT_CLOSED_REQUEST,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  client_limit: HttpStatus.TOO_MANY_REQUESTS,
  // Fail closed: without a working limiter, runs are refused, never let through unlimited.
  rate_limiter_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  api_key_missing: HttpStatus.UNAUTHORIZED,
  api_key_invalid: HttpStatus.UNAUTHORIZED,
  // Also a run of another API key: whether it exists is not the asker's to know.
  run_not_found: HttpStatus.NOT_FOUND,
  upgrade_required: UPGRADE_REQUIRED,
  redis_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  // A run asked for a callback on an instance without CALLBACK_SECRET.
  callbacks_disabled: HttpStatus.BAD_REQUEST,
  unknown_language: HttpStatus.BAD_REQUEST,
};

/** The HTTP status a domain error's code answers with (also sent in WebSocket error messages). */
export function httpStatusOf(code: DomainErrorCode): number {
  return HTTP_STATUS[code];
}

/** Errors raised by Express's body parser (http-errors), before the request reaches a controller. */
interface BodyParserError {
  type: string;
  status: number;
  expose?: boolean;
  limit?: number;
  charset?: string;
  message: string;
}

function isHealthReport(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'details' in body && 'status' in body;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as BodyParserError).type === 'string' &&
    typeof (error as BodyParserError).status === 'number'
  );
}

/**
 * The one place where errors become HTTP answers, always as {statusCode, message, error}.
 * DomainErrors get the status of their code (HTTP_STATUS) and their Retry-After; Nest's own
 * HttpExceptions (validation, body parser, 404) keep theirs; anything unexpected is logged and answered with a 500 that reveals nothing.
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(DomainErrorFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // Terminus reports a failed readiness check as a 503 whose body is the health report itself.
    if (error instanceof ServiceUnavailableException && isHealthReport(error.getResponse())) {
      response.status(HttpStatus.SERVICE_UNAVAILABLE).json(error.getResponse());
      return;
    }
    const { status, message, headers } = this.describe(error);
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    const body: ErrorResponseDto = {
      statusCode: status,
      message,
      error: STATUS_CODES[status] ?? 'Error',
    };
    response.status(status).json(body);
  }

  private describe(error: unknown): {
    status: number;
    message: string;
    headers: Record<string, string>;
  } {
    if (error instanceof DomainError) {
      const status = HTTP_STATUS[error.code];
      if (error.cause !== undefined) {
        const cause =
          error.cause instanceof Error ? error.cause.message : JSON.stringify(error.cause);
        this.logger.error({ event: error.code, cause }, error.message);
      }
      const headers: Record<string, string> = {};
      if (error.retryAfterSeconds !== undefined)
        headers['Retry-After'] = String(error.retryAfterSeconds);
      // RFC 9110: a 401 names the scheme to authenticate with.
      if (status === HttpStatus.UNAUTHORIZED) headers['WWW-Authenticate'] = 'Bearer';
      return { status, message: error.message, headers };
    }
    // Nest wraps the body parser's errors in an HttpException; their own type says more.
    const cause: unknown = error instanceof HttpException ? error.cause : error;
    if (isBodyParserError(cause) && cause.status >= 400 && cause.status < 500) {
      return { status: cause.status, message: bodyParserMessage(cause), headers: {} };
    }
    if (error instanceof HttpException) {
      const answer = error.getResponse();
      const message =
        typeof answer === 'string'
          ? answer
          : ((answer as { message?: string | string[] }).message ?? error.message);
      const status = error.getStatus();
      return {
        status,
        message: Array.isArray(message) ? message.join('; ') : message,
        headers: {},
      };
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      message: 'Internal server error',
      headers: {},
    };
  }
}

function bodyParserMessage(error: BodyParserError): string {
  switch (error.type) {
    case 'entity.too.large':
      return `request body must be at most ${error.limit ?? '?'} bytes`;
    case 'entity.parse.failed':
      return `request body is not valid JSON (${error.message})`;
    case 'encoding.unsupported':
      return error.message;
    case 'charset.unsupported':
      // body-parser's own refusal (a charset not even utf-*) says what is accepted too.
      return unsupportedCharsetMessage(error.charset ?? '?');
    default:
      return error.expose ? error.message : 'bad request body';
  }
}

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
import { RunRejectedError } from '../admission/run-rejected.error.js';
import {
  RateLimitExceededException,
  RateLimiterUnavailableError,
} from '../rate-limit/rate-limit.errors.js';
import { SandboxError } from '../sandbox/sandbox.errors.js';
import type { ErrorResponseDto } from './error-response.dto.js';
import { unsupportedCharsetMessage } from './json-body.js';

/** Seconds a client should wait before retrying after each kind of outage. */
const RETRY_AFTER_SECONDS: Record<SandboxError['kind'], number> = {
  engine_unavailable: 5,
  image_missing: 30,
  runtime_missing: 30,
  container_lost: 1,
};

/** nginx's code for a request whose client hung up first; nobody receives it, logs do. */
const CLIENT_CLOSED_REQUEST = 499;

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
 * Domain errors of the sandbox and refusals of admission control become 503 with Retry-After;
 * anything unexpected is logged and answered with a 500 that reveals nothing.
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
    if (error instanceof SandboxError) {
      switch (error.kind) {
        case 'engine_unavailable':
        case 'image_missing':
        case 'runtime_missing':
        case 'container_lost':
          return {
            status: HttpStatus.SERVICE_UNAVAILABLE,
            message: error.message,
            headers: { 'Retry-After': String(RETRY_AFTER_SECONDS[error.kind]) },
          };
      }
    }
    if (error instanceof RunRejectedError) {
      switch (error.kind) {
        case 'queue_full':
        case 'queue_timeout':
        case 'shutting_down':
          return {
            status: HttpStatus.SERVICE_UNAVAILABLE,
            message: error.message,
            headers: { 'Retry-After': String(error.retryAfterSeconds) },
          };
        case 'client_gone':
          return { status: CLIENT_CLOSED_REQUEST, message: error.message, headers: {} };
      }
    }
    if (error instanceof RateLimiterUnavailableError) {
      // Fail closed: without a working limiter, runs are refused, never let through unlimited.
      this.logger.error(`rate limiter unavailable: ${String(error.cause)}`);
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        message: error.message,
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
      };
    }
    if (error instanceof RateLimitExceededException) {
      return {
        status: HttpStatus.TOO_MANY_REQUESTS,
        message: error.message,
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
      };
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
        // RFC 9110: a 401 names the scheme to authenticate with.
        headers: status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
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

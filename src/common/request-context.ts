import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

/** Header carrying the request id in and out. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A caller's own request id is kept only if it is short and plain (it goes into logs and labels). */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** The caller's X-Request-Id if sane, else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/** The request's id, as assigned by the HTTP logger (pino-http's `req.id`). */
export const RequestId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<Request & { id?: unknown }>();
  return typeof request.id === 'string' ? request.id : requestIdFrom(undefined);
});

/**
 * An AbortSignal that fires when the client goes away before the answer is sent (the
 * response's socket closes unfinished), so work done for nobody can stop at once.
 */
export const ClientGoneSignal = createParamDecorator(
  (_: unknown, context: ExecutionContext): AbortSignal => {
    const response = context.switchToHttp().getResponse<Response>();
    const controller = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    return controller.signal;
  },
);

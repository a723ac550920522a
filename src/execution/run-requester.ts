import { createParamDecorator, Injectable, type PipeTransform } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeyRing } from '../auth/api-keys.js';
import { ClientIdentity } from '../auth/client-identity.js';
import { requestIdFrom } from '../common/request-context.js';
import type { RunRequester } from '../runs/index.js';

/** Who asks for a run, from the request: its client, whether keys are on, its request id. */
@Injectable()
export class RunRequesterPipe implements PipeTransform<Request & { id?: unknown }, RunRequester> {
  constructor(
    private readonly identity: ClientIdentity,
    private readonly keys: ApiKeyRing,
  ) {}

  transform(req: Request & { id?: unknown }): RunRequester {
    return {
      client: this.identity.of(req),
      keyed: this.keys.enabled,
      requestId: typeof req.id === 'string' ? req.id : requestIdFrom(undefined),
    };
  }
}

const HttpRequest = createParamDecorator((_: unknown, context) =>
  context.switchToHttp().getRequest<Request>(),
);

/** The request's RunRequester. */
export const Requester = (): ParameterDecorator => HttpRequest(RunRequesterPipe);

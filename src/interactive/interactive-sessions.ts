import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { WebSocket } from 'ws';
import { assertKeyAccepted } from '../auth/api-key.guard.js';
import { ApiKeyRing, presentedKey } from '../auth/api-keys.js';
import { ClientIdentity } from '../auth/client-identity.js';
import { requestIdFrom } from '../common/request-context.js';
import {
  EXECUTION_CONFIG,
  LiveStreamLimit,
  programOf,
  RunRequestDto,
  type ExecutionConfig,
} from '../execution/index.js';
import { RunRateLimiter } from '../rate-limit/run-rate-limiter.js';
import { RunsService, type RunProgram, type RunRequester } from '../runs/index.js';
import { InteractiveSession, ProtocolError } from './interactive-session.js';

type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Opens an InteractiveSession for each accepted WebSocket, with the same checks as POST /run:
 * the API key (from the upgrade's headers, or the start message), the rate limit (one quota
 * with POST /run), the cap on live connections per client, and MAX_STDIN_BYTES.
 */
@Injectable()
export class InteractiveSessions {
  private readonly maxStdinBytes: number;

  constructor(
    private readonly runs: RunsService,
    private readonly limiter: RunRateLimiter,
    private readonly keys: ApiKeyRing,
    private readonly clients: ClientIdentity,
    private readonly liveStreams: LiveStreamLimit,
    private readonly http: HttpAdapterHost,
    @Inject(EXECUTION_CONFIG.token) config: ExecutionConfig,
  ) {
    this.maxStdinBytes = config.MAX_STDIN_BYTES;
  }

  open(socket: WebSocket, request: IncomingMessage): InteractiveSession {
    const address = this.addressOf(request);
    const requestId = requestIdFrom(request.headers['x-request-id']);
    return new InteractiveSession(socket, {
      runs: this.runs,
      connectedAs: this.clients.ofParts(presentedKey(request.headers), address),
      maxStdinBytes: this.maxStdinBytes,
      holdLiveStream: (client) => this.liveStreams.acquire(client),
      validate: (body) => validRunRequest(body),
      admit: async (messageKey): Promise<RunRequester> => {
        const key = messageKey ?? presentedKey(request.headers);
        const client = this.clients.ofParts(key, address);
        // As POST /run: the rate limit first, then the key.
        const { refusal } = await this.limiter.count(client);
        if (refusal) throw refusal;
        assertKeyAccepted(this.keys, key);
        return { client, keyed: this.keys.enabled, requestId };
      },
    });
  }

  /**
   * The client's address as Express reads `req.ip` for HTTP requests: X-Forwarded-For believed
   * only as far as TRUST_PROXY says (the app's compiled `trust proxy fn`).
   */
  private addressOf(request: IncomingMessage): string | undefined {
    const app = this.http.httpAdapter?.getInstance<{ get(name: string): unknown }>();
    const trust = app?.get('trust proxy fn') as TrustProxy | undefined;
    if (!trust) return request.socket.remoteAddress;
    return proxyaddr(request, trust);
  }
}

/** The run fields of a start message, checked by the DTO and rules of POST /run. */
async function validRunRequest(body: Record<string, unknown>): Promise<RunProgram> {
  const request = plainToInstance(RunRequestDto, body);
  const problems = await validate(request, {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
  });
  if (problems.length > 0) {
    throw new ProtocolError(
      problems.flatMap((problem) => Object.values(problem.constraints ?? {})).join('; '),
    );
  }
  return programOf(request);
}

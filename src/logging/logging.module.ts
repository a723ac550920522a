import { Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config.js';
import { REQUEST_ID_HEADER, requestIdFrom } from '../common/request-context.js';
import { SECRET_HEADER_PATHS } from './secret-headers.js';

/** Probes and scrapes arrive every few seconds; a line each would drown the runs. */
function isRoutine(request: IncomingMessage): boolean {
  return /^\/(health|metrics)(\/|\?|$)/.test(request.url ?? '');
}

/**
 * Structured JSON logs (pino) for the whole app, one line per request with its id. The id
 * is the caller's X-Request-Id when sane, else a fresh UUID; it is echoed in the answer and
 * put on the run's container labels. Request bodies (the code) and credentials are never logged.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.LOG_LEVEL,
          quietReqLogger: true,
          genReqId: (request: IncomingMessage, response: ServerResponse) => {
            const id = requestIdFrom(request.headers[REQUEST_ID_HEADER.toLowerCase()]);
            response.setHeader(REQUEST_ID_HEADER, id);
            return id;
          },
          autoLogging: { ignore: isRoutine },
          redact: SECRET_HEADER_PATHS,
        },
      }),
    }),
  ],
})
export class LoggingModule {}

import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import type { AddressInfo } from 'node:net';
import { RunQueue } from './admission/run-queue.js';
import { ExecutionModule } from './execution/execution.module.js';
import { RUN_START_PATHS } from './execution/run-start-paths.js';
import { LiveWsAdapter } from './interactive/index.js';
import { InstanceIdentity } from './sandbox/index.js';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { useContainer } from 'class-validator';
import { AppConfig } from './config/app-config.js';
import { API_KEY_HEADER, API_KEY_SCHEME, BEARER_SCHEME } from './auth/api-key.docs.js';
import { documentRunLimits } from './execution/run-api-limits.js';
import { validationContainer } from './execution/validation-container.js';
import { expressTrustProxy } from './config/trust-proxy.setting.js';
import { assertUtf8JsonBody } from './common/json-body.js';
import { securityHeaders } from './common/security-headers.js';
import { RunCountAhead } from './rate-limit/run-count-ahead.js';

/**
 * Everything main.ts does to the application besides listening, shared with the end-to-end
 * tests so they exercise the same app. Call it on an app created with `bodyParser: false`.
 */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  // First, so every answer carries them, the body parser's refusals included.
  app.use(securityHeaders());
  // Then a run request's rate-limit count starts, alongside the reading of its body.
  if (config.ROLE !== 'worker') app.use(app.get(RunCountAhead).middleware(RUN_START_PATHS));
  // body-parser's verify hook sees the inflated bytes and their charset before JSON.parse;
  // Nest's option type leaves it out only because Nest uses it itself when rawBody is on,
  // which it is not here.
  const jsonOptions = {
    limit: config.BODY_LIMIT_BYTES,
    verify: (_request: unknown, _response: unknown, body: Buffer, charset: string | null) =>
      assertUtf8JsonBody(body, charset),
  };
  app.useBodyParser('json', jsonOptions);
  app.disable('x-powered-by');
  // The interactive WebSocket (ROLE all or api), frames at most as large as a request body.
  app.useWebSocketAdapter(new LiveWsAdapter(app, config.BODY_LIMIT_BYTES));
  // req.ip believes X-Forwarded-For only from the proxies TRUST_PROXY names (none by default),
  // and a hop count only on connections from TRUST_PROXY_ADDRESSES, so a client cannot claim
  // another address to get a fresh rate-limit quota.
  const trustProxy = expressTrustProxy(config.TRUST_PROXY, config.TRUST_PROXY_ADDRESSES);
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  // Validation rules are providers of the execution module, so they can read its settings
  // (ROLE=worker has no HTTP face for runs, and no such rules).
  if (config.ROLE !== 'worker') {
    useContainer(validationContainer(app.select(ExecutionModule)), { fallback: true });
  }
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
    }),
  );

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Safe Code Executor')
      .setDescription(
        `Runs untrusted Python 3.11 programs in locked-down, single-use Docker containers: ` +
          `${config.SANDBOX_MEMORY_MB} MB of memory, ${config.SANDBOX_CPUS} CPU, no network, ` +
          `${config.SANDBOX_TIMEOUT_MS / 1000} s, at most ${config.MAX_CODE_LENGTH} characters of code. ` +
          `POST /run is limited to ${config.RATE_LIMIT} runs per ${config.RATE_LIMIT_WINDOW_MS / 1000} s per client` +
          (config.API_KEYS
            ? ' and needs an API key (Authorize).'
            : '; this server needs no API key.'),
      )
      .setVersion('1.0')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'API key',
          description: 'An API key, when the server sets API_KEYS.',
        },
        BEARER_SCHEME,
      )
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: API_KEY_HEADER,
          description: 'The same API key, in its own header.',
        },
        API_KEY_SCHEME,
      )
      .build(),
  );
  // ROLE=worker documents only /health and /metrics: it takes no runs over HTTP.
  const documented = config.ROLE === 'worker' ? document : documentRunLimits(document, config);
  SwaggerModule.setup('docs', app, documented, {
    jsonDocumentUrl: 'docs-json',
    // Keep a key entered with Authorize across reloads of /docs.
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}

/**
 * Configures the app, installs the signal handlers and listens; prints the line that says where
 * (the end-to-end tests read it). Shared by main.ts and the tests' fault harness, so both run
 * the same app the same way.
 */
export async function serve(app: NestExpressApplication, config: AppConfig): Promise<void> {
  app.useLogger(app.get(Logger));
  configureApp(app);
  // SIGTERM/SIGINT: refuse new runs (503), let the runs in flight finish (each within its time
  // limit), then stop listening and let Nest's shutdown hooks remove this instance's
  // containers and lease, and exit 0 (Nest's own hooks would re-raise the signal instead).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const logger = app.get(Logger);
      const queue = app.get(RunQueue);
      logger.log(`${signal}: draining ${queue.stats.running} run(s) in flight`, 'Shutdown');
      void queue
        .drain()
        .then(() => app.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            console.error('shutdown failed', error);
            process.exit(1);
          },
        );
    });
  }
  await app.listen(config.PORT, config.HOST);
  // PORT=0 picks a free port: report the one actually bound.
  const address = app.getHttpServer().address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST;
  console.log(
    `Safe Code Executor (ROLE=${config.ROLE}${config.REDIS_URL ? ', with Redis' : ''}) listening on http://${host}:${address.port} (docs at /docs), instance ${instanceIdOf(app, config)}`,
  );
}

/** The instance id on this process's containers; `none` in ROLE=api, which has no engine. */
function instanceIdOf(app: NestExpressApplication, config: AppConfig): string {
  return config.ROLE === 'api' ? 'none' : app.get(InstanceIdentity).id;
}

import { ValidationPipe, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { useContainer } from 'class-validator';
import { AppConfig } from './config/app-config.js';
import { AppModule } from './app.module.js';
import { API_KEY_HEADER, API_KEY_SCHEME, BEARER_SCHEME } from './auth/api-key.docs.js';
import { documentRunLimits } from './execution/run-api-limits.js';
import { parseTrustProxy } from './rate-limit/trust-proxy.js';
import { assertUtf8JsonBody } from './common/json-body.js';
import { securityHeaders } from './common/security-headers.js';

/**
 * Everything main.ts does to the application besides listening, shared with the end-to-end
 * tests so they exercise the same app. Call it on an app created with `bodyParser: false`.
 */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  // First, so every answer carries them, the body parser's refusals included.
  app.use(securityHeaders());
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
  // req.ip believes X-Forwarded-For only from the proxies TRUST_PROXY names (none by default),
  // so a client cannot claim another address to get a fresh rate-limit quota.
  const trustProxy = parseTrustProxy(config.TRUST_PROXY);
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  // Validation rules are providers, so they can read the validated configuration.
  useContainer(app.select(AppModule), { fallbackOnErrors: true });
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
  SwaggerModule.setup('docs', app, documentRunLimits(document, config), {
    jsonDocumentUrl: 'docs-json',
    // Keep a key entered with Authorize across reloads of /docs.
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}

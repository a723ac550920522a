import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { AddressInfo } from 'node:net';
import { RunQueue } from './admission/run-queue.js';
import { AppModule } from './app.module.js';
import { SandboxService } from './sandbox/sandbox.service.js';
import { configureApp } from './app.setup.js';
import { AppConfig, InvalidConfigError, loadAppConfig } from './config/app-config.js';

async function bootstrap(): Promise<void> {
  // Fail fast, before Nest starts, with a message naming the bad variable.
  try {
    loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    bufferLogs: true,
  });
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
  const config = app.get(AppConfig);
  await app.listen(config.PORT, config.HOST);
  // PORT=0 picks a free port: report the one actually bound (the end-to-end tests read this line).
  const address = app.getHttpServer().address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST;
  console.log(
    `Safe Code Executor listening on http://${host}:${address.port} (docs at /docs), instance ${app.get(SandboxService).instanceId}`,
  );
}

void bootstrap();

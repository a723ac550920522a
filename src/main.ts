import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
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
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false });
  configureApp(app);
  const config = app.get(AppConfig);
  await app.listen(config.PORT, config.HOST);
  console.log(`Safe Code Executor listening on http://localhost:${config.PORT} (docs at /docs)`);
}

void bootstrap();

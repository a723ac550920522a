import { Module } from '@nestjs/common';
import { AppConfig, loadAppConfig } from './app-config.js';

/**
 * Provides the validated AppConfig. The configuration is read once, when the module is
 * imported for the first time; tests override the AppConfig provider with values of their own.
 */
@Module({
  providers: [{ provide: AppConfig, useFactory: () => loadAppConfig(process.env) }],
  exports: [AppConfig],
})
export class ConfigModule {}

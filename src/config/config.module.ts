import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from './app-config.js';

/**
 * Provides the AppConfig that main.ts loaded and validated once, before Nest started. Global
 * (the one global module) so that every feature module can cut its slice from it
 * (config-slice.ts) without re-reading the environment.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}

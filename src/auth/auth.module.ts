import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { parseApiKeys } from '../config/api-keys.setting.js';
import { ApiKeyRing } from './api-keys.js';

/** Optional API keys (API_KEYS) for POST /run. */
@Module({
  providers: [
    {
      provide: ApiKeyRing,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new ApiKeyRing(parseApiKeys(config.API_KEYS)),
    },
    ApiKeyGuard,
  ],
  exports: [ApiKeyRing, ApiKeyGuard],
})
export class AuthModule {}

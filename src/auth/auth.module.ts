import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { parseApiKeys } from '../config/api-keys.setting.js';
import { ApiKeyRing } from './api-keys.js';
import { ClientIdentity } from './client-identity.js';

/** Optional API keys (API_KEYS) for POST /run, and who a request counts against. */
@Module({
  providers: [
    {
      provide: ApiKeyRing,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new ApiKeyRing(parseApiKeys(config.API_KEYS)),
    },
    ApiKeyGuard,
    ClientIdentity,
  ],
  exports: [ApiKeyRing, ApiKeyGuard, ClientIdentity],
})
export class AuthModule {}

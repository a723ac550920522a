import { Module } from '@nestjs/common';
import { callbackAddressPolicyProvider, CallbackAddressPolicy } from './callback-address-policy.js';
import {
  CALLBACK_DISPATCHER,
  CALLBACK_RETRY_POLICY,
  InMemoryCallbackDispatcher,
} from './callback-dispatcher.js';
import { CallbackGate } from './callback-gate.js';
import { callbackRetryPolicyFrom } from './callback-retry-policy.js';
import { CallbackSender } from './callback-sender.js';
import { CallbackUrlRule } from './callback-url.js';
import { CALLBACKS_CONFIG, type CallbacksConfig } from './callbacks.config.js';

/**
 * Callbacks: the address policy, the URL rule for DTOs, the signed sender, the retry policy,
 * and the in-memory dispatcher under CALLBACK_DISPATCHER (the embedded mode's).
 */
@Module({
  providers: [
    CALLBACKS_CONFIG.provider,
    callbackAddressPolicyProvider,
    {
      provide: CALLBACK_RETRY_POLICY,
      inject: [CALLBACKS_CONFIG.token],
      useFactory: (config: CallbacksConfig) => callbackRetryPolicyFrom(config),
    },
    CallbackGate,
    CallbackUrlRule,
    CallbackSender,
    InMemoryCallbackDispatcher,
    { provide: CALLBACK_DISPATCHER, useExisting: InMemoryCallbackDispatcher },
  ],
  exports: [
    CallbackAddressPolicy,
    CALLBACK_RETRY_POLICY,
    CallbackGate,
    CallbackUrlRule,
    CallbackSender,
    CALLBACK_DISPATCHER,
  ],
})
export class CallbacksModule {}

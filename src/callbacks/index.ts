// The callbacks module's public face: other folders import from here only.
export { CallbackAddressPolicy, type AddressVerdict } from './callback-address-policy.js';
export {
  CALLBACK_DISPATCHER,
  CALLBACK_RETRY_POLICY,
  type CallbackDispatcher,
} from './callback-dispatcher.js';
export { CallbackGate } from './callback-gate.js';
export {
  CALLBACK_MAX_DELAY_MS,
  nextDelayMs,
  type CallbackRetryPolicy,
} from './callback-retry-policy.js';
export {
  CallbackSender,
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  type DeliveryResult,
} from './callback-sender.js';
export {
  CALLBACK_URL_MAX_LENGTH,
  callbackUrlProblem,
  CallbackUrlRule,
  IsCallbackUrl,
} from './callback-url.js';
export { CallbacksDisabledError } from './callbacks.errors.js';
export { CallbacksModule } from './callbacks.module.js';

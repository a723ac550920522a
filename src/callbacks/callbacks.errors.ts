import { DomainError } from '../common/domain-error.js';

/** A run asked for a callback, but this instance has no CALLBACK_SECRET to sign it with. */
export class CallbacksDisabledError extends DomainError {
  constructor() {
    super(
      'callbacks_disabled',
      'callbackUrl is not accepted: callbacks are off on this service (its operator has not set CALLBACK_SECRET). Leave callbackUrl out and poll GET /runs/{id}.',
    );
  }
}

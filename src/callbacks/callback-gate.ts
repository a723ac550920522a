import { Inject, Injectable } from '@nestjs/common';
import { CallbacksDisabledError } from './callbacks.errors.js';
import { CALLBACKS_CONFIG, type CallbacksConfig } from './callbacks.config.js';

/** Whether this instance takes callbacks at all: only with a CALLBACK_SECRET to sign them. */
@Injectable()
export class CallbackGate {
  constructor(
    @Inject(CALLBACKS_CONFIG.token)
    private readonly config: Pick<CallbacksConfig, 'CALLBACK_SECRET'>,
  ) {}

  get enabled(): boolean {
    return this.config.CALLBACK_SECRET !== '';
  }

  /** Throws CallbacksDisabledError (400 callbacks_disabled) when callbacks are off. */
  assertEnabled(): void {
    if (!this.enabled) throw new CallbacksDisabledError();
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { CALLBACK_DISPATCHER, type CallbackDispatcher } from '../callbacks/index.js';
import { hasEnded, type RunRecord } from './run-record.js';
import { runView } from './run-view.js';

/** Sends a run that has just ended to its callback URL, if it has one (signed, retried). */
@Injectable()
export class RunCallbacks {
  constructor(@Inject(CALLBACK_DISPATCHER) private readonly dispatcher: CallbackDispatcher) {}

  /** Called by whoever ended the run, once, with the run as stored then. */
  ended(run: RunRecord | undefined): void {
    if (run?.callbackUrl === undefined || !hasEnded(run)) return;
    this.dispatcher.dispatch(run.id, run.callbackUrl, runView(run));
  }
}

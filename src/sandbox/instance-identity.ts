import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CONTAINER_LABELS } from './container-labels.js';

/**
 * Who this process is among the instances sharing an engine: its id goes on every container it
 * creates and on its lease, so that instances never remove each other's live containers.
 */
@Injectable()
export class InstanceIdentity {
  readonly id: string = randomUUID();

  /** Labels that mark a container as this instance's. */
  get labels(): Record<string, string> {
    return { [CONTAINER_LABELS.managed]: 'true', [CONTAINER_LABELS.instance]: this.id };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type Docker from 'dockerode';
import { LEASE_LABELS } from '../container-labels.js';
import type { InstanceLease, LeaseStore } from '../lease-store.js';
import { DOCKER_CLIENT, optionsCall, ShortCallDeadline } from './docker-client.js';
import { describeEngineError, translateEngineError as translate } from './engine-errors.js';

/**
 * Leases as empty, labelled Docker volumes. Docker has no mutable shared record (labels are
 * fixed at creation), so renewing a lease writes a new volume and drops the old one. An
 * unused local volume is an empty directory on the engine's disk: no process, no memory.
 */
@Injectable()
export class DockerodeLeaseStore implements LeaseStore {
  constructor(
    @Inject(DOCKER_CLIENT) private readonly docker: Docker,
    private readonly shortCall: ShortCallDeadline,
  ) {}

  /** Every call but attach and wait is short (ShortCallDeadline). */
  private get deadline(): { abortSignal: AbortSignal } {
    return this.shortCall.options;
  }

  async write(instanceId: string, durationMs: number): Promise<string> {
    // The name only has to be unique; the engine's CreatedAt is the lease's start.
    const name = `safe-code-executor-lease-${instanceId}-${Date.now().toString(36)}`;
    await this.docker
      .createVolume({
        Name: name,
        Labels: {
          [LEASE_LABELS.lease]: 'true',
          [LEASE_LABELS.instance]: instanceId,
          [LEASE_LABELS.durationMs]: String(durationMs),
        },
        ...this.deadline,
      })
      .catch(translate);
    return name;
  }

  async list(): Promise<InstanceLease[]> {
    const answer = (await this.docker
      .listVolumes({ filters: { label: [`${LEASE_LABELS.lease}=true`] }, ...this.deadline })
      .catch(translate)) as {
      Volumes?: { Name: string; CreatedAt?: string; Labels?: Record<string, string> | null }[];
    };
    return (answer.Volumes ?? []).map((v) => ({
      name: v.Name,
      instanceId: v.Labels?.[LEASE_LABELS.instance] ?? '',
      durationMs: Number(v.Labels?.[LEASE_LABELS.durationMs] ?? 0),
      writtenAt: Date.parse(v.CreatedAt ?? ''),
    }));
  }

  async remove(name: string): Promise<void> {
    await this.docker
      .getVolume(name)
      .remove(this.deadline)
      .catch((error: unknown) => {
        if (describeEngineError(error).statusCode === 404) return;
        translate(error);
      });
  }

  async now(): Promise<number> {
    const info = (await optionsCall(this.docker, 'info')(this.deadline).catch(translate)) as {
      SystemTime?: string;
    };
    const time = Date.parse(info.SystemTime ?? '');
    return Number.isNaN(time) ? Date.now() : time;
  }
}

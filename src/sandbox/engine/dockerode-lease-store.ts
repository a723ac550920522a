import { Injectable } from '@nestjs/common';
import Docker from 'dockerode';
import { AppConfig } from '../../config/app-config.js';
import { EngineUnavailableError } from '../sandbox.errors.js';
import type { InstanceLease, LeaseStore } from './lease-store.js';

export const LEASE_LABEL = 'safe-code-executor.lease';
const LEASE_INSTANCE_LABEL = 'safe-code-executor.lease-instance';
const LEASE_DURATION_LABEL = 'safe-code-executor.lease-ms';

interface EngineError {
  statusCode?: number;
  code?: string;
  message?: string;
}

function translate(error: unknown): never {
  const { statusCode, code, message } = (error ?? {}) as EngineError;
  if (statusCode === undefined) throw new EngineUnavailableError(code ?? message ?? 'no answer');
  throw error as Error;
}

/**
 * Leases as empty, labelled Docker volumes. Docker has no mutable shared record (labels are
 * fixed at creation), so renewing a lease writes a new volume and drops the old one. An
 * unused local volume is an empty directory on the engine's disk: no process, no memory.
 */
@Injectable()
export class DockerodeLeaseStore implements LeaseStore {
  private readonly docker: Docker;

  constructor(config: AppConfig) {
    this.docker = new Docker({ timeout: config.ENGINE_TIMEOUT_MS });
  }

  async write(instanceId: string, durationMs: number): Promise<InstanceLease> {
    // The name only has to be unique; the engine's CreatedAt is the lease's start.
    const name = `safe-code-executor-lease-${instanceId}-${Date.now().toString(36)}`;
    await this.docker
      .createVolume({
        Name: name,
        Labels: {
          [LEASE_LABEL]: 'true',
          [LEASE_INSTANCE_LABEL]: instanceId,
          [LEASE_DURATION_LABEL]: String(durationMs),
        },
      })
      .catch(translate);
    const volume = (await this.docker.getVolume(name).inspect().catch(translate)) as {
      CreatedAt?: string;
    };
    return { name, instanceId, durationMs, writtenAt: Date.parse(volume.CreatedAt ?? '') };
  }

  async list(): Promise<InstanceLease[]> {
    const answer = (await this.docker
      .listVolumes({ filters: { label: [`${LEASE_LABEL}=true`] } })
      .catch(translate)) as {
      Volumes?: { Name: string; CreatedAt?: string; Labels?: Record<string, string> | null }[];
    };
    return (answer.Volumes ?? []).map((v) => ({
      name: v.Name,
      instanceId: v.Labels?.[LEASE_INSTANCE_LABEL] ?? '',
      durationMs: Number(v.Labels?.[LEASE_DURATION_LABEL] ?? 0),
      writtenAt: Date.parse(v.CreatedAt ?? ''),
    }));
  }

  async remove(name: string): Promise<void> {
    await this.docker
      .getVolume(name)
      .remove()
      .catch((error: unknown) => {
        if ((error as EngineError).statusCode === 404) return;
        translate(error);
      });
  }

  async now(): Promise<number> {
    const info = (await this.docker.info().catch(translate)) as { SystemTime?: string };
    const time = Date.parse(info.SystemTime ?? '');
    return Number.isNaN(time) ? Date.now() : time;
  }
}

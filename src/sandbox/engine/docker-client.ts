import { Inject, Injectable, type FactoryProvider } from '@nestjs/common';
import Docker from 'dockerode';
import { SANDBOX_CONFIG, type SandboxConfig } from '../sandbox.config.js';

/** Injection token of the one dockerode client of the process. Private to the sandbox module. */
export const DOCKER_CLIENT = Symbol('DOCKER_CLIENT');

/**
 * The dockerode client. It reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the
 * docker CLI does (AppConfig validates DOCKER_HOST's form at start-up). It sets no timeout of
 * its own: attach and wait rightly stay silent for as long as a program runs, so short calls
 * carry their own deadline instead (engineDeadline).
 */
/**
 * dockerode's `ping` and `info` take options (an abortSignal among them), which
 * @types/dockerode leaves out; this gives them that signature.
 */
export function optionsCall(
  docker: Docker,
  method: 'ping' | 'info',
): (options: { abortSignal: AbortSignal }) => Promise<unknown> {
  return (docker[method] as (options: object) => Promise<unknown>).bind(docker);
}

/**
 * The deadline of a short engine call (ping, create, start, inspect, kill, remove, list, volumes):
 * a hung engine must not hang a request, so the call gives up after ENGINE_TIMEOUT_MS (the abort
 * surfaces as EngineUnavailableError).
 */
@Injectable()
export class ShortCallDeadline {
  private readonly ms: number;

  constructor(@Inject(SANDBOX_CONFIG.token) config: SandboxConfig) {
    this.ms = config.ENGINE_TIMEOUT_MS;
  }

  /** dockerode options that abort the call at the deadline. */
  get options(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.ms) };
  }
}

export const dockerClientProvider: FactoryProvider<Docker> = {
  provide: DOCKER_CLIENT,
  useFactory: () => new Docker(),
};

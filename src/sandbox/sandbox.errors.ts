/** Errors of the sandbox domain. The HTTP layer maps them in one filter (common/domain-error.filter.ts). */
export abstract class SandboxError extends Error {
  abstract readonly kind:
    'engine_unavailable' | 'image_missing' | 'runtime_missing' | 'container_lost';
  override name = this.constructor.name;
}

/** The Docker engine did not answer (stopped, socket missing, permission denied). */
export class EngineUnavailableError extends SandboxError {
  readonly kind = 'engine_unavailable';
  constructor(readonly reason: string) {
    super(
      `The Docker engine is unavailable (${reason}). Start Docker or point DOCKER_HOST at a running engine.`,
    );
  }
}

/** The sandbox image is not present on the engine. */
export class SandboxImageMissingError extends SandboxError {
  readonly kind = 'image_missing';
  constructor(readonly image: string) {
    super(
      `The sandbox image "${image}" is missing on the Docker engine. Build it with: npm run sandbox:build`,
    );
  }
}

/** The configured runtime (for example runsc) is not registered with the engine. */
export class SandboxRuntimeMissingError extends SandboxError {
  readonly kind = 'runtime_missing';
  constructor(readonly runtime: string) {
    super(
      `The container runtime "${runtime}" is not registered with the Docker engine. Register it in /etc/docker/daemon.json or unset SANDBOX_RUNTIME.`,
    );
  }
}

/**
 * The container vanished while its program ran: something outside the service removed it (an
 * operator, `docker rm -f`, a prune). The program's outcome is unknown, so nothing is reported
 * as its result.
 */
export class SandboxContainerLostError extends SandboxError {
  readonly kind = 'container_lost';
  constructor(readonly containerId: string) {
    super(
      `The sandbox container ${containerId.slice(0, 12)} was removed by something outside the service while the program ran; run it again.`,
    );
  }
}

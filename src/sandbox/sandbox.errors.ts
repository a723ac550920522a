import { DomainError } from '../common/domain-error.js';

/** The Docker engine did not answer (stopped, socket missing, permission denied, too slow). */
export class EngineUnavailableError extends DomainError {
  constructor(readonly reason: string) {
    super(
      'engine_unavailable',
      `The Docker engine is unavailable (${reason}). Start Docker or point DOCKER_HOST at a running engine.`,
      5,
    );
  }
}

/** The sandbox image (of a runtime, when known) is not present on the engine. */
export class SandboxImageMissingError extends DomainError {
  constructor(
    readonly image: string,
    readonly language?: string,
  ) {
    super(
      'image_missing',
      language === undefined || language === 'python'
        ? `The sandbox image "${image}" is missing on the Docker engine. Build it with: npm run sandbox:build`
        : `The ${language} runtime's image "${image}" is not built on the Docker engine. Build it with: npm run sandbox:ensure -- --runtime ${language}`,
      30,
    );
  }
}

/** A run named a runtime this service does not have (requests are validated before this). */
export class UnknownRuntimeError extends DomainError {
  constructor(readonly language: string) {
    super('unknown_language', `This service has no runtime for the language "${language}".`);
  }
}

/** The configured runtime (for example runsc) is not registered with the engine. */
export class SandboxRuntimeMissingError extends DomainError {
  constructor(readonly runtime: string) {
    super(
      'runtime_missing',
      `The container runtime "${runtime}" is not registered with the Docker engine. Register it in /etc/docker/daemon.json or unset SANDBOX_RUNTIME.`,
      30,
    );
  }
}

/**
 * The container vanished while its program ran: something outside the service removed it (an
 * operator, `docker rm -f`, a prune). The program's outcome is unknown, so nothing is reported
 * as its result.
 */
export class SandboxContainerLostError extends DomainError {
  constructor(readonly containerId: string) {
    super(
      'container_lost',
      `The sandbox container ${containerId.slice(0, 12)} was removed by something outside the service while the program ran; run it again.`,
      1,
    );
  }
}

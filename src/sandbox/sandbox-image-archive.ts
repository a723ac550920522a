import { Inject, Injectable, Logger } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { CONTAINER_ENGINE, type ContainerEngine } from './engine/container-engine.js';
import { SANDBOX_CONFIG, type SandboxConfig } from './sandbox.config.js';
import { EngineUnavailableError } from './sandbox.errors.js';

/**
 * Puts the sandbox image on this process's engine at start, from SANDBOX_IMAGE_ARCHIVE (a
 * `docker save` archive, `npm run sandbox:export`), when the engine lacks it: how a worker on a
 * new host, or in a container, gets the image without building it. The archive is the
 * operator's file; nothing of a program's ever reaches this path.
 */
@Injectable()
export class SandboxImageArchive {
  private readonly logger = new Logger(SandboxImageArchive.name);

  constructor(
    @Inject(CONTAINER_ENGINE) private readonly engine: ContainerEngine,
    @Inject(SANDBOX_CONFIG.token) private readonly config: SandboxConfig,
  ) {}

  /**
   * Loads the image if the archive is set and the engine lacks the image. Rejects (and the
   * process does not start) when the archive cannot be read, the engine refuses it, or it does
   * not hold the image. An engine that does not answer now is left to /health and the pool,
   * which wait for it as they always do.
   */
  async ensure(): Promise<void> {
    const archive = this.config.SANDBOX_IMAGE_ARCHIVE;
    const image = this.config.SANDBOX_IMAGE;
    if (!archive) return;
    let present: boolean;
    try {
      present = await this.engine.imageExists(image);
    } catch (error) {
      if (!(error instanceof EngineUnavailableError)) throw error;
      this.logger.warn(`the engine does not answer, so ${image} was not loaded from ${archive}`);
      return;
    }
    if (present) return;
    await access(archive, constants.R_OK).catch((error: Error) => {
      throw new Error(`SANDBOX_IMAGE_ARCHIVE: cannot read ${archive} (${error.message})`);
    });
    const started = Date.now();
    this.logger.log(`${image} is not on the engine; loading it from ${archive}`);
    await this.engine.loadImages(createReadStream(archive));
    if (!(await this.engine.imageExists(image))) {
      throw new Error(`SANDBOX_IMAGE_ARCHIVE: ${archive} does not hold ${image}`);
    }
    this.logger.log(
      { event: 'sandbox_image_loaded', image, archive, ms: Date.now() - started },
      `loaded ${image} from ${archive}`,
    );
  }
}

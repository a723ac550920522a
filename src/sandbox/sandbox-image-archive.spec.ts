import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeEngine } from '../../test/support/fake-engine.js';
import { loadAppConfig } from '../config/app-config.js';
import { SandboxImageArchive } from './sandbox-image-archive.js';
import { SANDBOX_CONFIG } from './sandbox.config.js';
import { EngineUnavailableError } from './sandbox.errors.js';

const ARCHIVE = join(mkdtempSync(join(tmpdir(), 'sce-archive-')), 'image.tar');
writeFileSync(ARCHIVE, 'an archive');

/** An engine that lacks the image until an archive is loaded (`holds`: the archive has it). */
function engineWithoutImage({ holds = true } = {}) {
  const engine = new FakeEngine();
  const loaded: string[] = [];
  let present = false;
  engine.imageExists = () => Promise.resolve(present);
  engine.loadImages = (archive: NodeJS.ReadableStream) =>
    new Promise<void>((resolve, reject) => {
      let text = '';
      archive.on('data', (chunk: Buffer) => (text += chunk.toString()));
      archive.on('error', reject);
      archive.on('end', () => {
        loaded.push(text);
        present = holds;
        resolve();
      });
    });
  return { engine, loaded };
}

function archiveOf(engine: FakeEngine, env: Record<string, string> = {}) {
  return new SandboxImageArchive(engine, SANDBOX_CONFIG.from(loadAppConfig(env)));
}

describe('SandboxImageArchive', () => {
  it('loads the archive when the engine lacks the image', async () => {
    const { engine, loaded } = engineWithoutImage();
    await archiveOf(engine, { SANDBOX_IMAGE_ARCHIVE: ARCHIVE }).ensure();
    expect(loaded).toEqual(['an archive']);
  });

  it('loads nothing without an archive, or when the image is there', async () => {
    const { engine, loaded } = engineWithoutImage();
    await archiveOf(engine).ensure();
    const present = new FakeEngine();
    let loads = 0;
    present.loadImages = () => Promise.resolve(void loads++);
    await archiveOf(present, { SANDBOX_IMAGE_ARCHIVE: ARCHIVE }).ensure();
    expect(loaded).toEqual([]);
    expect(loads).toBe(0);
  });

  it('refuses to start on an archive it cannot read, or one without the image, naming it', async () => {
    const { engine } = engineWithoutImage({ holds: false });
    await expect(
      archiveOf(engine, { SANDBOX_IMAGE_ARCHIVE: `${ARCHIVE}.missing` }).ensure(),
    ).rejects.toThrow(`SANDBOX_IMAGE_ARCHIVE: cannot read ${ARCHIVE}.missing`);
    await expect(archiveOf(engine, { SANDBOX_IMAGE_ARCHIVE: ARCHIVE }).ensure()).rejects.toThrow(
      `SANDBOX_IMAGE_ARCHIVE: ${ARCHIVE} does not hold safe-code-executor-python:3.11`,
    );
  });

  it('leaves an engine that does not answer to the pool and /health', async () => {
    const engine = new FakeEngine();
    engine.imageExists = () => Promise.reject(new EngineUnavailableError('no answer'));
    await expect(
      archiveOf(engine, { SANDBOX_IMAGE_ARCHIVE: ARCHIVE }).ensure(),
    ).resolves.toBeUndefined();
  });
});

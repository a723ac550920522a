import Docker from 'dockerode';

/**
 * End-to-end tests need a real engine and the sandbox image. Without them the suite fails
 * at once with instructions, instead of failing test by test (or, worse, being skipped).
 */
export default async function globalSetup(): Promise<void> {
  const docker = new Docker();
  const image = process.env.SANDBOX_IMAGE || 'safe-code-executor-python:3.11';
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `End-to-end tests need a running Docker engine (${String(error)}). Start one: bash scripts/ensure-docker-engine.sh`,
    );
  }
  try {
    await docker.getImage(image).inspect();
  } catch {
    throw new Error(
      `End-to-end tests need the sandbox image ${image}. Build it: npm run build && npm run sandbox:build`,
    );
  }
}

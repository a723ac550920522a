/**
 * Where the sandbox image's contents come from, and how each source is verified before the build
 * trusts it. Kept apart from scripts/sandbox-image.ts (which runs on import) so that these
 * decisions have unit tests.
 *
 * - Registry path: the base image is pulled by digest, never by a moving tag, and a failed pull
 *   never falls back to whatever local image carries the same name.
 * - Offline path: debootstrap always checks the Release file's signature against Debian's archive
 *   keyring (installed when missing) and aborts when it cannot, instead of warning and going on.
 * - apt-get (to install debootstrap or the keyring) is told explicitly to refuse unauthenticated
 *   packages and unsigned repositories, whatever the host's apt configuration says.
 */

/** A failure the user can act on: `hint` says how. */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * python:3.11-slim as of 2026-08-16: the multi-arch index digest, so each platform still gets
 * its own image. Update deliberately, like a dependency: `docker buildx imagetools inspect
 * python:3.11-slim` (or `docker pull python:3.11-slim`) prints the current digest. The default
 * of ARG BASE_IMAGE in sandbox-image/Dockerfile must be the same reference.
 */
export const PINNED_REGISTRY_BASE =
  'python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7';

const DIGEST_SUFFIX = /@sha256:[0-9a-f]{64}$/;

/** True when `ref` names its content by digest (name[:tag]@sha256:<64 hex digits>). */
export function isDigestPinned(ref: string): boolean {
  return DIGEST_SUFFIX.test(ref);
}

/**
 * The registry base to pull: SANDBOX_REGISTRY_BASE when set (a site's own registry or mirror),
 * else PINNED_REGISTRY_BASE. An override must be pinned by digest too: a tag can be moved to
 * other content by whoever controls the registry, and the engine would pull it unchecked.
 */
export function registryBase(override: string | undefined): string {
  const ref = override?.trim() ?? '';
  if (ref === '') return PINNED_REGISTRY_BASE;
  if (!isDigestPinned(ref)) {
    throw new FatalError(
      `SANDBOX_REGISTRY_BASE=${JSON.stringify(ref)} is not pinned by digest, so its content could change under the same name`,
      'Give it as name@sha256:<64 hex digits> (`docker buildx imagetools inspect <name:tag>` ' +
        `prints the digest), e.g. ${PINNED_REGISTRY_BASE}, or unset it.`,
    );
  }
  return ref;
}

/** What the registry path needs from the engine and the script around it. */
export interface RegistryBuildSteps {
  /** Pulls `ref` from the registry; rejects when the registry does not deliver it. */
  pull(ref: string): Promise<void>;
  /** Builds sandbox-image/Dockerfile on `base`. */
  build(base: string): Promise<void>;
  log(message: string): void;
  /** Throws `error` again when the user interrupted: a fallback must not swallow Ctrl-C. */
  rethrowIfInterrupted(error: unknown): void;
  /** One line saying what went wrong. */
  reason(error: unknown): string;
}

/**
 * Builds on the registry base; false (after saying why) when that is not possible here, so the
 * caller falls back to the offline build. After a failed pull nothing local is consulted: an
 * image of the same name on the engine may be anything anyone tagged that way.
 */
export async function buildOnRegistryBase(
  base: string,
  steps: RegistryBuildSteps,
): Promise<boolean> {
  try {
    await steps.pull(base);
  } catch (error) {
    steps.rethrowIfInterrupted(error);
    steps.log(
      `registry path unavailable (pulling ${base}: ${steps.reason(error)}); falling back to the offline build`,
    );
    return false;
  }
  try {
    await steps.build(base);
    return true;
  } catch (error) {
    steps.rethrowIfInterrupted(error);
    steps.log(
      `build from ${base} failed (${steps.reason(error)}); falling back to the offline build`,
    );
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Offline path: packages from a Debian mirror

/** Debian's archive keys, from the package debian-archive-keyring (verified by apt itself). */
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
export const DEBIAN_KEYRING_PACKAGE = 'debian-archive-keyring';

/**
 * debootstrap's arguments. The keyring is always given and --force-check-gpg always set: without
 * them, debootstrap on a host lacking the keyring only warns that it cannot check the Release
 * signature and installs whatever the mirror (or anyone between) serves.
 */
export function debootstrapArgs(suite: string, rootfs: string, mirror: string): string[] {
  return [
    '--variant=minbase',
    '--include=python3',
    `--keyring=${DEBIAN_KEYRING}`,
    '--force-check-gpg',
    suite,
    rootfs,
    mirror,
  ];
}

/**
 * Spelled out on every apt-get call so that a host whose apt configuration relaxed them (for a
 * local mirror, say) still refuses unsigned repositories and unauthenticated packages here.
 */
export const APT_VERIFY_OPTIONS = [
  '-o',
  'Acquire::AllowInsecureRepositories=false',
  '-o',
  'Acquire::AllowDowngradeToInsecureRepositories=false',
  '-o',
  'APT::Get::AllowUnauthenticated=false',
];

export function aptUpdateArgs(): string[] {
  return ['-q', ...APT_VERIFY_OPTIONS, 'update'];
}

export function aptInstallArgs(packages: string[]): string[] {
  return ['-q', ...APT_VERIFY_OPTIONS, 'install', '-y', '--no-install-recommends', ...packages];
}

/** What installing a missing tool needs from the host. */
export interface HostTools {
  /** The absolute path of an executable, or undefined. */
  findExecutable(name: string): string | undefined;
  fileExists(path: string): boolean;
  /** Runs apt-get update (once per process) and apt-get install of `packages`. */
  aptInstall(aptGet: string, packages: string[]): Promise<void>;
  log(message: string): void;
  rethrowIfInterrupted(error: unknown): void;
  reason(error: unknown): string;
}

interface Requirement {
  /** What is missing, for messages: "debootstrap", "Debian's archive keyring". */
  name: string;
  isPresent(): boolean;
  packages: string[];
  /** How to get it by hand. */
  hint: string;
}

/** Makes sure `requirement` is met, installing its packages with apt-get if needed; else fails. */
async function ensureInstalled(requirement: Requirement, tools: HostTools): Promise<void> {
  if (requirement.isPresent()) return;
  const aptGet = tools.findExecutable('apt-get');
  if (!aptGet) {
    throw new FatalError(
      `${requirement.name} is missing and apt-get is not here to install it`,
      requirement.hint,
    );
  }
  tools.log(
    `${requirement.name} is not installed; installing it with apt-get since we run as root`,
  );
  try {
    await tools.aptInstall(aptGet, requirement.packages);
  } catch (error) {
    tools.rethrowIfInterrupted(error);
    throw new FatalError(
      `could not install ${requirement.name}: ${tools.reason(error)}`,
      requirement.hint,
    );
  }
  if (!requirement.isPresent()) {
    throw new FatalError(
      `apt-get finished but ${requirement.name} is still missing`,
      requirement.hint,
    );
  }
}

/** debootstrap's path, installing it (and the keyring it checks with) when missing. */
export async function ensureDebootstrap(tools: HostTools): Promise<string> {
  await ensureInstalled(
    {
      name: 'debootstrap',
      isPresent: () => tools.findExecutable('debootstrap') !== undefined,
      packages: ['debootstrap', DEBIAN_KEYRING_PACKAGE],
      hint:
        'Install it (`sudo apt-get install -y debootstrap` on Debian/Ubuntu) and run this again, ' +
        'or build on a machine that can reach a container registry.',
    },
    tools,
  );
  return tools.findExecutable('debootstrap') as string;
}

/** Makes sure DEBIAN_KEYRING exists, installing debian-archive-keyring when it does not. */
export async function ensureDebianKeyring(tools: HostTools): Promise<void> {
  await ensureInstalled(
    {
      name: `Debian's archive keyring (${DEBIAN_KEYRING})`,
      isPresent: () => tools.fileExists(DEBIAN_KEYRING),
      packages: [DEBIAN_KEYRING_PACKAGE],
      hint:
        `Install it (\`sudo apt-get install -y ${DEBIAN_KEYRING_PACKAGE}\`) and run this again: ` +
        'the offline build never installs packages it cannot verify.',
    },
    tools,
  );
}

/**
 * Makes sure the sandbox image of each runtime asked for (src/runtimes/runtime-catalogue.ts;
 * python's may be renamed with SANDBOX_IMAGE) is on the Docker engine, building it from
 * sandbox-image/Dockerfile when it is not.
 *
 *   node dist/scripts/sandbox-image.js                  python's image, only if it is missing
 *   node dist/scripts/sandbox-image.js --runtime js,c   those runtimes' (names or aliases;
 *                                                       --runtime may also be repeated)
 *   node dist/scripts/sandbox-image.js --all            every runtime's, then a summary table
 *   node dist/scripts/sandbox-image.js --rebuild        always build (the layer cache still
 *                                                       makes an unchanged rebuild quick)
 *   node dist/scripts/sandbox-image.js --offline        skip the registry attempt
 *   node dist/scripts/sandbox-image.js --refresh-base   debootstrap the offline base anew for
 *                                                       what is built (it is otherwise made once
 *                                                       and reused; add --rebuild for all)
 *   node dist/scripts/sandbox-image.js --export F       then write the (one) image to F as a
 *                                                       `docker save` archive, which a worker
 *                                                       elsewhere loads at start
 *                                                       (SANDBOX_IMAGE_ARCHIVE)
 *
 * Two ways to a base image, tried in order:
 *   1. registry: pull python:3.11-slim by digest and build on it;
 *   2. offline: debootstrap a Debian bookworm root file system with python3 from the Debian mirror
 *      apt already uses, its Release signature checked against Debian's archive keyring, import
 *      it as safe-code-executor-base:bookworm and build on that. Made once and reused by every
 *      runtime and every later build (--refresh-base makes it anew).
 * The second exists because many machines that run this service reach a Debian mirror but no
 * container registry. Both build the same Dockerfile, which installs the runtime's Debian
 * packages (signatures checked by apt) and checks what the service relies on. How each source is
 * verified: scripts/sandbox-image-sources.ts; which arguments each runtime's build gets:
 * scripts/sandbox-image-runtimes.ts.
 *
 * Engine calls go through dockerode only (never the docker CLI, which may not be installed).
 *
 * Environment: SANDBOX_IMAGE (python's image), SANDBOX_REGISTRY_BASE (base for path 1, pinned by
 * digest: name@sha256:...),
 * SANDBOX_DEBIAN_MIRROR (mirror for path 2; default: apt's own), SANDBOX_BUILD_TMPDIR (where the
 * root file system is assembled; default /var/tmp), DOCKER_HOST (engine address).
 */
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  createWriteStream,
  existsSync,
  readFileSync,
  readdirSync,
} from 'node:fs';
import {
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { addAbortSignal, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_LANGUAGE,
  findRuntime,
  type RuntimeDefinition,
} from '../src/runtimes/runtime-catalogue.js';
import {
  buildArgs,
  formatTable,
  imageName,
  imageTitle,
  parseOptions,
  VERSION_COMMANDS,
  versionLabel,
  type BuildReport,
  type Options,
} from './sandbox-image-runtimes.js';
import {
  aptInstallArgs,
  aptUpdateArgs,
  buildOnRegistryBase,
  debootstrapArgs,
  ensureDebianKeyring,
  ensureDebootstrap,
  FatalError,
  registryBase,
  type HostTools,
} from './sandbox-image-sources.js';

const OFFLINE_BASE = { repo: 'safe-code-executor-base', tag: 'bookworm' } as const;
const OFFLINE_BASE_REF = `${OFFLINE_BASE.repo}:${OFFLINE_BASE.tag}`;
/** Debian 12; its python3 is 3.11, the version the sandbox promises. */
const DEBIAN_SUITE = 'bookworm';
/** The import's comment: how a base found on the engine is recognised as one this script made. */
const OFFLINE_BASE_COMMENT = `Debian ${DEBIAN_SUITE} minbase + python3, made by scripts/sandbox-image.ts`;
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/** A registry that answers at all does so within seconds; one that is blocked may hang for minutes. */
const REGISTRY_ANSWER_TIMEOUT_MS = 20_000;
const ENGINE_PING_TIMEOUT_MS = 10_000;
const CHECK_TIMEOUT_MS = 60_000;

/** Aborted on SIGINT/SIGTERM: pending engine calls and child processes stop, cleanup still runs. */
const interrupt = new AbortController();

// ---------------------------------------------------------------------------------------------
// Output and errors

function log(message: string): void {
  console.log(`[sandbox-image] ${message}`);
}

function detail(line: string): void {
  console.log(`    ${line}`);
}

interface EngineError {
  statusCode?: number;
  json?: unknown;
}

/** The most useful one-line description of an error from dockerode or a child process. */
function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error).trim();
  const { json } = error as Error & EngineError;
  if (typeof json === 'object' && json !== null && 'message' in json) {
    const message = json.message;
    if (typeof message === 'string') return message.trim();
  }
  return error.message.trim();
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null
    ? (error as EngineError).statusCode
    : undefined;
}

/** Fallbacks must not swallow Ctrl-C: once interrupted, every error is the interruption. */
function rethrowIfInterrupted(error: unknown): void {
  if (interrupt.signal.aborted) throw error;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The 12 hex digits `docker images` shows. */
function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface RunOptions {
  onLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Cleanup passes false so that it still runs after an interrupt. */
  abortable?: boolean;
}

/** Process groups of running children, killed outright if the user insists on quitting. */
const childGroups = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Runs a command to completion; rejects with its last output lines if it fails.
 *
 * The child leads its own process group, and an interrupt signals the whole group: debootstrap is
 * a shell script whose dpkg and maintainer scripts would otherwise go on writing into the tree
 * while it is being deleted. The promise settles only once the group's output has closed.
 */
function run(command: string, args: string[], options: RunOptions = {}): Promise<void> {
  const { onLine = detail, env = process.env, abortable = true } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const tail: string[] = [];
    const collect = (line: string): void => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      onLine(line);
    };
    createInterface({ input: child.stdout }).on('line', collect);
    createInterface({ input: child.stderr }).on('line', collect);

    const pid = child.pid;
    let escalation: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      escalation = setTimeout(() => killGroup(pid, 'SIGKILL'), 10_000);
    };
    if (pid !== undefined) childGroups.add(pid);
    if (abortable) interrupt.signal.addEventListener('abort', stop, { once: true });
    const settle = (): void => {
      if (pid !== undefined) childGroups.delete(pid);
      interrupt.signal.removeEventListener('abort', stop);
      clearTimeout(escalation);
    };

    child.on('error', (error) => {
      settle();
      reject(error);
    });
    child.on('close', (code, signal) => {
      settle();
      if (abortable && interrupt.signal.aborted) return reject(interrupt.signal.reason as Error);
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const output = tail.length ? `; last output:\n      ${tail.join('\n      ')}` : '';
      reject(new Error(`${command} ${how}${output}`));
    });
  });
}

/** The absolute path of an executable, also looking in the sbin directories a user's PATH may lack. */
function findExecutable(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat('/usr/sbin', '/sbin');
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Engine

function engineAddress(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

async function assertEngineReachable(docker: Docker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${ENGINE_PING_TIMEOUT_MS / 1000} s`)),
      ENGINE_PING_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([docker.ping(), timeout]);
  } catch (error) {
    throw new FatalError(
      `cannot reach the Docker engine at ${engineAddress()}: ${reason(error)}`,
      'Start it with `sudo bash scripts/ensure-docker-engine.sh` (or `sudo setsid dockerd ' +
        '>/tmp/dockerd.log 2>&1 &`), or point DOCKER_HOST at a running engine. "permission ' +
        'denied" means this user may not use the socket: run as root or join the docker group.',
    );
  } finally {
    clearTimeout(timer);
  }
}

async function inspectImage(
  docker: Docker,
  ref: string,
): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

/** One line of the JSON stream the engine answers pulls, builds and imports with. */
interface EngineEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Reads a progress stream to its end, handing each event on. Failures arrive as events with an
 * `error` field inside an HTTP 200 answer (dockerode does not turn them into rejections), so they
 * are thrown here.
 */
async function readEngineEvents(
  stream: NodeJS.ReadableStream,
  onEvent: (event: EngineEvent) => void,
): Promise<void> {
  if (stream instanceof Readable) addAbortSignal(interrupt.signal, stream);
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let event: EngineEvent;
    try {
      event = JSON.parse(line) as EngineEvent;
    } catch {
      event = { stream: line };
    }
    if (event.error !== undefined || event.errorDetail !== undefined) {
      throw new Error(event.errorDetail?.message ?? event.error);
    }
    onEvent(event);
  }
}

function printBuildEvent(event: EngineEvent): void {
  for (const line of (event.stream ?? '').split('\n')) {
    if (line.trim()) detail(line.trimEnd());
  }
}

/** Layer-level pull news only; the per-chunk progress bars would flood a log. */
function printPullEvent(event: EngineEvent): void {
  if (!event.status || event.progress) return;
  detail(event.id ? `${event.id}: ${event.status}` : event.status);
}

/**
 * Builds sandbox-image/`dockerfile` and returns the new image's id. The image gets no tag here:
 * it is tagged only once it has passed its checks, so a broken build never replaces a working one.
 */
async function buildImage(
  docker: Docker,
  dockerfile: string,
  buildargs: Record<string, string>,
  network: boolean,
): Promise<string> {
  const stream = await docker.buildImage(
    { context: path.join(projectRoot(), 'sandbox-image'), src: [dockerfile] },
    {
      dockerfile,
      buildargs,
      // Only apt-get needs the network (to reach the base's Debian mirror); without packages to
      // install nothing may try it.
      networkmode: network ? 'default' : 'none',
      rm: true,
      forcerm: true,
      abortSignal: interrupt.signal,
    },
  );
  let id: string | undefined;
  await readEngineEvents(stream, (event) => {
    if (event.aux?.ID) id = event.aux.ID;
    printBuildEvent(event);
  });
  if (!id)
    throw new Error(`the engine did not report the id of the image built from ${dockerfile}`);
  return id;
}

/** Builds `runtime`'s image on `baseImage`; its id, untagged. */
function buildFrom(docker: Docker, runtime: RuntimeDefinition, baseImage: string): Promise<string> {
  log(`building ${runtime.language}'s image from ${baseImage} with sandbox-image/Dockerfile`);
  return buildImage(
    docker,
    'Dockerfile',
    buildArgs(runtime, baseImage),
    runtime.packages.length > 0,
  );
}

/** The directory holding sandbox-image/, found from this file whether it runs from dist/ or not. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'sandbox-image', 'Dockerfile'))) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new FatalError('cannot find sandbox-image/Dockerfile above this script');
    }
    dir = parent;
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Path 1: registry

/**
 * Pulls `ref` (pinned by digest: the engine checks the content against it). Only the wait for
 * the registry's first answer is bounded: once it answers, a slow download is allowed to finish.
 */
async function pullRegistryBase(docker: Docker, ref: string): Promise<void> {
  log(`trying the registry: pulling ${ref}`);
  const noAnswer = new AbortController();
  const timer = setTimeout(
    () => noAnswer.abort(new Error(`no answer within ${REGISTRY_ANSWER_TIMEOUT_MS / 1000} s`)),
    REGISTRY_ANSWER_TIMEOUT_MS,
  );
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(ref, {
      abortSignal: AbortSignal.any([noAnswer.signal, interrupt.signal]),
    });
  } catch (error) {
    throw noAnswer.signal.aborted ? (noAnswer.signal.reason as Error) : error;
  } finally {
    clearTimeout(timer);
  }
  await readEngineEvents(stream, printPullEvent);
}

/** One pull per run: the outcome (a pulled base, or a registry that is not reachable) holds for every runtime. */
const registryPulls = new Map<string, Promise<void>>();

function pullOnce(docker: Docker, ref: string): Promise<void> {
  let pull = registryPulls.get(ref);
  if (!pull) {
    pull = pullRegistryBase(docker, ref);
    registryPulls.set(ref, pull);
  }
  return pull;
}

/** Builds `runtime`'s image on `base`; its id, or undefined (after saying why) when that is not possible here. */
async function buildFromRegistry(
  docker: Docker,
  runtime: RuntimeDefinition,
  base: string,
): Promise<string | undefined> {
  const earlierPull = registryPulls.get(base);
  if (
    earlierPull &&
    !(await earlierPull.then(
      () => true,
      () => false,
    ))
  ) {
    log('registry path unavailable (as above); offline build');
    return undefined;
  }
  let id: string | undefined;
  const built = await buildOnRegistryBase(base, {
    pull: (ref) => pullOnce(docker, ref),
    build: async (ref) => {
      id = await buildFrom(docker, runtime, ref);
    },
    log,
    rethrowIfInterrupted,
    reason,
  });
  return built ? id : undefined;
}

// ---------------------------------------------------------------------------------------------
// Path 2: offline, from a Debian mirror

/** The offline base, made (or found) once per run and shared by every runtime's build. */
let offlineBase: Promise<void> | undefined;

function ensureOfflineBase(docker: Docker, refresh: boolean): Promise<void> {
  offlineBase ??= (async () => {
    const present = await inspectImage(docker, OFFLINE_BASE_REF);
    if (present && !refresh) {
      if (present.Comment !== OFFLINE_BASE_COMMENT) {
        throw new FatalError(
          `${OFFLINE_BASE_REF} on the engine was not made by this script (its comment is ${JSON.stringify(present.Comment)})`,
          `Remove it (\`docker rmi ${OFFLINE_BASE_REF}\`) or run with --refresh-base to make it anew.`,
        );
      }
      log(
        `offline path: reusing ${OFFLINE_BASE_REF} (${shortId(present.Id)}, made ${present.Created}; --refresh-base makes it anew)`,
      );
      return;
    }
    await makeOfflineBase(docker);
    if (present) await removeReplacedBase(docker, present);
  })();
  return offlineBase;
}

async function buildOffline(
  docker: Docker,
  runtime: RuntimeDefinition,
  refreshBase: boolean,
): Promise<string> {
  await ensureOfflineBase(docker, refreshBase);
  return buildFrom(docker, runtime, OFFLINE_BASE_REF);
}

async function makeOfflineBase(docker: Docker): Promise<void> {
  log(
    `offline path: Debian ${DEBIAN_SUITE} + python3 with debootstrap, imported as ${OFFLINE_BASE_REF}`,
  );
  if (process.getuid?.() !== 0) {
    throw new FatalError(
      'the offline build needs root: debootstrap makes device nodes and runs package scripts in a chroot',
      'Run it as root (`sudo npm run sandbox:build`), or on a machine that can reach a container registry.',
    );
  }
  const tools = hostTools();
  const debootstrap = await ensureDebootstrap(tools);
  await ensureDebianKeyring(tools);
  const mirror = debianMirror();
  log(`Debian mirror: ${mirror.url} (${mirror.origin})`);

  const workDir = await realpath(
    await mkdtemp(path.join(buildTempBase(), 'safe-code-executor-rootfs-')),
  );
  try {
    const rootfs = path.join(workDir, 'rootfs');
    await runDebootstrap(debootstrap, mirror.url, rootfs);
    await shrinkRootfs(rootfs);
    await importRootfs(docker, rootfs);
  } finally {
    await removeWorkDir(workDir);
  }
}

/**
 * Where the root file system is assembled. Not /tmp by default: it is often a noexec or nodev
 * tmpfs, and debootstrap must run binaries and open device nodes inside the tree.
 */
function buildTempBase(): string {
  const override = process.env.SANDBOX_BUILD_TMPDIR;
  if (override) return override;
  return existsSync('/var/tmp') ? '/var/tmp' : tmpdir();
}

/** The host as sandbox-image-sources.ts needs it to install what is missing (we are root by now). */
function hostTools(): HostTools {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let updated = false;
  return {
    findExecutable,
    fileExists: existsSync,
    aptInstall: async (aptGet, packages) => {
      if (!updated) await run(aptGet, aptUpdateArgs(), { env });
      updated = true;
      await run(aptGet, aptInstallArgs(packages), { env });
    },
    log,
    rethrowIfInterrupted,
    reason,
  };
}

interface Mirror {
  url: string;
  origin: string;
}

/** One `deb` source of apt's configuration, from either file format. */
interface AptSource {
  uris: string[];
  suites: string[];
  file: string;
}

/**
 * The Debian mirror apt already uses, since it is known to be reachable from here (it may be a
 * local mirror or proxy when deb.debian.org is not). SANDBOX_DEBIAN_MIRROR overrides it.
 */
function debianMirror(): Mirror {
  const override = process.env.SANDBOX_DEBIAN_MIRROR;
  if (override) return { url: override, origin: 'SANDBOX_DEBIAN_MIRROR' };
  const sources = aptSources().filter((source) => source.uris.length > 0);
  // Best: a source for this very suite. Next best: any Debian archive, e.g. on a trixie host.
  const exact = sources.find((source) => source.suites.includes(DEBIAN_SUITE));
  if (exact) return { url: exact.uris[0], origin: `from ${exact.file}` };
  for (const source of sources) {
    const uri = source.uris.find((candidate) => /\/debian\/?$/.test(candidate));
    if (uri) return { url: uri, origin: `from ${source.file}` };
  }
  return { url: DEFAULT_MIRROR, origin: 'default: no Debian mirror configured for apt' };
}

function aptSources(): AptSource[] {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) files.push(path.join(dir, name));
  }
  return files.flatMap((file) => {
    if (!existsSync(file)) return [];
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) return parseDeb822Sources(text, file);
    if (file.endsWith('.list')) return parseOneLineSources(text, file);
    return []; // apt ignores other names too (e.g. *.disabled)
  });
}

/** Only plain archive addresses work with debootstrap (not cdrom:, mirror+file: and the like). */
const usableUri = (uri: string): boolean => /^(https?|file):\/\//.test(uri);

/** `deb [options] uri suite components...` */
function parseOneLineSources(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(raw.replace(/#.*/, '').trim());
    if (match && usableUri(match[1])) sources.push({ uris: [match[1]], suites: [match[2]], file });
  }
  return sources;
}

/** Paragraphs of `Field: value` lines; continuation lines (e.g. inline keys) are skipped. */
function parseDeb822Sources(text: string, file: string): AptSource[] {
  return text.split(/\n\s*\n/).flatMap((paragraph) => {
    const fields = new Map<string, string>();
    for (const line of paragraph.split('\n')) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match) fields.set(match[1].toLowerCase(), match[2].trim());
    }
    const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || fields.get('enabled')?.toLowerCase() === 'no') return [];
    return [{ uris: words('uris').filter(usableUri), suites: words('suites'), file }];
  });
}

/** debootstrap prints ~500 per-package lines; one every few seconds shows progress well enough. */
function debootstrapPrinter(): (line: string) => void {
  const perPackage = /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) /;
  const phase = / (packages|system)\.\.\.$/; // e.g. "Unpacking required packages..."
  let lastShown = 0;
  return (line) => {
    const now = Date.now();
    if (perPackage.test(line) && !phase.test(line) && now - lastShown < 3000) return;
    lastShown = now;
    detail(line);
  };
}

async function runDebootstrap(debootstrap: string, mirror: string, rootfs: string): Promise<void> {
  const args = debootstrapArgs(DEBIAN_SUITE, rootfs, mirror);
  log(`running debootstrap ${args.join(' ')} (about a minute)`);
  const started = Date.now();
  try {
    await run(debootstrap, args, { onLine: debootstrapPrinter() });
  } catch (error) {
    rethrowIfInterrupted(error);
    // debootstrap keeps the real cause in its own log, which goes away with the work directory.
    const logTail = await readFile(path.join(rootfs, 'debootstrap', 'debootstrap.log'), 'utf8')
      .then((text) => text.trimEnd().split('\n').slice(-15).join('\n      '))
      .catch(() => '(no debootstrap.log)');
    throw new FatalError(
      `debootstrap failed: ${reason(error)}\n    debootstrap.log ends with:\n      ${logTail}`,
      `Check that ${mirror} is reachable (set SANDBOX_DEBIAN_MIRROR to use another mirror). ` +
        'A Release signature that does not verify is a refusal, not a glitch: the mirror, or ' +
        'something between, served what Debian did not sign (or debian-archive-keyring is too ' +
        'old for bookworm: update it).',
    );
  }
  log(`debootstrap finished in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Documentation, translations, apt's downloads and logs: about half the tree, unused in a sandbox. */
const DISPOSABLE_DIRS = [
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
  'usr/share/lintian',
  'var/cache/apt',
  'var/lib/apt/lists',
  'var/log',
  // Docker mounts its own /dev; device nodes in an image are useless and not always importable.
  'dev',
];

async function shrinkRootfs(rootfs: string): Promise<void> {
  assertNothingMounted(rootfs);
  const before = await diskUsage(rootfs);
  for (const dir of DISPOSABLE_DIRS) await emptyDir(path.join(rootfs, dir));
  // Licences stay: an image is a redistribution of these packages.
  await emptyDir(path.join(rootfs, 'usr/share/doc'), (entry) => entry === 'copyright');
  // debootstrap copies these from the build host; Docker provides its own at run time.
  for (const file of ['etc/hostname', 'etc/resolv.conf']) {
    await writeFile(path.join(rootfs, file), '');
  }
  log(`trimmed the root file system from ${before} to ${await diskUsage(rootfs)}`);
}

/**
 * Removes everything under `dir` (not `dir` itself), descending one level into subdirectories
 * when `keep` is given so that the named files survive.
 */
async function emptyDir(dir: string, keep?: (name: string) => boolean): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const target = path.join(dir, entry.name);
    if (keep && entry.isDirectory()) {
      for (const inner of await readdir(target)) {
        if (!keep(inner)) await rm(path.join(target, inner), { recursive: true, force: true });
      }
    } else {
      await rm(target, { recursive: true, force: true });
    }
  }
}

async function diskUsage(dir: string): Promise<string> {
  let size = 'unknown size';
  await run('du', ['-sh', dir], { onLine: (line) => (size = line.split('\t')[0]) }).catch(() => {});
  return size;
}

/**
 * Streams the tree into the engine as an image (POST /images/create?fromSrc=-) and tags it.
 * It is imported untagged and only tagged once tar has exited cleanly, so that a truncated archive
 * never becomes OFFLINE_BASE_REF.
 */
async function importRootfs(docker: Docker, rootfs: string): Promise<void> {
  log(`importing the root file system into the engine as ${OFFLINE_BASE_REF}`);
  // --numeric-owner: the names on this host may map to other ids than in the new tree.
  const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: interrupt.signal,
  });
  const tarErrors: string[] = [];
  createInterface({ input: tar.stderr }).on('line', (line) => tarErrors.push(line));
  const tarExit = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`tar exited with code ${code}: ${tarErrors.join('; ')}`)),
    );
  });

  let imageId: string | undefined;
  const imported = (async () => {
    const stream = await docker.importImage(tar.stdout, {
      message: OFFLINE_BASE_COMMENT,
      abortSignal: interrupt.signal,
    });
    await readEngineEvents(stream, (event) => {
      // The last status line of an import is the new image's id.
      if (event.status?.startsWith('sha256:')) imageId = event.status;
    });
  })().catch((error: unknown) => {
    // Nobody reads tar's output any more: without this it would block on a full pipe forever.
    tar.kill();
    throw error;
  });

  const [importResult, tarResult] = await Promise.allSettled([imported, tarExit]);
  const failure = [importResult, tarResult].find((result) => result.status === 'rejected');
  if (failure || !imageId) {
    if (imageId) await removeQuietly(docker, imageId);
    const why = failure ? reason(failure.reason) : 'the engine did not report an image id';
    throw new Error(`import failed: ${why}`);
  }
  await docker.getImage(imageId).tag({ repo: OFFLINE_BASE.repo, tag: OFFLINE_BASE.tag });
  const info = await docker.getImage(imageId).inspect();
  log(`imported ${OFFLINE_BASE_REF} (${shortId(imageId)}, ${megabytes(info.Size)})`);
}

/** Removes an image this script made; failing to is not worth more than the original error. */
async function removeQuietly(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getImage(id).remove();
  } catch {
    // left for `docker image prune`
  }
}

// ---------------------------------------------------------------------------------------------
// Temporary directory cleanup

/** Mount points at or below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const mountInfo = readFileSync('/proc/self/mountinfo', 'utf8');
  const points = mountInfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    // mountinfo escapes spaces and the like as octal
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

/** Deleting through a mount (a bind of /dev, say) would delete the host's files. */
function assertNothingMounted(dir: string): void {
  const mounts = mountsUnder(dir);
  if (mounts.length) {
    throw new Error(`refusing to modify ${dir}: ${mounts.join(', ')} still mounted`);
  }
}

/**
 * Removes the work directory. An interrupted debootstrap can leave /proc or /sys mounted inside
 * the tree, so those are unmounted first, and the tree is left alone if any mount stays.
 */
async function removeWorkDir(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) {
    await run('umount', ['--lazy', point], { abortable: false }).catch(() => {});
  }
  const left = mountsUnder(dir);
  if (left.length) {
    log(
      `WARNING: left ${dir} in place because ${left.join(', ')} is still mounted; unmount and delete it by hand`,
    );
    return;
  }
  try {
    await rm(dir, { recursive: true, force: true });
    log(`removed the work directory ${dir}`);
  } catch (error) {
    log(`WARNING: could not remove ${dir} (${reason(error)}); delete it by hand`);
  }
}

// ---------------------------------------------------------------------------------------------
// Checking and reporting

/** What the service relies on, checked the way it runs programs: no network, read-only root, uid 65534. */
const PROBE = [
  'import os, sys',
  'assert sys.version_info[:2] == (3, 11), sys.version',
  'with open("/tmp/probe", "w") as f: f.write("ok")',
  'print("Python", sys.version.split()[0], "as uid", os.getuid(), "in", os.getcwd())',
].join('\n');

/**
 * Runs the probe, then the runtime's check and its version command, in one container confined as
 * the service confines programs. The output's last line is the version (empty without a command).
 */
const PROBE_SCRIPT =
  'python3 -I -S -c "$PROBE" && env -- $CHECK_ENV sh -c "$CHECK" && ' +
  'if [ -n "$VERSION_COMMAND" ]; then sh -c "$VERSION_COMMAND"; else echo; fi';

interface ProbeResult {
  /** The probe's own line: Python version, uid, directory. */
  summary: string;
  /** What the version command printed, fit for a label. */
  version?: string;
}

async function probeImage(
  docker: Docker,
  runtime: RuntimeDefinition,
  image: string,
): Promise<ProbeResult> {
  const args = buildArgs(runtime, '');
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['sh', '-c', PROBE_SCRIPT],
    Env: [
      `PROBE=${PROBE}`,
      `CHECK=${args.CHECK}`,
      `CHECK_ENV=${args.CHECK_ENV}`,
      `VERSION_COMMAND=${VERSION_COMMANDS[runtime.language] ?? ''}`,
    ],
    Tty: true, // one raw output stream, no multiplexing to undo
    NetworkDisabled: true,
    Labels: { 'safe-code-executor.image-check': 'true' },
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=16m,mode=1777' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: 512 * 1024 * 1024,
    },
  });
  try {
    await container.start();
    const exit = (await container.wait({
      abortSignal: AbortSignal.any([AbortSignal.timeout(CHECK_TIMEOUT_MS), interrupt.signal]),
    })) as { StatusCode?: number };
    const output = (await container.logs({ stdout: true, stderr: true }))
      .toString('utf8')
      .replace(/\r/g, '')
      .trim();
    if (exit.StatusCode !== 0) throw new Error(`exit code ${exit.StatusCode}: ${output}`);
    const lines = output.split('\n');
    return {
      summary: lines[0] ?? '',
      version: lines.length > 1 ? versionLabel(lines[lines.length - 1]) : undefined,
    };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/**
 * Tags the checked image: through sandbox-image/runtime-version.Dockerfile when there is a version
 * to record (a label only, no layer; cached on an unchanged rebuild), else directly.
 */
async function tagImage(
  docker: Docker,
  id: string,
  image: string,
  version: string | undefined,
): Promise<string> {
  let final = id;
  if (version !== undefined) {
    final = await buildImage(
      docker,
      'runtime-version.Dockerfile',
      { IMAGE: id, RUNTIME_VERSION: version },
      false,
    );
  }
  const colon = image.lastIndexOf(':');
  const [repo, tag] =
    colon > image.lastIndexOf('/')
      ? [image.slice(0, colon), image.slice(colon + 1)]
      : [image, 'latest'];
  await docker.getImage(final).tag({ repo, tag });
  return final;
}

/**
 * After a rebuild the previous image is untagged and only takes up space. Removed only when it is
 * this runtime's (by title label: never another runtime's) and nothing uses it; the engine
 * refuses (409) while containers still do.
 */
async function removeReplacedImage(
  docker: Docker,
  previous: Docker.ImageInspectInfo,
  title: string,
): Promise<void> {
  const now = await inspectImage(docker, previous.Id).catch(() => undefined);
  if (!now || now.RepoTags?.length) return;
  if (now.Config?.Labels?.['org.opencontainers.image.title'] !== title) return;
  try {
    await docker.getImage(previous.Id).remove();
    log(`removed the replaced image ${shortId(previous.Id)}`);
  } catch (error) {
    log(`kept the replaced image ${shortId(previous.Id)} (${reason(error)})`);
  }
}

/** The base replaced by --refresh-base; kept while images built on it remain. */
async function removeReplacedBase(
  docker: Docker,
  previous: Docker.ImageInspectInfo,
): Promise<void> {
  const now = await inspectImage(docker, previous.Id).catch(() => undefined);
  if (!now || now.RepoTags?.length) return;
  try {
    await docker.getImage(previous.Id).remove();
    log(`removed the replaced base ${shortId(previous.Id)}`);
  } catch (error) {
    log(`kept the replaced base ${shortId(previous.Id)} (${reason(error)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  // Checked even with --offline: a misconfiguration should not wait for the day it matters.
  const registryRef = registryBase(process.env.SANDBOX_REGISTRY_BASE);
  const docker = new Docker();
  await assertEngineReachable(docker);

  const reports: BuildReport[] = [];
  const failed: string[] = [];
  for (const runtime of options.runtimes) {
    try {
      reports.push(await ensureImage(docker, runtime, options, registryRef));
    } catch (error) {
      // With one runtime, or when interrupted, the error is the outcome; with several, the
      // others are still built and the failures summed up at the end.
      if (options.runtimes.length === 1) throw error;
      rethrowIfInterrupted(error);
      log(`ERROR: ${runtime.language}: ${reason(error)}`);
      if (error instanceof FatalError && error.hint) log(error.hint);
      failed.push(runtime.language);
      const image = imageName(runtime, process.env.SANDBOX_IMAGE);
      reports.push({ runtime: runtime.language, image, failed: true });
    }
  }
  if (options.runtimes.length > 1) {
    log('summary:');
    for (const line of formatTable(reports)) detail(line);
  }
  if (failed.length) throw new Error(`no image for ${failed.join(', ')} (see above)`);
  if (options.exportTo) await exportImage(docker, reports[0].image, options.exportTo);
}

/** Writes the image to `file` as `docker save` does (through the engine API). */
async function exportImage(docker: Docker, image: string, file: string): Promise<void> {
  const python = findRuntime(DEFAULT_LANGUAGE) as RuntimeDefinition;
  const partial = `${file}.partial`;
  await pipeline(await docker.getImage(image).get(), createWriteStream(partial));
  await rename(partial, file);
  const { size } = await stat(file);
  const load =
    image === imageName(python, process.env.SANDBOX_IMAGE)
      ? `SANDBOX_IMAGE_ARCHIVE=${file}`
      : `\`docker load -i ${file}\` on the other engine`;
  log(`wrote ${image} to ${file} (${megabytes(size)}); load it with ${load}`);
}

async function ensureImage(
  docker: Docker,
  runtime: RuntimeDefinition,
  options: Options,
  registryRef: string,
): Promise<BuildReport> {
  const image = imageName(runtime, process.env.SANDBOX_IMAGE);
  const existing = await inspectImage(docker, image);
  if (existing && !options.rebuild) {
    log(
      `${image} is present (${shortId(existing.Id)}, ${megabytes(existing.Size)}); nothing to do`,
    );
    return { runtime: runtime.language, image, bytes: existing.Size };
  }
  log(existing ? `rebuilding ${image} (--rebuild)` : `${image} is not on the engine; building it`);

  const started = Date.now();
  const registryId = options.offline
    ? undefined
    : await buildFromRegistry(docker, runtime, registryRef);
  const id = registryId ?? (await buildOffline(docker, runtime, options.refreshBase));
  const base = registryId ? registryRef : OFFLINE_BASE_REF;

  const probe = await probeImage(docker, runtime, id).catch((error: unknown) => {
    rethrowIfInterrupted(error);
    throw new Error(
      `the image built for ${runtime.language} (${shortId(id)}) fails its check: ${reason(error)}`,
    );
  });
  const final = await tagImage(docker, id, image, probe.version);
  const seconds = Math.round((Date.now() - started) / 1000);

  const built = await inspectImage(docker, image);
  if (!built) throw new Error(`the build finished but ${image} is not on the engine`);
  log(`built ${image}: ${shortId(final)}, ${megabytes(built.Size)}, from ${base} in ${seconds} s`);
  log(`check: ${probe.summary}; ${runtime.language} ${probe.version ?? '(version not recorded)'}`);
  if (existing && existing.Id !== built.Id) {
    await removeReplacedImage(docker, existing, imageTitle(runtime));
  }
  return { runtime: runtime.language, image, bytes: built.Size, seconds };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second signal means the user does not want to wait for cleanup.
    if (interrupt.signal.aborted) {
      for (const pid of childGroups) killGroup(pid, 'SIGKILL');
      process.exit(130);
    }
    log(`${signal} received: stopping and cleaning up (send it again to quit at once)`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  });
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (interrupt.signal.aborted) {
    log('interrupted');
    process.exitCode = 130;
  } else {
    log(`ERROR: ${reason(error)}`);
    if (error instanceof FatalError && error.hint) log(error.hint);
    process.exitCode = 1;
  }
}

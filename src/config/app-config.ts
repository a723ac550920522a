import { plainToInstance, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { availableParallelism } from 'node:os';
import { apiKeyProblems, parseApiKeys } from './api-keys.setting.js';
import { callbackAllowedHostsProblem } from './callback-allowed-hosts.setting.js';
import { poolSizesProblem } from './pool-sizes.setting.js';
import { trustProxyProblems } from './trust-proxy.setting.js';

/** Shortest CALLBACK_SECRET accepted: shorter keys could be guessed. */
export const MIN_CALLBACK_SECRET_LENGTH = 16;

/**
 * Every setting the service reads from the environment, with its default.
 * Validated once at start-up: a bad value stops the process with a message naming the variable.
 */
export class AppConfig {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 5000;

  /** Address the HTTP server binds to. */
  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._\-/:@]*$/, {
    message: 'SANDBOX_IMAGE must be a Docker image reference',
  })
  SANDBOX_IMAGE = 'safe-code-executor-python:3.11';

  /**
   * A `docker save` archive of the sandbox image (`npm run sandbox:export -- FILE`): a process
   * that runs programs loads it at start when its engine lacks the image, so a worker on a new
   * host needs no build. Empty: the image must be on the engine (`npm start` builds it).
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  SANDBOX_IMAGE_ARCHIVE?: string;

  /** Container runtime: runc (Docker's default) or runsc (gVisor). */
  @IsString()
  @Matches(/^[a-zA-Z0-9._-]+$/)
  SANDBOX_RUNTIME = 'runc';

  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  SANDBOX_TIMEOUT_MS = 5000;

  @Type(() => Number)
  @IsInt()
  @Min(16)
  @Max(65_536)
  SANDBOX_MEMORY_MB = 128;

  /**
   * Most a request may ask for in `limits.timeoutMs` (a runtime's default above it is lowered
   * to it). At least SANDBOX_TIMEOUT_MS.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  @AtLeastSetting('SANDBOX_TIMEOUT_MS')
  SANDBOX_MAX_TIMEOUT_MS = 30_000;

  /**
   * Most a request may ask for in `limits.memoryMb` (a runtime's default above it is lowered
   * to it). At least SANDBOX_MEMORY_MB.
   */
  @Type(() => Number)
  @IsInt()
  @Min(16)
  @Max(65_536)
  @AtLeastSetting('SANDBOX_MEMORY_MB')
  SANDBOX_MAX_MEMORY_MB = 1024;

  @Type(() => Number)
  @IsNumber()
  @Min(0.01)
  @Max(64)
  SANDBOX_CPUS = 0.5;

  @Type(() => Number)
  @IsInt()
  @Min(8)
  @Max(4096)
  SANDBOX_PIDS_LIMIT = 64;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  SANDBOX_OUTPUT_LIMIT_BYTES = 64 * 1024;

  /** Size of the writable /tmp inside each sandbox; it counts against the memory limit too. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1024)
  SANDBOX_TMPFS_MB = 16;

  /**
   * Containers kept created, started and waiting for a program, so a run skips the engine's
   * create and start. Each still serves one program only. 0 turns the pool off.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(64)
  SANDBOX_POOL_SIZE = 2;

  /**
   * Pool sizes per runtime, e.g. `python=2,javascript=1`. A runtime not listed gets
   * SANDBOX_POOL_SIZE if it is python, else one container (none if SANDBOX_POOL_SIZE is 0); a
   * runtime whose image is not built gets none.
   */
  @IsString()
  @Satisfies((value) => poolSizesProblem(value))
  SANDBOX_POOL_SIZES = '';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_CODE_LENGTH = 5000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(16 * 1024 * 1024)
  MAX_STDIN_BYTES = 64 * 1024;

  /** Most files a request may send (`files`). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1000)
  FILES_MAX_COUNT = 20;

  /** Most bytes a request's files may hold in all, decoded (`files`; the body limit applies too). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(64 * 1024 * 1024)
  FILES_MAX_BYTES = 256 * 1024;

  /** Most files returned from a program's out/ folder (0: none are returned). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1000)
  OUT_FILES_MAX_COUNT = 20;

  /** Most bytes returned from out/ in all (files past it are left out, `filesTruncated`). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(64 * 1024 * 1024)
  OUT_FILES_MAX_BYTES = 1024 * 1024;

  /** Largest accepted request body (after decompression), in bytes. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 512 * 1024;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT = 30;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  RATE_LIMIT_WINDOW_MS = 60_000;

  /**
   * Proxies whose X-Forwarded-For is believed when naming the client for rate limiting: a hop
   * count (e.g. 1 behind one reverse proxy; needs TRUST_PROXY_ADDRESSES) or comma-separated
   * addresses/CIDRs of the proxies. Empty: trust none, the client is the socket's peer.
   * "true"/"*" are refused: trusting everyone lets a client spoof its address and get a fresh quota.
   */
  @IsString()
  @Satisfies((value, config) => trustProxyProblems(value, config.TRUST_PROXY_ADDRESSES).TRUST_PROXY)
  TRUST_PROXY = '';

  /**
   * For a TRUST_PROXY hop count: the addresses/CIDRs the nearest proxy connects from. The hop
   * count is honoured only on connections from them; any other peer is the client itself,
   * whatever its X-Forwarded-For says.
   */
  @IsString()
  @Satisfies((value, config) => trustProxyProblems(config.TRUST_PROXY, value).TRUST_PROXY_ADDRESSES)
  TRUST_PROXY_ADDRESSES = '';

  /**
   * Comma-separated API keys, each at least 16 printable ASCII characters. When set, POST /run
   * needs one (Authorization: Bearer <key> or X-API-Key) and is rate-limited per key.
   * Empty: POST /run is open to anyone who can reach the service.
   */
  @IsString()
  @Satisfies((value) => apiKeyProblems(parseApiKeys(value)).join('; ') || undefined)
  API_KEYS = '';

  /** Programs that may run at once; the default is one per CPU core of the host. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  SANDBOX_MAX_CONCURRENT = Math.max(1, availableParallelism());

  /** Runs that may wait for a free slot; past this POST /run answers 503 at once. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100_000)
  SANDBOX_QUEUE_LIMIT = 20;

  /**
   * Runs one client (API key, else address) may have running or waiting; past it POST /run
   * answers 429. The default, two per core, leaves room for others while one client is busy.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  CLIENT_MAX_INFLIGHT = 2 * Math.max(1, availableParallelism());

  /**
   * Live connections one client may hold open on one API instance: event streams
   * (GET /runs/{id}/events) and interactive WebSockets together. Past it a new one is refused
   * (429 on the stream; an error message, then close, on the socket).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  LIVE_STREAMS_PER_CLIENT = 8;

  /** How long a run that ended stays readable (GET /runs/{id}), in seconds; then it is deleted. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(30 * 24 * 3600)
  RUN_RESULT_TTL_S = 3600;

  /**
   * The most ended runs the embedded mode keeps in memory; past it the oldest go before their
   * RUN_RESULT_TTL_S. A result holds its output twice (merged, and stdout and stderr apart):
   * up to 2 x SANDBOX_OUTPUT_LIMIT_BYTES, so 1,000 runs hold at most about 128 MB by default.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RUN_RESULTS_LIMIT = 1000;

  /** Longest a run waits in the queue before it is answered 503 (it never starts late). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SANDBOX_QUEUE_WAIT_MS = 10_000;

  /**
   * How long an instance's lease on the engine lasts without renewal. Containers of an
   * instance whose lease has lapsed are removed by the other instances (see docs/OPERATIONS.md).
   */
  @Type(() => Number)
  @IsInt()
  @Min(3000)
  @Max(3_600_000)
  INSTANCE_LEASE_MS = 15_000;

  /** Longest a short engine call (ping, create, inspect, kill, remove, list) may take before the engine counts as unavailable. */
  @Type(() => Number)
  @IsInt()
  @Min(500)
  @Max(600_000)
  ENGINE_TIMEOUT_MS = 5000;

  /**
   * Key of the HMAC-SHA256 signature on every callback (X-SCE-Signature-256), at least 16
   * characters. Empty: callbacks are off, and a run that asks for one is refused (400).
   */
  @IsString()
  @ValidateIf((config: AppConfig) => config.CALLBACK_SECRET !== '')
  @MinLength(MIN_CALLBACK_SECRET_LENGTH, {
    message: `must be at least ${MIN_CALLBACK_SECRET_LENGTH} characters`,
  })
  CALLBACK_SECRET = '';

  /**
   * What callbacks may reach beyond the public internet: comma-separated host names (whatever
   * they resolve to), IP addresses and CIDR ranges (e.g. hooks.internal,10.0.0.0/8). Empty:
   * loopback, private, link-local, unique-local and other non-public addresses are refused.
   */
  @IsString()
  @Satisfies((value) => callbackAllowedHostsProblem(value))
  CALLBACK_ALLOWED_HOSTS = '';

  /** Longest one callback request may take, from connecting to the end of the answer. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(120_000)
  CALLBACK_TIMEOUT_MS = 5000;

  /** Tries of one callback before it is given up (the first one included). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  CALLBACK_MAX_ATTEMPTS = 5;

  /** Wait before a callback's second try; it doubles on each further try, up to 60 s. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  CALLBACK_BACKOFF_MS = 1000;

  /**
   * Docker engine address, as the docker CLI takes it (unix:///path, tcp://host:port, with
   * DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS); empty means the local socket. dockerode
   * reads it from the environment itself (sandbox/engine/docker-client.ts); it is checked here
   * so that a malformed address stops the process at start-up, named.
   */
  @IsOptional()
  @Matches(/^(unix:\/\/\/\S+|tcp:\/\/[^\s/:]+(:\d{1,5})?\/?|npipe:\/\/\S+)$/, {
    message: 'DOCKER_HOST must look like unix:///var/run/docker.sock or tcp://host:2376',
  })
  DOCKER_HOST?: string;

  /**
   * Redis for the distributed mode (redis://[user:password@]host:port[/db], or rediss:// for
   * TLS): runs, their queue and the rate limits are then shared by every instance. Empty: the
   * embedded mode, everything in this process's memory.
   */
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, {
    message: 'REDIS_URL must look like redis://host:6379 or rediss://user:password@host:6380/0',
  })
  REDIS_URL?: string;

  /**
   * What this process does. `all`: HTTP and runs (the only role without REDIS_URL). `api`: HTTP
   * only, runs go to the workers through Redis; needs no Docker engine. `worker`: takes runs
   * from Redis and runs them on its engine; serves only /health and /metrics.
   */
  @IsIn(['all', 'api', 'worker'])
  @Satisfies((role, config) =>
    role !== 'all' && !config.REDIS_URL ? `ROLE=${role} needs REDIS_URL` : undefined,
  )
  ROLE: 'all' | 'api' | 'worker' = 'all';

  /** Runs a worker carries at once (the distributed mode's SANDBOX_MAX_CONCURRENT per worker). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  WORKER_CONCURRENCY = Math.max(1, availableParallelism());

  /**
   * How long a worker's hold on a run lasts without renewal (renewed at half of it while the
   * worker lives), and how often live workers look for runs whose holder died. A run of a worker
   * killed mid-run is taken again by another worker between about half and twice this long
   * after the kill.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  WORKER_LOCK_MS = 30_000;

  /**
   * Times a run may be started in all, when workers die while running it; past it the run ends
   * with status internal_error.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10)
  RUN_MAX_ATTEMPTS = 3;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';
}

/**
 * A string setting checked by `problemOf`, which names the problem or returns undefined; it also
 * sees the other settings, for those that only make sense together.
 */
function Satisfies(problemOf: (value: string, config: AppConfig) => string | undefined) {
  return ValidateBy({
    name: 'satisfies',
    validator: {
      validate: (value: unknown, args) =>
        typeof value === 'string' && problemOf(value, args?.object as AppConfig) === undefined,
      defaultMessage: (args) =>
        problemOf(String(args?.value), args?.object as AppConfig) ?? 'invalid value',
    },
  });
}

/** A cap: a number no smaller than the default it caps. */
function AtLeastSetting(other: 'SANDBOX_TIMEOUT_MS' | 'SANDBOX_MEMORY_MB') {
  return ValidateBy({
    name: 'atLeastSetting',
    validator: {
      validate: (value: unknown, args) =>
        typeof value === 'number' && value >= (args?.object as AppConfig)[other],
      defaultMessage: (args) => `must be at least ${other} (${(args?.object as AppConfig)[other]})`,
    },
  });
}

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfigError';
  }
}

/** Settings whose values never appear in error messages. */
const SECRET_SETTINGS = new Set(['API_KEYS', 'CALLBACK_SECRET']);

/** Reads, converts and checks the environment. Unknown variables are ignored. */
export function loadAppConfig(env: Record<string, string | undefined>): AppConfig {
  const known = Object.keys(new AppConfig()).concat('DOCKER_HOST');
  const raw: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  // An unset cap is never below the default it caps (a longer default raises it).
  for (const [cap, base] of [
    ['SANDBOX_MAX_TIMEOUT_MS', 'SANDBOX_TIMEOUT_MS'],
    ['SANDBOX_MAX_MEMORY_MB', 'SANDBOX_MEMORY_MB'],
  ] as const) {
    const defaults = new AppConfig();
    if (raw[cap] === undefined && Number(raw[base]) > defaults[cap]) raw[cap] = raw[base];
  }
  const config = plainToInstance(AppConfig, raw);
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new InvalidConfigError(
      errors.map(
        (e) =>
          `${e.property}=${SECRET_SETTINGS.has(e.property) ? '<redacted>' : JSON.stringify(raw[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`,
      ),
    );
  }
  return config;
}

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
} from 'class-validator';

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

  /** Docker engine address; empty means dockerode's defaults (DOCKER_HOST, then the local socket). */
  @IsOptional()
  @IsString()
  DOCKER_HOST?: string;

  @IsIn(['debug', 'info', 'warn', 'error'])
  LOG_LEVEL: 'debug' | 'info' | 'warn' | 'error' = 'info';
}

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfigError';
  }
}

/** Reads, converts and checks the environment. Unknown variables are ignored. */
export function loadAppConfig(env: Record<string, string | undefined>): AppConfig {
  const known = Object.keys(new AppConfig()).concat('DOCKER_HOST');
  const raw: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw);
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new InvalidConfigError(
      errors.map(
        (e) =>
          `${e.property}=${JSON.stringify(raw[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`,
      ),
    );
  }
  return config;
}

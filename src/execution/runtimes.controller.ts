import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { RUNTIMES } from '../runtimes/runtime-catalogue.js';
import { SandboxReadiness } from '../sandbox/index.js';
import { RuntimeDto } from './dto/runtime.dto.js';
import { EXECUTION_CONFIG, type ExecutionConfig } from './program-limits.js';

/** GET /runtimes: the languages a request may name, with their versions, limits and images. */
@ApiTags('runtimes')
@SkipThrottle()
@Controller('runtimes')
export class RuntimesController {
  constructor(
    @Inject(EXECUTION_CONFIG.token) private readonly config: ExecutionConfig,
    /** Absent in ROLE=api, which has no engine to look at. */
    @Optional() private readonly sandbox?: SandboxReadiness,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The languages programs may be written in',
    description:
      'One entry per runtime: the name a request gives in `language`, its aliases, version and default limits, and whether its image is built here.',
  })
  @ApiOkResponse({ type: RuntimeDto, isArray: true })
  async list(): Promise<RuntimeDto[]> {
    const available = (await this.sandbox?.runtimes()) ?? [];
    return RUNTIMES.map((runtime) => {
      const here = available.find((entry) => entry.language === runtime.language);
      return {
        language: runtime.language,
        aliases: [...runtime.aliases],
        version: runtime.version,
        label: runtime.label,
        compiled: runtime.launch.kind === 'exec' && runtime.launch.compile !== undefined,
        imagePresent: here?.imagePresent ?? null,
        image: here?.image ?? runtime.image,
        limits: {
          timeoutMs: here?.timeoutMs ?? runtime.limits.timeoutMs ?? this.config.SANDBOX_TIMEOUT_MS,
          memoryMb:
            here?.memoryMb ??
            Math.max(
              runtime.limits.memoryMb ?? this.config.SANDBOX_MEMORY_MB,
              runtime.compileLimits?.memoryMb ?? 0,
            ),
          ...(runtime.compileLimits ? { compileTimeoutMs: runtime.compileLimits.timeoutMs } : {}),
        },
      };
    });
  }
}

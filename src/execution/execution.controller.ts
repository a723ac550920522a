import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiUnsupportedMediaTypeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyAuth } from '../auth/api-key.docs.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { ApiRateLimited, RATE_LIMIT_HEADERS } from '../rate-limit/rate-limit.docs.js';
import { RunRateLimitGuard } from '../rate-limit/run-rate-limit.guard.js';
import { ClientGoneSignal } from '../common/request-context.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { programOf, RunRequestDto } from './dto/run-request.dto.js';
import { RunResponseDto } from './dto/run-response.dto.js';
import { RunsService, type RunRequester } from '../runs/index.js';
import { Requester } from './run-requester.js';

@ApiTags('execution')
@Controller()
export class ExecutionController {
  constructor(private readonly runs: RunsService) {}

  @Post('run')
  @HttpCode(200)
  // Counted first (per valid key, else per address), so requests with bad keys are limited too.
  @UseGuards(RunRateLimitGuard, ApiKeyGuard)
  @ApiKeyAuth()
  @ApiRateLimited()
  @ApiOperation({
    summary: 'Run a Python program',
    description:
      'Runs the program once in a fresh, locked-down container (no network, limited memory, CPU, processes and time) and returns what it printed.',
  })
  @ApiOkResponse({
    type: RunResponseDto,
    description: 'The program ran (whatever its own outcome).',
    headers: RATE_LIMIT_HEADERS,
  })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'Invalid input; the message names the field and the limit.',
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'The request body is over the body limit.',
  })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorResponseDto,
    description:
      'The body is JSON in a charset other than UTF-8, or has a Content-Encoding other than gzip, deflate or br.',
  })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description:
      'The service is busy (all run slots taken and the queue full, or no slot within the queue wait) or shutting down, the Docker engine is unreachable, the sandbox image is missing, or the rate limiter is unavailable (runs are then refused, never let through unlimited); see Retry-After.',
  })
  run(
    @Body() request: RunRequestDto,
    @Requester() requester: RunRequester,
    @ClientGoneSignal() signal: AbortSignal,
  ): Promise<RunResponseDto> {
    return this.runs.runAndWait(programOf(request), { ...requester, signal });
  }
}

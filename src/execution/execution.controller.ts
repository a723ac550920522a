import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { ClientGoneSignal, RequestId } from '../common/request-context.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { RunRequestDto } from './dto/run-request.dto.js';
import { RunResponseDto } from './dto/run-response.dto.js';
import { ExecutionService } from './execution.service.js';

@ApiTags('execution')
@Controller()
export class ExecutionController {
  constructor(private readonly execution: ExecutionService) {}

  @Post('run')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run a Python program',
    description:
      'Runs the program once in a fresh, locked-down container (no network, limited memory, CPU, processes and time) and returns what it printed.',
  })
  @ApiOkResponse({
    type: RunResponseDto,
    description: 'The program ran (whatever its own outcome).',
  })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'Invalid input; the message names the field and the limit.',
  })
  @ApiPayloadTooLargeResponse({
    type: ErrorResponseDto,
    description: 'The request body is over the body limit.',
  })
  @ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description: 'Rate limit reached; see Retry-After.',
  })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description:
      'The service is busy (all run slots taken and the queue full, or no slot within the queue wait), shutting down, or the Docker engine is unreachable or the sandbox image is missing; see Retry-After.',
  })
  run(
    @Body() request: RunRequestDto,
    @RequestId() requestId: string,
    @ClientGoneSignal() signal: AbortSignal,
  ): Promise<RunResponseDto> {
    return this.execution.run({ code: request.code, stdin: request.stdin }, { requestId, signal });
  }
}

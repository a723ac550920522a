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
import { SandboxService } from '../sandbox/sandbox.service.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { RunRequestDto } from './dto/run-request.dto.js';
import { RunResponseDto } from './dto/run-response.dto.js';

@ApiTags('execution')
@Controller()
export class ExecutionController {
  constructor(private readonly sandbox: SandboxService) {}

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
      'The Docker engine is unreachable or the sandbox image is missing; see Retry-After.',
  })
  run(@Body() request: RunRequestDto): Promise<RunResponseDto> {
    return this.sandbox.run({ code: request.code, stdin: request.stdin });
  }
}

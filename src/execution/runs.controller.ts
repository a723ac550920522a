import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../auth/api-key.docs.js';
import { ApiKeyGuard } from '../auth/api-key.guard.js';
import { CallbackGate } from '../callbacks/index.js';
import { DomainError } from '../common/domain-error.js';
import { ErrorResponseDto } from '../common/error-response.dto.js';
import { ClientGoneSignal } from '../common/request-context.js';
import { ApiRateLimited, RATE_LIMIT_HEADERS } from '../rate-limit/rate-limit.docs.js';
import { RunRateLimitGuard } from '../rate-limit/run-rate-limit.guard.js';
import { RunsService, runView, type RunRequester } from '../runs/index.js';
import { CreateRunRequestDto } from './dto/create-run.dto.js';
import { programOf } from './dto/run-request.dto.js';
import { RunViewDto } from './dto/run-view.dto.js';
import { sendEventStream } from './event-stream.js';
import { INTERACTIVE_PROTOCOL } from './interactive-protocol.docs.js';
import { LiveStreamLimit } from './live-stream-limit.js';
import { Requester } from './run-requester.js';

/** The 404 of every route that names a run. */
const ApiRunNotFound = () =>
  ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No such run: unknown, expired, or another API key’s.',
  });

/** 404 for an id that is not a UUID: no run can have it. */
const RunId = () => Param('id', new ParseUUIDPipe({ version: '4', errorHttpStatusCode: 404 }));

@ApiTags('runs')
@ApiKeyAuth()
@Controller('runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly callbacks: CallbackGate,
    private readonly liveStreams: LiveStreamLimit,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(RunRateLimitGuard, ApiKeyGuard)
  @ApiRateLimited()
  @ApiOperation({
    summary: 'Submit a run and return at once',
    description:
      'Accepts the program for later and answers 202 with the run’s id and `Location`; read it with GET /runs/{id}, or give a `callbackUrl` to be told when it ends. Same body and limits as POST /run.',
  })
  @ApiAcceptedResponse({
    type: RunViewDto,
    description: 'Accepted: the run is queued.',
    headers: {
      ...RATE_LIMIT_HEADERS,
      Location: { description: 'Where to read the run: /runs/{id}', schema: { type: 'string' } },
    },
  })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Invalid input.' })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description: 'The queue is full, or the service is shutting down; see Retry-After.',
  })
  async submit(
    @Body() request: CreateRunRequestDto,
    @Requester() requester: RunRequester,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RunViewDto> {
    if (request.callbackUrl !== undefined) this.callbacks.assertEnabled();
    const run = await this.runs.submit(programOf(request), {
      ...requester,
      callbackUrl: request.callbackUrl,
    });
    response.setHeader('Location', `/runs/${run.id}`);
    return runView(run);
  }

  @Get('interactive')
  @ApiOperation({
    summary: 'Interactive runs (WebSocket)',
    description: INTERACTIVE_PROTOCOL,
  })
  @ApiResponse({
    status: 426,
    type: ErrorResponseDto,
    description: 'Asked for without a WebSocket upgrade.',
  })
  interactive(): never {
    throw new DomainError(
      'upgrade_required',
      'GET /runs/interactive is a WebSocket: connect with a WebSocket client (Upgrade: websocket).',
    );
  }

  @Get(':id/events')
  @UseGuards(ApiKeyGuard)
  @ApiOperation({
    summary: 'Follow a run’s events (server-sent events)',
    description:
      'A `text/event-stream` of the run’s events, in order: `status` (`{"status":"running","attempt":1}` when a worker starts the program), `stdout` and `stderr` (`{"data":"..."}`, output as the program writes it, under the same cap as the result), and last `result` (the run as GET /runs/{id} shows it), after which the stream ends. A client that connects late gets every event from the start; one that reconnects with `Last-Event-ID` (or `?lastEventId=`) gets those after it. Nothing left to send for an ended run: 204. A retried run (its worker died) shows each attempt’s output after its `status` event. Counts against LIVE_STREAMS_PER_CLIENT.',
  })
  @ApiOkResponse({
    description: 'The run’s events, one `id:`/`event:`/`data:` block each.',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example:
          'id: 1\nevent: status\ndata: {"status":"running","attempt":1}\n\nid: 2\nevent: stdout\ndata: {"data":"4\\n"}\n\n',
      },
    },
  })
  @ApiResponse({ status: 204, description: 'The run has ended and the client has all its events.' })
  @ApiRunNotFound()
  @ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description: 'The client has LIVE_STREAMS_PER_CLIENT live connections open already.',
  })
  async events(
    @RunId() id: string,
    @Requester() requester: RunRequester,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('lastEventId') lastEventIdQuery: string | undefined,
    @ClientGoneSignal() signal: AbortSignal,
    @Res() response: Response,
  ): Promise<void> {
    const release = this.liveStreams.acquire(requester.client);
    try {
      const after = lastEventId ?? lastEventIdQuery;
      const until = AbortSignal.any([signal, this.liveStreams.closing]);
      await sendEventStream(
        response,
        await this.runs.follow(id, requester, { after, signal: until }),
      );
    } finally {
      release();
    }
  }

  @Get(':id')
  @UseGuards(ApiKeyGuard)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Read a run',
    description:
      'The run as it stands. Runs are kept RUN_RESULT_TTL_S after they end; with API keys on, only the key that made a run can read it.',
  })
  @ApiOkResponse({ type: RunViewDto })
  @ApiRunNotFound()
  async get(@RunId() id: string, @Requester() requester: RunRequester): Promise<RunViewDto> {
    return runView(await this.runs.get(id, requester));
  }

  @Delete(':id')
  @UseGuards(ApiKeyGuard)
  @ApiOperation({
    summary: 'Cancel a run',
    description:
      'A queued run never starts; a running one is killed. Answers the run as it now stands: `cancelled`, or its own status if it had already ended.',
  })
  @ApiOkResponse({ type: RunViewDto })
  @ApiRunNotFound()
  async cancel(@RunId() id: string, @Requester() requester: RunRequester): Promise<RunViewDto> {
    return runView(await this.runs.cancel(id, requester));
  }
}

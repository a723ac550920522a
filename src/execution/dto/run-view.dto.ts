import { ApiProperty } from '@nestjs/swagger';
import type { RunState, RunView } from '../../runs/index.js';
import { RUN_STATUSES } from '../../sandbox/index.js';
import { RunResponseDto } from './run-response.dto.js';

const RUN_STATES: RunState[] = [
  'queued',
  'running',
  'cancelled',
  'internal_error',
  ...RUN_STATUSES,
];

export class RunErrorDto {
  /**
   * What stopped the run, as a code (`engine_unavailable`, `image_missing`, `shutting_down`, ...).
   * @example engine_unavailable
   */
  code!: string;

  /** What happened, for a person. */
  message!: string;
}

export class RunViewDto implements RunView {
  /**
   * The run's id (a UUIDv4).
   * @example 0b6f1f6e-6a2b-4d4b-9a4e-2f1c3d5e7a90
   */
  id!: string;

  /**
   * `queued`, `running`, `cancelled`; once the program ran, its own status (as in POST /run);
   * `internal_error` when it could not run (see `error`).
   */
  @ApiProperty({ enum: RUN_STATES, example: 'success' })
  status!: RunState;

  /** When the run was accepted (ISO 8601). */
  createdAt!: string;

  /** When a worker started it. */
  startedAt?: string;

  /** When it ended (ran, was cancelled, or failed). */
  finishedAt?: string;

  /**
   * How many times a worker started it (more than 1 when a worker died while running it).
   * @example 1
   */
  attempts!: number;

  /** Exactly what POST /run answers, once the program ran. */
  result?: RunResponseDto;

  /** Why it could not run (status `internal_error`). */
  error?: RunErrorDto;
}

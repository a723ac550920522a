export { RunsModule, runsTopology, type RunsTopology } from './runs.module.js';
export { RunsHealth } from './runs-health.js';
export { RunsService, type RunRequester, type SubmitOptions } from './runs.service.js';
export type { RunFailure, RunProgram, RunRecord, RunState } from './run-record.js';
export { runView, type RunView } from './run-view.js';
export type { RunEvent, RunEventType } from './run-events.js';

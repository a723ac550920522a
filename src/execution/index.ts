// The execution module's public face: what the interactive WebSocket shares with POST /run.
export { programOf, RunRequestDto } from './dto/run-request.dto.js';
export { ExecutionModule } from './execution.module.js';
export { LiveStreamLimit } from './live-stream-limit.js';
export { EXECUTION_CONFIG, type ExecutionConfig } from './program-limits.js';

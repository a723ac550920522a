// The sandbox module's public face: other folders import from here only.
export { CONTAINER_LABELS, POOL_LABEL_VALUE, LEASE_LABELS } from './container-labels.js';
export { InstanceIdentity } from './instance-identity.js';
export type { WarmPoolStats } from './pool/warm-pool.js';
export type { LiveProgramIO, Program } from './program-run.js';
export type { StreamName } from './output-collector.js';
export { RUN_STATUSES, type OutputFile, type RunResult, type RunStatus } from './run-result.js';
export { SandboxReadiness, type RuntimeAvailability } from './sandbox-readiness.js';
export { SandboxModule } from './sandbox.module.js';
export { SandboxService, type RunOptions } from './sandbox.service.js';

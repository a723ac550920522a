/**
 * The paths of the requests that start a run (POST), each counted against its client's rate
 * limit by RunRateLimitGuard: `POST /run` (ExecutionController) and `POST /runs`
 * (RunsController). The application starts their count as they arrive (RunCountAhead, in
 * app.setup.ts). Keep it in step with the guarded routes: a path missing here only loses its
 * head start (the guard counts it), but a path listed here that the guard does not cover
 * would be counted without being limited.
 */
export const RUN_START_PATHS: readonly string[] = ['/run', '/runs'];

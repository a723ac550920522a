import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../common/domain-error.js';
import { AppConfig } from '../config/app-config.js';
import type { RunMetrics } from '../metrics/run-metrics.js';
import type { RunResult, SandboxService } from '../sandbox/index.js';
import { MemoryRunStore } from './memory-run-store.js';
import { RunCallbacks } from './run-callbacks.js';
import { RunProcessor } from './run-processor.js';
import type { RunRecord } from './run-record.js';

const RESULT: RunResult = {
  output: '4',
  stdout: '4\n',
  stderr: '',
  exitCode: 0,
  status: 'success',
  durationMs: 3,
  truncated: false,
};

/** A store whose first write lands but whose answer is lost, as when Redis answers too late. */
class LateAnswerStore extends MemoryRunStore {
  lost = 1;

  override async update(
    id: string,
    change: (run: RunRecord) => RunRecord | undefined,
  ): Promise<RunRecord | undefined> {
    const run = await super.update(id, change);
    if (this.lost-- > 0) throw new DomainError('redis_unavailable', 'Redis answered too late');
    return run;
  }
}

describe('RunProcessor', () => {
  it('runs a run whose start was written but not confirmed: the retry knows its own start', async () => {
    const store = new LateAnswerStore(new AppConfig());
    const programs: string[] = [];
    const sandbox = {
      run: (program: { code: string }) => {
        programs.push(program.code);
        return Promise.resolve(RESULT);
      },
    } as unknown as SandboxService;
    const metrics = { ran: () => undefined, waited: () => undefined } as unknown as RunMetrics;
    const callbacks = new RunCallbacks({ dispatch: () => undefined });
    const processor = new RunProcessor(store, sandbox, metrics, callbacks);
    const run: RunRecord = {
      id: 'r1',
      owner: null,
      client: 'ip:127.0.0.1',
      status: 'queued',
      createdAt: Date.now(),
      attempts: 0,
    };
    await store.create(run);

    const ended = await processor.process('r1', { code: 'print(2 + 2)' }, { attempt: 1 });

    expect(programs).toEqual(['print(2 + 2)']);
    expect(ended).toMatchObject({ status: 'success', attempts: 1, result: RESULT });
    store.onApplicationShutdown();
  });
});

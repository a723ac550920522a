import { describe, expect, it } from '@jest/globals';
import { FakeEngine } from '../../../test/support/fake-engine.js';
import { sandboxFixture } from '../../../test/support/sandbox-fixture.js';
import { until } from '../../../test/support/until.js';

/** Background work here takes milliseconds: poll often, give up soon. */
const SOON = { everyMs: 2, withinMs: 2000 };

describe('WarmPools', () => {
  it('counts in its size only the pools it keeps: none for a runtime whose image is missing', async () => {
    const engine = new FakeEngine();
    engine.imageExists = (image: string) => Promise.resolve(!image.includes('-ruby:'));
    const fixture = sandboxFixture(engine, {
      SANDBOX_POOL_SIZE: '0',
      SANDBOX_POOL_SIZES: 'python=2,ruby=1,bash=1',
    });
    try {
      fixture.pools.start();
      await until('the kept pools are full', () => fixture.pools.stats().idle === 3, Boolean, SOON);
      expect(fixture.pools.stats()).toMatchObject({ size: 3, idle: 3 });
      expect(engine.running()).toHaveLength(3);
    } finally {
      await fixture.close();
    }
  });
});

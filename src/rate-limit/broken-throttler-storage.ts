import type { ThrottlerStorage } from '@nestjs/throttler';

/**
 * Limiter storage that always fails, selected only by the test switch
 * TEST_BREAK_RATE_LIMIT_STORAGE=1 to prove that the service fails closed when its real storage
 * (in memory today, Redis or similar tomorrow) breaks. No request can select it.
 */
export class BrokenThrottlerStorage implements ThrottlerStorage {
  increment(): Promise<never> {
    return Promise.reject(
      new Error('rate-limit storage is broken (TEST_BREAK_RATE_LIMIT_STORAGE=1)'),
    );
  }
}

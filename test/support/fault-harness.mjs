// The service as main.ts starts it, with faults injected through Nest's overrideProvider, for
// end-to-end tests of what production code must do when a part breaks. Fault switches live
// here, in the tests, never in the service's configuration. Plain JavaScript over the built
// app (dist/), so it runs as its own process like dist/src/main.js (see service.ts).
//
// HARNESS_FAULTS: comma-separated faults:
//   rate-limit-storage  every call to the rate limiter's storage fails
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { AbstractLoader, ExpressLoader } from '@nestjs/serve-static';
import { ThrottlerStorage } from '@nestjs/throttler';
import { AppModule } from '../../dist/src/app.module.js';
import { serve } from '../../dist/src/app.setup.js';
import { loadAppConfig } from '../../dist/src/config/app-config.js';

const FAULTS = {
  'rate-limit-storage': (builder) =>
    builder.overrideProvider(ThrottlerStorage).useValue({
      increment: () => Promise.reject(new Error('rate-limit storage broken by the test harness')),
    }),
};

const config = loadAppConfig(process.env);
// A testing module is compiled before it has an HTTP adapter, so @nestjs/serve-static would
// pick its no-op loader there: give it the Express one, as NestFactory's app gets.
let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
  .overrideProvider(AbstractLoader)
  .useClass(ExpressLoader);
for (const fault of (process.env.HARNESS_FAULTS ?? '').split(',').filter(Boolean)) {
  const inject = FAULTS[fault];
  if (!inject) throw new Error(`unknown fault ${fault}; known: ${Object.keys(FAULTS).join(', ')}`);
  builder = inject(builder);
}
const moduleRef = await builder.compile();
const app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
await serve(app, config);

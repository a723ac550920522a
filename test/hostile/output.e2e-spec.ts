import { hostileSuite } from './hostile-suite.js';

// The attacks themselves are in experiments/attacks.ts (shared with npm run experiments).
// Floods must cost the service no more than the output limit: its memory stays flat.
hostileSuite('output', { serviceMemoryFlat: true });

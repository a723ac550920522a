import { outputAttacks } from './cases/output.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/output.ts (shared with npm run experiments).
// Floods must cost the service no more than the output limit: its memory stays flat.
hostileSuite('output', outputAttacks, { serviceMemoryFlat: true });

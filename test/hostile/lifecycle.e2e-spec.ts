import { lifecycleAttacks } from './cases/lifecycle.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/lifecycle.ts (shared with npm run experiments).
hostileSuite('lifecycle', lifecycleAttacks);

import { apiAttacks } from './cases/api.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/api.ts (shared with npm run experiments).
hostileSuite('api', apiAttacks);

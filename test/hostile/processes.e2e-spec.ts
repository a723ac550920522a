import { processAttacks } from './cases/processes.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/processes.ts (shared with npm run experiments).
hostileSuite('processes', processAttacks);

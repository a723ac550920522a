import { memoryAttacks } from './cases/memory.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/memory.ts (shared with npm run experiments).
hostileSuite('memory', memoryAttacks);

import { cpuTimeAttacks } from './cases/cpu-time.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/cpu-time.ts (shared with npm run experiments).
hostileSuite('cpu-time', cpuTimeAttacks);

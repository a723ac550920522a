import { networkAttacks } from './cases/network.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/network.ts (shared with npm run experiments).
hostileSuite('network', networkAttacks);

import { privilegeAttacks } from './cases/privilege.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/privilege.ts (shared with npm run experiments).
hostileSuite('privilege', privilegeAttacks);

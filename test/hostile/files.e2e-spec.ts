import { fileAttacks } from './cases/files.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/files.ts (shared with npm run experiments).
hostileSuite('files', fileAttacks);

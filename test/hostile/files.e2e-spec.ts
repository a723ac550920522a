import { hostileSuite } from './hostile-suite.js';

// The attacks themselves are in experiments/attacks.ts (shared with npm run experiments).
hostileSuite('files');

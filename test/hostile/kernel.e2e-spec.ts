import { hostileSuite } from './hostile-suite.js';

// The attacks themselves are in experiments/attacks.ts (shared with npm run experiments): one
// per system call the seccomp profile denies, and what noexec /tmp does not stop.
hostileSuite('kernel');

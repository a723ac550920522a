import { kernelAttacks } from './cases/kernel.js';
import { hostileSuite } from './hostile-suite.js';

// The cases are in cases/kernel.ts (shared with npm run experiments): one per system call the
// seccomp profile denies, and what noexec /tmp does not stop.
hostileSuite('kernel', kernelAttacks);

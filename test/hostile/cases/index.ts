import type { Attack, Category } from '../attack-kit.js';
import { apiAttacks } from './api.js';
import { cpuTimeAttacks } from './cpu-time.js';
import { fileAttacks } from './files.js';
import { informationAttacks } from './information.js';
import { lifecycleAttacks } from './lifecycle.js';
import { memoryAttacks } from './memory.js';
import { networkAttacks } from './network.js';
import { outputAttacks } from './output.js';
import { privilegeAttacks } from './privilege.js';
import { processAttacks } from './processes.js';

/**
 * The attack catalogue: programs and requests a hostile user would send, each with what the
 * sandbox must do about it, one file per category. Defined once, here; the hostile end-to-end
 * suite (test/hostile/*.e2e-spec.ts) and `npm run experiments` both run exactly these.
 */
export const ATTACKS: readonly Attack[] = [
  ...cpuTimeAttacks,
  ...memoryAttacks,
  ...processAttacks,
  ...lifecycleAttacks,
  ...fileAttacks,
  ...outputAttacks,
  ...networkAttacks,
  ...privilegeAttacks,
  ...informationAttacks,
  ...apiAttacks,
];

export function attacksIn(category: Category): Attack[] {
  return ATTACKS.filter((attack) => attack.category === category);
}

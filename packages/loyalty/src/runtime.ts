/** What the loyalty services share: the kernel, the program and its versions, the ledger, tiers. */
import type { Kernel } from '@clientele/core/module';
import type { CompiledProgram } from './compiled-program.js';
import type { LoyaltyEventMap } from './context.js';
import type { Ledger } from './ledger.js';
import type { ProgramVersions } from './program-versions.js';
import type { TierService } from './tier-service.js';

/** The services' shared runtime. */
export interface LoyaltyRuntime {
  kernel: Kernel<LoyaltyEventMap>;
  program: CompiledProgram;
  versions: ProgramVersions;
  ledger: Ledger;
  tiers: TierService;
  /** The tier a new member starts in (null: the program has no tiers). */
  startTier: string | null;
}

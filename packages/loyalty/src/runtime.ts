/** What the loyalty services share: the kernel, the program and its versions, the ledger, tiers. */
import type { CommandContext, Kernel } from '@clientele/core';
import type { CompiledProgram } from './compiled-program.js';
import type { LoyaltyEvents } from './events.js';
import type { Ledger } from './ledger.js';
import type { ProgramVersions } from './program-versions.js';
import type { TierService } from './tier-service.js';

/** The services' shared runtime. */
export interface LoyaltyRuntime {
  kernel: Kernel;
  program: CompiledProgram;
  versions: ProgramVersions;
  ledger: Ledger;
  tiers: TierService;
  /** The tier a new member starts in (null: the program has no tiers). */
  startTier: string | null;
}

/** A command context that emits loyalty's events with their types checked. */
export type LoyaltyContext = CommandContext<LoyaltyEvents>;

/** Views a command context as one that emits loyalty's events. */
export const typed = (ctx: CommandContext): LoyaltyContext => ctx as unknown as LoyaltyContext;

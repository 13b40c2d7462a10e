/** What the loyalty services share: the kernel, the program and its versions, the ledger, tiers. */
import type { CommandContext, CoreEvents, EventHandlerEntry, Kernel, RefundStep } from '@clientele/core';
import type { CompiledProgram } from './compiled-program.js';
import type { LoyaltyEvents } from './events.js';
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

/** The events loyalty's commands may emit and its handlers see: core's and its own. */
export type LoyaltyEventMap = CoreEvents & LoyaltyEvents;

/** A command context that emits loyalty's events with their types checked. */
export type LoyaltyContext = CommandContext<LoyaltyEventMap>;

/** A loyalty handler of an event, as the module's setup declares it. */
export type LoyaltyHandler = EventHandlerEntry<LoyaltyEventMap>;

/** A loyalty step of giving a sale back, as the module's setup declares it. */
export type LoyaltyRefundStep = RefundStep<LoyaltyEventMap>;

/** The events the stamp card emits, and the kernel and context types its services share. */
import type { CommandContext, CoreEvents, Kernel } from '@clientele/core/module';

/** The stamp card's event map. A type alias (not an interface), so it is assignable to an event map. */
export type StampEvents = {
  /** A sale gave stamps. */
  'stamp.given': { customerId: string; purchaseId: string; stamps: number; live: number };
  /** A full card was exchanged for a free item. */
  'stamp.redeemed': { customerId: string; rewardId: string; stamps: number; value: number; storeId: string };
  /** Stamps ran out of time. */
  'stamp.expired': { customerId: string; stamps: number };
};

/** Every event the module's commands may emit and its handlers may take: core's and its own. */
export type StampEventMap = CoreEvents & StampEvents;
/** The kernel as the module's setup receives it. */
export type StampKernel = Kernel<StampEventMap>;
/** What the module's command bodies and handlers receive. */
export type StampContext = CommandContext<StampEventMap>;

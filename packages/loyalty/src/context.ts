/** The types loyalty's commands and handlers are written against: core's events and loyalty's own. */
import type { CommandContext, CoreEvents, EventHandlerEntry, RefundStep } from '@clientele/core/module';
import type { LoyaltyEvents } from './events.js';

/** The events loyalty's commands may emit and its handlers see: core's and its own. */
export type LoyaltyEventMap = CoreEvents & LoyaltyEvents;

/** A command context that emits loyalty's events with their types checked. */
export type LoyaltyContext = CommandContext<LoyaltyEventMap>;

/** A loyalty handler of an event, as the module's setup declares it. */
export type LoyaltyHandler = EventHandlerEntry<LoyaltyEventMap>;

/** A loyalty step of giving a sale back, as the module's setup declares it. */
export type LoyaltyRefundStep = RefundStep<LoyaltyEventMap>;

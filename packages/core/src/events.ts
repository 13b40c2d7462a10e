/** The events core emits, by name. Payloads carry ids and amounts, not personal data. */
import type { CustomerKind } from './model/customer-schemas.js';

/** Core's event map: `area.past-tense` names to payloads. */
// A type alias (not an interface) so it is assignable to the generic event map.
export type CoreEvents = {
  'customer.registered': { customerId: string; kind: CustomerKind; homeStoreId: string | null };
  'customer.updated': { customerId: string; fields: string[] };
  'customer.verified': { customerId: string };
  'customer.merged': { survivorId: string; mergedId: string };
  'customer.erased': { customerId: string };
  'card.issued': { cardNumber: string; typeId: string; customerId: string | null; storeId: string };
  'card.linked': { cardNumber: string; customerId: string };
  'card.reported-lost': { cardNumber: string; customerId: string | null };
  'card.replaced': { oldNumber: string; newNumber: string; customerId: string | null };
  'card.blocked': { cardNumber: string; customerId: string | null };
  'card.unblocked': { cardNumber: string; customerId: string | null };
  'interaction.logged': { interactionId: string; customerId: string; channel: string; kind: string };
  'purchase.recorded': {
    purchaseId: string;
    customerId: string | null;
    storeId: string;
    total: number;
    currency: string;
    occurredAt: string;
  };
  'purchase.returned': {
    purchaseId: string;
    returnId: string;
    customerId: string | null;
    amount: number;
    currency: string;
    lines: Array<{ lineNo: number; quantity: number; amount: number }>;
  };
  'purchase.voided': { purchaseId: string; customerId: string | null; total: number; currency: string };
};

/** Test support: a small chain with the segments module on any store kind, and sales with a controlled clock. */
import type { Clientele, Store } from '@clientele/core';
import { segments, type SegmentsConfig } from '@clientele/segments';
import { BASKET, SYSTEM, freshKey, nextReceipt, openChain, type Chain } from '../../../tests/support/chain.js';

export { STORE_KINDS } from '../../../tests/support/stores.js';
export { SYSTEM, CLERK, MANAGER, snapshot, freshKey, nextReceipt, BASKET } from '../../../tests/support/chain.js';

/** A Clientele instance with the segments module. */
export type SegCrm = Clientele<readonly [ReturnType<typeof segments>]>;

/** The chain of the scenario tests with `segments(config)` installed; `auditReads` as for `createClientele`. */
export async function openSegChain(
  store: Store,
  config?: SegmentsConfig,
  options: { auditReads?: boolean } = {},
): Promise<Chain & { crm: SegCrm }> {
  const chain = await openChain(store, { modules: [segments(config)], auditReads: options.auditReads ?? false });
  return chain as Chain & { crm: SegCrm };
}

export const DAY = 86_400_000;

/** Registers a member at S01. */
export async function member(crm: SegCrm, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await crm.customers.register({ kind: 'individual', name, homeStoreId: 'S01', ...extra } as never, SYSTEM)).id;
}

/** Records a one-line sale of `amount` fen for a customer at the clock's current time. */
export async function buy(
  crm: SegCrm,
  customerId: string | null,
  amount: number,
  options: {
    category?: string;
    sku?: string;
    storeId?: string;
    payments?: Array<{ method: string; amount: number }>;
    lines?: Array<{ sku: string; category: string; quantity: number; unitPrice: number }>;
    actor?: { staffId: string } | { system: string };
  } = {},
) {
  const lines = options.lines ?? [
    { sku: options.sku ?? 'SKU-1', category: options.category ?? 'grocery', quantity: 1, unitPrice: amount },
  ];
  return crm.purchases.record(
    {
      storeId: options.storeId ?? 'S01',
      terminalId: 'T1',
      receiptNo: nextReceipt(),
      ...(customerId ? { customerId } : {}),
      lines,
      ...(options.payments ? { payments: options.payments } : {}),
    },
    { actor: options.actor ?? { system: 'till' }, idempotencyKey: freshKey('sale') },
  );
}

export { BASKET as FIVE_LINES };

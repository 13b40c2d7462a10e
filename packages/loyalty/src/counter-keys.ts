/**
 * Names of the counters caps and budgets count in. Pure: the quote reads them from its context, the
 * service reads and writes them in the store, and a web POS can fetch the ones a member needs.
 */
import type { CompiledProgram, CompiledRule } from './compiled-program.js';
import { localTime, periodKey, type LocalTime } from './local-time.js';
import type { QuoteFacts } from './quote-context.js';

/** A rule's (or, with `*`, the program's) per-day cap counter of a member. */
export const dayCapKey = (ruleId: string, customerId: string, date: string) =>
  `cap:${ruleId}:day:${customerId}:${date}`;
/** A rule's (or the program's) per-member cap counter. */
export const customerCapKey = (ruleId: string, customerId: string) => `cap:${ruleId}:customer:${customerId}`;

/** A rule's budget counter for the period containing `chainLocal`; null when it is per member and there is none. */
export function budgetKey(
  rule: CompiledRule,
  b: CompiledRule['budgets'][number],
  chainLocal: LocalTime,
  facts: Pick<QuoteFacts, 'storeId' | 'customerId'>,
): string | null {
  const scope =
    b.per === 'store'
      ? `:store:${facts.storeId}`
      : b.per === 'customer'
        ? facts.customerId === null
          ? null
          : `:customer:${facts.customerId}`
        : '';
  return scope === null ? null : `budget:${rule.id}:${b.index}:${periodKey(b.period, chainLocal)}${scope}`;
}

/** Whether a counter is the member's own (else it is the program's or a store's). */
export const isMemberCounter = (key: string) => !key.startsWith('budget:') || key.includes(':customer:');

/** Every counter a quote for this member, store and time may read. */
export function counterKeys(
  p: CompiledProgram,
  facts: Pick<QuoteFacts, 'ms' | 'local' | 'storeId' | 'customerId'>,
): string[] {
  const keys: string[] = [];
  const cid = facts.customerId;
  const chainLocal = localTime(facts.ms, p.config.timeZone);
  for (const rule of p.rules) {
    if (cid !== null && rule.caps.perDay !== null) keys.push(dayCapKey(rule.id, cid, facts.local.date));
    if (cid !== null && rule.caps.perCustomer !== null) keys.push(customerCapKey(rule.id, cid));
    for (const b of rule.budgets) {
      const key = budgetKey(rule, b, chainLocal, facts);
      if (key !== null) keys.push(key);
    }
  }
  if (cid !== null && p.programCaps.perDay !== null) keys.push(dayCapKey('*', cid, facts.local.date));
  if (cid !== null && p.programCaps.perCustomer !== null) keys.push(customerCapKey('*', cid));
  return keys;
}

/** A refusal of the API in the reader's words: what the limit was, which permission was missing. */
import { isClienteleError } from '@clientele/core';
import type { Words } from './i18n.js';

/** The words for an error a command threw; rethrows what is not a refusal. */
export function refusalWords(w: Words, error: unknown): string {
  if (!isClienteleError(error)) throw error;
  const facts = error.details;
  const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));
  switch (error.code) {
    case 'AUTHORITY_EXCEEDED':
      return facts['daily']
        ? w.t('refusal.dailyAuthority', { limit: w.money(num(facts['limit'])) })
        : w.t('refusal.authority', { amount: w.money(num(facts['amount'])), limit: w.money(num(facts['limit'])) });
    case 'PERMISSION_DENIED':
      return w.t('refusal.permission', { permission: String(facts['permission'] ?? '') });
    case 'INSUFFICIENT_BALANCE':
      return w.t('refusal.balance');
    case 'INVALID_STATE':
      return w.t('refusal.state', { message: error.message });
    case 'VALIDATION_FAILED':
      return w.t('refusal.invalid', { message: error.message });
    default:
      return w.t('refusal.other', { message: error.message });
  }
}

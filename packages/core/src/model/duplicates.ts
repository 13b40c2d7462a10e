/** Pure duplicate detection: how alike two customer records are and why. */

/** Why two records look like the same party. */
export type DuplicateReason = 'same_phone' | 'same_email' | 'same_tax_id' | 'similar_name';

/** The facts duplicate detection compares. */
export interface DuplicateFacts {
  id: string;
  phone: string | null;
  email: string | null;
  taxId: string | null;
  nameKey: string;
  homeStoreId: string | null;
}

/** Edit distance between two strings by code point, stopping early above `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  const x = [...a];
  const y = [...b];
  if (Math.abs(x.length - y.length) > max) return max + 1;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= y.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[y.length]!;
}

/**
 * Whether two normalised names are alike: equal, or one edit apart when both have at least three
 * characters (two-character Chinese names one character apart are usually different people).
 */
export function similarNames(a: string, b: string): boolean {
  if (a === '' || b === '') return false;
  if (a === b) return true;
  return [...a].length >= 3 && [...b].length >= 3 && editDistance(a, b, 1) <= 1;
}

/** The reasons two records look like duplicates (empty: they do not). Names count only within one store. */
export function duplicateReasons(a: DuplicateFacts, b: DuplicateFacts): DuplicateReason[] {
  if (a.id === b.id) return [];
  const reasons: DuplicateReason[] = [];
  if (a.phone && a.phone === b.phone) reasons.push('same_phone');
  if (a.email && a.email === b.email) reasons.push('same_email');
  if (a.taxId && a.taxId === b.taxId) reasons.push('same_tax_id');
  if (a.homeStoreId !== null && a.homeStoreId === b.homeStoreId && similarNames(a.nameKey, b.nameKey))
    reasons.push('similar_name');
  return reasons;
}

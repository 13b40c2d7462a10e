/**
 * The customers who hold a credit account or a key account, read once when a rebuild's stats pass
 * starts (their ids only, in key order), so a chunk reads those tables only where its range holds
 * one: most ranges hold none, and a read that finds nothing still costs a round trip. An account
 * opened while the pass runs is rated and reassessed from the next rebuild on.
 */
import { compareStrings, scan, type StoreSession } from '@clientele/core/module';
import { creditAccountsCollection, keyAccountsCollection } from './collections.js';

/** Which accounts: credit accounts (for ratings) or key accounts (for reassessment). */
export type AccountKind = 'credit' | 'key';

export class AccountHolders {
  private constructor(private readonly ids: Record<AccountKind, readonly string[]>) {}

  /** Reads the holders' ids of both kinds. */
  static async read(session: StoreSession): Promise<AccountHolders> {
    const idsOf = async (collection: typeof creditAccountsCollection | typeof keyAccountsCollection) => {
      const out: string[] = [];
      for await (const row of scan(session, collection, { select: ['customerId'] }, 10_000)) out.push(row.customerId);
      return out.sort(compareStrings);
    };
    return new AccountHolders({
      credit: await idsOf(creditAccountsCollection),
      key: await idsOf(keyAccountsCollection),
    });
  }

  /** Whether a holder of `kind` lies in the customer-id range `(after, upper]` (`null`: unbounded). */
  inRange(kind: AccountKind, after: string | null, upper: string | null): boolean {
    const ids = this.ids[kind];
    // The first id after `after`, by binary search.
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after !== null && compareStrings(ids[mid]!, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < ids.length && (upper === null || compareStrings(ids[lo]!, upper) <= 0);
  }
}

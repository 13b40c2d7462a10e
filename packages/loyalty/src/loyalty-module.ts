/**
 * `loyalty(programConfig)`: the module `createClientele` mounts as `crm.loyalty`. The program is
 * validated when the module is created, so a wrong program stops the host at start-up with every
 * problem named by path, not at the first sale.
 */
import { defineModule, type Kernel, type Migration } from '@clientele/core';
import { createQueries } from './account-queries.js';
import { createActivityEarning } from './activity-earning.js';
import { createAdjustments } from './adjustments.js';
import { loyaltyCollections } from './collections.js';
import { compileConfig } from './compiled-program.js';
import { createCustomerMerge } from './customer-merge.js';
import { createDueWork } from './due-work.js';
import type { LoyaltyEvents } from './events.js';
import { createHolds, type HoldService } from './holds.js';
import { createLedger } from './ledger.js';
import { createRegistry, parseProgram, type KindOptions, type ProgramInput } from './program.js';
import { createProgramVersions } from './program-versions.js';
import { explainQuote, quote, type Quote } from './quote.js';
import type { LoyaltyRuntime } from './runtime.js';
import { createSaleEarning } from './sale-earning.js';
import { createTierService } from './tier-service.js';

/** Options of {@link loyalty}: the host's own condition and rule kinds. */
export type LoyaltyOptions = KindOptions;

/** The module's migrations, in order. Later versions append; applied ones are never edited. */
export const loyaltyMigrations: readonly Migration[] = [
  { id: 'loyalty/0001-initial', steps: loyaltyCollections.map((collection) => ({ op: 'createCollection' as const, collection })) },
];

function buildApi(kernel: Kernel, rt: LoyaltyRuntime, holds: HoldService) {
  createSaleEarning(rt, holds);
  const activities = createActivityEarning(rt);
  const adjustments = createAdjustments(rt);
  const queries = createQueries(rt);
  const program = rt.program;
  // Every member has an account from registration on (the first sale then never races to create it).
  kernel.on('customer.registered', (async (ctx: Parameters<Parameters<Kernel['on']>[1]>[0], e: { customerId: string }) => {
    await rt.ledger.account(ctx, e.customerId);
  }) as never);
  return {
    /** The program in force, validated, with defaults filled in. */
    program: program.config,
    /** The version (fingerprint) of the program in force; each sale remembers the version that earned it. */
    programVersion: program.version,
    /**
     * Points a basket earns and why (pure and synchronous: no I/O). `context` comes from `contextFor`
     * (a web POS fetches it once per member and quotes offline at every scan).
     */
    quote: (basket: unknown, context: unknown): Quote => quote(program, basket, context),
    /** A quote as readable lines for a receipt or a member. */
    explain: (q: Quote): string[] => explainQuote(q, program.money),
    /** The quote context of a member at a store (tier, segments or tags, birthday, first purchase, counters). */
    contextFor: queries.contextFor,
    /** Reads the member's context and quotes the basket with it. */
    quoteFor: queries.quoteFor,
    /** Reserves points at a till for a time; refused with `INSUFFICIENT_BALANCE` when they are not spendable. */
    reserve: holds.reserve,
    /** Releases a hold without spending it. */
    cancelHold: holds.cancel,
    /** Spends a hold for something other than a sale recorded through `purchases.record` (a sale pays with it by naming it as a points payment's reference). */
    commitHold: holds.commit,
    /** Spends points directly (no hold), refused with `INSUFFICIENT_BALANCE` when they are not spendable. */
    redeem: adjustments.redeem,
    /** Adds or takes points by hand: needs `loyalty.adjust` and `points-adjustment` authority for their value, and a reason. */
    adjust: adjustments.adjust,
    /** Grants goodwill points (service recovery): needs `loyalty.goodwill` and `goodwill-points` authority for their value. */
    grantGoodwill: adjustments.grantGoodwill,
    /** Earns for an activity the program declares (a review, a referral, a birthday, a retailer's event). */
    recordActivity: activities.recordActivity,
    /** A member's balances and tier. */
    balance: queries.balance,
    /** A member's ledger entries in order, with the running balance. */
    statement: queries.statement,
    /** Which points expire on which day. */
    expirySchedule: queries.expirySchedule,
    /** Outstanding points and their money value per store at a date. */
    liability: queries.liability,
    /** What a sale earned, with the quote that explains it (as sold and after its returns). */
    saleAward: queries.saleAward,
    /** What a return would take back, give back and, when the program says so, deduct from the refund. */
    previewReturn: queries.previewReturn,
    /** Where a member stands against the next tier. */
    tierProgress: queries.tierProgress,
  };
}

/** The API mounted as `crm.loyalty`. */
export type LoyaltyApi = ReturnType<typeof buildApi>;

/**
 * The loyalty module: earning rules, the points ledger, holds, tiers. `programConfig` is JSON data
 * (see `docs/loyalty.md`); an invalid one throws `VALIDATION_FAILED` naming every problem by path.
 */
export function loyalty(programConfig: ProgramInput | Record<string, unknown>, options: LoyaltyOptions = {}) {
  const registry = createRegistry(options);
  const config = parseProgram(programConfig, registry);
  const program = compileConfig(config, registry);
  const startTier = config.tiers?.levels[0]?.code ?? null;
  return defineModule<'loyalty', LoyaltyApi, LoyaltyEvents>({
    name: 'loyalty',
    collections: loyaltyCollections,
    migrations: loyaltyMigrations,
    setup(kernel) {
      const ledger = createLedger({ rate: config.pointValue, startTier });
      const tiers = createTierService(config.tiers ?? null, config.timeZone, ledger);
      const versions = createProgramVersions(program, registry);
      const rt: LoyaltyRuntime = { kernel, program, versions, ledger, tiers, startTier };
      const holds = createHolds(rt);
      const api = buildApi(kernel, rt, holds);
      const due = createDueWork(rt, holds);
      return {
        api,
        seed: () => versions.ensureStored(kernel.store, kernel.clock.now()),
        runDue: (now: Date) => due.runDue(now),
        mergeCustomer: createCustomerMerge(rt),
      };
    },
  });
}

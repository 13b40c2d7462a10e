/**
 * `loyalty(programConfig)`: the module `createClientele` mounts as `crm.loyalty`. The program is
 * validated when the module is created, so a wrong program stops the host at start-up with every
 * problem named by path, not at the first sale.
 */
import {
  ValidationError,
  defineModule,
  type CommandOptions,
  type Kernel,
  type Migration,
  type QueryOptions,
  type ValidationIssue,
} from '@clientele/core/module';
import {
  createQueries,
  type Balance,
  type ContextForInput,
  type ExpirySchedule,
  type LiabilityInput,
  type MemberContext,
  type PointsLiability,
  type PreviewReturnInput,
  type ReturnPreview,
  type SaleAward,
  type Statement,
  type StatementInput,
  type TierProgress,
} from './account-queries.js';
import { createActivityEarning, type ActivityResult, type RecordActivityInput } from './activity-earning.js';
import { LOYALTY_TIMELINE_TEXTS } from './timeline-text.js';
import {
  createAdjustments,
  type AdjustInput,
  type GrantGoodwillInput,
  type PointsResult,
  type RedeemInput,
  type RedemptionResult,
} from './adjustments.js';
import {
  awardsCollection,
  pointsCollections,
  rewardClaimsCollection,
  storedValueCollections,
  voucherCollections,
  loyaltyCollections,
} from './collections.js';
import { compileConfig } from './compiled-program.js';
import type { Basket } from './basket.js';
import type { QuoteContext } from './quote-context.js';
import { createCustomerMerge } from './customer-merge.js';
import { createDueWork } from './due-work.js';
import type { LoyaltyEvents } from './events.js';
import {
  createHolds,
  type CancelHoldInput,
  type CommitHoldInput,
  type CommittedHold,
  type Hold,
  type HoldService,
  type ReserveInput,
} from './holds.js';
import { createLedger } from './ledger.js';
import { createRegistry, parseProgram, type KindOptions, type ProgramConfig, type ProgramInput } from './program.js';
import { createProgramVersions } from './program-versions.js';
import { explainQuote, quote, type Quote } from './quote.js';
import type { LoyaltyRuntime } from './runtime.js';
import { createOpeningBalances, type LoyaltyImportsApi } from './opening-balances.js';
import { createStoredValueImports } from './stored-value-import.js';
import type { LoyaltyEventMap, LoyaltyHandler, LoyaltyRefundStep } from './context.js';
import { createSaleEarning } from './sale-earning.js';
import { createTierService } from './tier-service.js';
import { DEFAULT_PIN_ITERATIONS } from './pin-hash.js';
import { createLiabilityReport } from './liability-report.js';
import { createStoredValueCheckout } from './stored-value-checkout.js';
import { createCardSaleRefund } from './stored-value-refund.js';
import { createStoredValueService, type StoredValueApi, type StoredValueService } from './stored-value-service.js';
import { createVoucherCheckout } from './voucher-checkout.js';
import { createVoucherService, type VoucherApi, type VoucherService } from './voucher-service.js';
import { createRewardCheckout } from './reward-checkout.js';
import { createRewardService, type RewardService, type RewardsApi } from './reward-service.js';
import { createOfflineAllowances, type AllowancesApi } from './offline-allowances.js';
import { createCardAllowances } from './stored-value-allowances.js';

/** Options of {@link loyalty}: the host's own condition and rule kinds, payment methods, PIN hashing. */
export interface LoyaltyOptions extends KindOptions {
  /**
   * Payment methods of sales paid with vouchers, with stored-value cards and with product reward claims
   * (default `voucher`, `stored-value` and `reward`).
   */
  paymentMethods?: { voucher?: string; storedValue?: string; reward?: string };
  /** PBKDF2 iterations of new card PINs (default 210,000; at least 10,000). */
  pinIterations?: number;
}

/** The module's migrations, in order. Later versions append; applied ones are never edited. */
export const loyaltyMigrations: readonly Migration[] = [
  {
    id: 'loyalty/0001-initial',
    steps: pointsCollections.map((collection) => ({ op: 'createCollection' as const, collection })),
  },
  {
    id: 'loyalty/0002-vouchers-and-stored-value',
    steps: [...voucherCollections, ...storedValueCollections].map((collection) => ({
      op: 'createCollection' as const,
      collection,
    })),
  },
  {
    // Each voucher of a sale with the lines it covers, so a return works out a scoped voucher again;
    // claims of product rewards.
    id: 'loyalty/0003-voucher-scopes-and-rewards',
    steps: [
      { op: 'createCollection', collection: rewardClaimsCollection },
      {
        op: 'addField',
        collection: awardsCollection.name,
        field: 'voucherScopes',
        spec: awardsCollection.fields.voucherScopes,
      },
    ],
  },
];

const METHOD = /^[a-z][a-z0-9-]{0,31}$/;
/**
 * The permission of reads of members' points (vouchers and cards have their own: `loyalty.vouchers.read`,
 * `loyalty.stored-value.read`).
 */
const READ = 'loyalty.read';

/** The module's in-transaction handlers and refund steps, in the order they run. */
interface Wiring {
  handlers: LoyaltyHandler[];
  refunds: LoyaltyRefundStep[];
}

/**
 * `crm.loyalty`: the points program. Quotes (pure, and by a member's context), holds at the till,
 * redemptions, adjustments and goodwill, activities, balances, statements, expiry, liability, what a
 * sale earned and what a return would do, tiers; and `vouchers` and `storedValue`. Reads of members'
 * points need `loyalty.read`.
 */
export interface LoyaltyApi {
  /** The program in force, validated, with defaults filled in. */
  program: ProgramConfig;
  /** The version (fingerprint) of the program in force; each sale remembers the version that earned it. */
  programVersion: string;
  /**
   * Points a basket earns and why (pure and synchronous: no I/O). `context` comes from `contextFor`
   * (a web POS fetches it once per member and quotes offline at every scan).
   */
  quote(basket: Basket, context: QuoteContext): Quote;
  /** A quote as readable lines for a receipt or a member. */
  explain(quote: Quote): string[];
  /** The quote context of a member at a store (tier, segments or tags, birthday, first purchase, counters). */
  contextFor(input: ContextForInput, options: QueryOptions): Promise<MemberContext>;
  /** Reads the member's context and quotes the basket with it. */
  quoteFor(input: ContextForInput, basket: Basket, options: QueryOptions): Promise<Quote>;
  /** Reserves points at a till for a time; refused with `INSUFFICIENT_BALANCE` when they are not spendable. */
  reserve(input: ReserveInput, options: CommandOptions): Promise<Hold>;
  /** Releases a hold without spending it. */
  cancelHold(input: CancelHoldInput, options: CommandOptions): Promise<Hold>;
  /**
   * Spends a hold for something other than a sale recorded through `purchases.record` (a sale pays
   * with it by naming it as a points payment's reference).
   */
  commitHold(input: CommitHoldInput, options: CommandOptions): Promise<CommittedHold>;
  /** Spends points directly (no hold), refused with `INSUFFICIENT_BALANCE` when they are not spendable. */
  redeem(input: RedeemInput, options: CommandOptions): Promise<RedemptionResult>;
  /**
   * Adds or takes points by hand: needs `loyalty.adjust` and `points-adjustment` authority for their
   * value, and a reason.
   */
  adjust(input: AdjustInput, options: CommandOptions): Promise<PointsResult>;
  /**
   * Grants goodwill points (service recovery): needs `loyalty.goodwill` and `goodwill-points`
   * authority for their value.
   */
  grantGoodwill(input: GrantGoodwillInput, options: CommandOptions): Promise<PointsResult>;
  /** Earns for an activity the program declares (a review, a referral, a birthday, a retailer's event). */
  recordActivity(input: RecordActivityInput, options: CommandOptions): Promise<ActivityResult>;
  /** A member's balances and tier. */
  balance(customerId: string, options: QueryOptions): Promise<Balance>;
  /** A member's ledger entries in order, with the running balance. */
  statement(customerId: string, options: QueryOptions): Promise<Statement>;
  /** A page of a member's ledger entries in order, optionally of a period, with the running balance. */
  statement(customerId: string, filters: StatementInput | undefined, options: QueryOptions): Promise<Statement>;
  /** Which points expire on which day. */
  expirySchedule(customerId: string, options: QueryOptions): Promise<ExpirySchedule>;
  /** Outstanding points and their money value per store at a date (totals: no reader needed). */
  liability(options?: LiabilityInput): Promise<PointsLiability>;
  /** What a sale earned, with the quote that explains it (as sold and after its returns). */
  saleAward(purchaseId: string, options: QueryOptions): Promise<SaleAward>;
  /** What a return would take back, give back and, when the program says so, deduct from the refund. */
  previewReturn(input: PreviewReturnInput, options: QueryOptions): Promise<ReturnPreview>;
  /** Where a member stands against the next tier. */
  tierProgress(customerId: string, options: QueryOptions): Promise<TierProgress>;
  /** Vouchers (代金券): templates, issue, conversion from points, holds at the till, eligibility, lookup. */
  vouchers: VoucherApi;
  /** Stored-value cards: products, sale, top-up, authorisations, spends, refunds, lost cards, PINs, liability. */
  storedValue: StoredValueApi;
  /** Product rewards (free products, buy X get Y) claimed with points at the till, and given back. */
  rewards: RewardsApi;
  /** Offline allowances: points reserved for one terminal to spend while it cannot reach central. */
  allowances: AllowancesApi;
  /** Opening balances from the system the retailer leaves (see `crm.imports` for members and sales). */
  imports: LoyaltyImportsApi;
}

function buildApi(
  kernel: Kernel<LoyaltyEventMap>,
  runtime: LoyaltyRuntime,
  holds: HoldService,
  money: {
    vouchers: VoucherService;
    storedValue: StoredValueService;
    rewards: RewardService;
    methods: { voucher: string; storedValue: string; reward: string };
  },
  wiring: Wiring,
): LoyaltyApi {
  // Points first, then rewards, vouchers and cards: each refund step sees what the ones before kept back.
  const parts = [
    createSaleEarning(runtime, holds, money.methods.voucher),
    createRewardCheckout(runtime, money.rewards, money.methods.reward),
    createVoucherCheckout(money.methods.voucher),
    createStoredValueCheckout(money.storedValue, money.methods.storedValue),
  ];
  const storedValue: StoredValueApi = {
    ...money.storedValue.api,
    refundSale: createCardSaleRefund(runtime).refundSale,
    liability: createLiabilityReport(kernel, runtime.program.config.currency),
    allowances: createCardAllowances(runtime, money.storedValue),
  };
  const vouchers: VoucherApi = money.vouchers.api;
  const activities = createActivityEarning(runtime);
  for (const part of parts) {
    wiring.handlers.push(...part.handlers);
    wiring.refunds.push(...part.refunds);
  }
  wiring.handlers.push(...activities.handlers);
  const adjustments = createAdjustments(runtime);
  const queries = createQueries(runtime);
  const program = runtime.program;
  // Every member has an account from registration on (the first sale then never races to create it).
  wiring.handlers.push({
    event: 'customer.registered',
    run: async (ctx, e) => void (await runtime.ledger.account(ctx, e.customerId)),
  });
  return {
    imports: { ...createOpeningBalances(runtime), ...createStoredValueImports(runtime) },
    program: program.config,
    programVersion: program.version,
    quote: (basket: Basket, context: QuoteContext): Quote => quote(program, basket, context),
    explain: (q: Quote): string[] => explainQuote(q, program.money),
    contextFor: kernel.query({
      name: 'loyalty.contextFor',
      permission: READ,
      reads: (c) => [c.customerId],
      run: queries.contextFor,
    }),
    quoteFor: kernel.query({
      name: 'loyalty.quoteFor',
      permission: READ,
      reads: (_q, [input]) => [input.customerId],
      run: queries.quoteFor,
    }),
    reserve: holds.reserve,
    cancelHold: holds.cancel,
    commitHold: holds.commit,
    redeem: adjustments.redeem,
    adjust: adjustments.adjust,
    grantGoodwill: adjustments.grantGoodwill,
    recordActivity: activities.recordActivity,
    balance: kernel.query({
      name: 'loyalty.balance',
      permission: READ,
      reads: (b) => [b.customerId],
      run: queries.balance,
    }),
    statement: kernel.query({
      name: 'loyalty.statement',
      permission: READ,
      reads: (_s, [customerId]) => [customerId],
      run: queries.statement,
    }),
    expirySchedule: kernel.query({
      name: 'loyalty.expirySchedule',
      permission: READ,
      reads: (e) => [e.customerId],
      run: queries.expirySchedule,
    }),
    liability: queries.liability,
    saleAward: kernel.query({
      name: 'loyalty.saleAward',
      permission: READ,
      reads: (a) => [a.customerId],
      run: queries.saleAward,
    }),
    previewReturn: kernel.query({
      name: 'loyalty.previewReturn',
      permission: READ,
      reads: (p) => [p.customerId],
      run: queries.previewReturn,
    }),
    tierProgress: kernel.query({
      name: 'loyalty.tierProgress',
      permission: READ,
      reads: (_t, [customerId]) => [customerId],
      run: queries.tierProgress,
    }),
    vouchers,
    storedValue,
    rewards: money.rewards.api,
    allowances: createOfflineAllowances(runtime),
  };
}

/**
 * The loyalty module: earning rules, the points ledger, holds, tiers, vouchers and stored-value
 * cards. `programConfig` is JSON data (see `docs/loyalty.md`); an invalid one throws
 * `VALIDATION_FAILED` naming every problem by path. Voucher templates and card products are data
 * too, defined at run time (`crm.loyalty.vouchers.defineTemplate`, `crm.loyalty.storedValue.defineProduct`).
 */
export function loyalty(programConfig: ProgramInput, options: LoyaltyOptions = {}) {
  const registry = createRegistry(options);
  const config = parseProgram(programConfig, registry);
  const methods = {
    voucher: options.paymentMethods?.voucher ?? 'voucher',
    storedValue: options.paymentMethods?.storedValue ?? 'stored-value',
    reward: options.paymentMethods?.reward ?? 'reward',
  };
  const pinIterations = options.pinIterations ?? DEFAULT_PIN_ITERATIONS;
  const problems: ValidationIssue[] = [];
  for (const [key, method] of Object.entries(methods))
    if (!METHOD.test(method))
      problems.push({
        path: ['paymentMethods', key],
        code: 'invalid_method',
        message: 'payment methods are lower-case words',
      });
  if (methods.voucher === methods.storedValue)
    problems.push({
      path: ['paymentMethods', 'storedValue'],
      code: 'contradiction',
      message: 'vouchers and stored-value cards need different payment methods',
    });
  if (methods.reward === methods.voucher || methods.reward === methods.storedValue)
    problems.push({
      path: ['paymentMethods', 'reward'],
      code: 'contradiction',
      message: 'reward claims need a payment method of their own',
    });
  if (config.base.voucherMethods.includes(methods.reward))
    problems.push({
      path: ['paymentMethods', 'reward'],
      code: 'contradiction',
      message: `${methods.reward} is listed in the program's base.voucherMethods`,
    });
  if ([methods.voucher, methods.storedValue, methods.reward].includes(config.redemption.paymentMethod))
    problems.push({
      path: ['paymentMethods'],
      code: 'contradiction',
      message: `${config.redemption.paymentMethod} is the program's points payment method`,
    });
  if (config.base.voucherMethods.includes(methods.storedValue))
    problems.push({
      path: ['paymentMethods', 'storedValue'],
      code: 'contradiction',
      message: `${methods.storedValue} is listed in the program's base.voucherMethods`,
    });
  if (!Number.isInteger(pinIterations) || pinIterations < 10_000 || pinIterations > 10_000_000)
    problems.push({
      path: ['pinIterations'],
      code: 'too_small',
      message: 'pinIterations is a whole number from 10,000 to 10,000,000',
    });
  if (problems.length)
    throw new ValidationError(
      problems,
      `invalid loyalty options: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`,
    );
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
      const runtime: LoyaltyRuntime = { kernel, program, versions, ledger, tiers, startTier };
      const holds = createHolds(runtime);
      const vouchers = createVoucherService(runtime);
      const storedValue = createStoredValueService(runtime, { pinIterations });
      const rewards = createRewardService(runtime);
      const wiring: Wiring = { handlers: [], refunds: [] };
      const api = buildApi(kernel, runtime, holds, { vouchers, storedValue, rewards, methods }, wiring);
      const due = createDueWork(runtime, holds, { vouchers, storedValue, rewards });
      return {
        api,
        handlers: wiring.handlers,
        refunds: wiring.refunds,
        seed: () => versions.ensureStored(kernel.store, kernel.clock.now()),
        runDue: (now: Date) => due.runDue(now),
        mergeCustomer: createCustomerMerge(runtime),
        timelineTexts: LOYALTY_TIMELINE_TEXTS,
        tenders: [methods.voucher, methods.storedValue, methods.reward, config.redemption.paymentMethod],
      };
    },
  });
}

/**
 * Key accounts: staff enter contract length, growth potential and strategic importance; volume and
 * payment behaviour come from the statistics and the credit ledger. Above the threshold a customer is
 * a key account with a representative and a visit schedule whose due visits come out of `runDue`.
 */
import * as z from 'zod';
import {
  mustGet,
  NotFoundError,
  codeSchema,
  customersCollection,
  idSchema,
  instantSchema,
  parseInput,
  scan,
  shortTextSchema,
  staffCollection,
  type CommandOptions,
  type QueryOptions,
  type RowOf,
  type StoreSession,
  type ValidationIssue,
  ValidationError,
} from '@clientele/core/module';
import { customerStatsCollection, keyAccountsCollection } from './collections.js';
import type { ResolvedSegmentsConfig } from './config.js';
import { keyAccountScore, type KeyAccountFactor, type KeyAccountShares } from './key-account-score.js';
import { ratingOf } from './credit-service.js';
import { refreshCustomer } from './stats-store.js';
import type { SegmentsContext } from './events.js';
import type { SegmentsRuntime } from './runtime.js';
import { millisecondsInDay } from 'date-fns/constants';

/** The permission of reads of key-account assessments (staff's judgement of a customer, the visit plan). */
const READ = 'key-accounts.read';

/** A key-account assessment. */
export type KeyAccount = RowOf<typeof keyAccountsCollection>;

/** Input of `keyAccounts.assess`. */
export const assessSchema = z
  .object({
    customerId: idSchema,
    contractMonths: z.number().int().min(0).max(600),
    growthPotential: z.number().int().min(1).max(5),
    strategicImportance: z.number().int().min(1).max(5),
    /** Ratings 1-5 of the retailer's own rated factors, by factor id (every rated factor needs one). */
    ratings: z.record(z.string(), z.number().int().min(1).max(5)).optional(),
    /** The member of staff who looks after the account. */
    representativeId: codeSchema.nullish(),
    /** Visit every so many days while it is a key account. */
    visitEveryDays: z.number().int().min(1).max(3650).nullish(),
  })
  .strict();

/** Input of `keyAccounts.recordVisit`. */
export const visitSchema = z
  .object({ customerId: idSchema, at: instantSchema.optional(), summary: shortTextSchema })
  .strict();

/** Input of `keyAccounts.assess`: the staff's factors, the representative and the visit rhythm. */
export type AssessInput = z.input<typeof assessSchema>;
/** Input of `keyAccounts.recordVisit`. */
export type VisitInput = z.input<typeof visitSchema>;

/** What `keyAccounts.assess` returns: the assessment and the factors its score came from (each 0 to 1). */
export type KeyAccountAssessment = KeyAccount & {
  /** Each factor's share 0-1, before weighting: the built-in ones and the retailer's own, by id. */
  factors: KeyAccountShares;
};

/**
 * `crm.segments.keyAccounts`: key accounts scored from the staff's factors, volume and payment
 * behaviour, with a representative and visits. Changes need `key-accounts.manage`; reads
 * `key-accounts.read`.
 */
export interface KeyAccountApi {
  /** Scores a customer from the staff's factors, volume and payment behaviour; sets representative and visits. */
  assess(input: AssessInput, options: CommandOptions): Promise<KeyAccountAssessment>;
  /** Records a visit; the next one falls due `visitEveryDays` later. */
  recordVisit(input: VisitInput, options: CommandOptions): Promise<KeyAccount>;
  /** Key accounts whose visit is due now, earliest first. */
  due(options: QueryOptions): Promise<KeyAccount[]>;
  /** Key accounts whose visit is due at an instant (default: now), earliest first. */
  due(at: Date | undefined, options: QueryOptions): Promise<KeyAccount[]>;
  /** A customer's assessment. */
  get(customerId: string, options: QueryOptions): Promise<KeyAccount>;
}

/**
 * The key-account assessments of the customers in a range of ids (`range`: a port condition on
 * `customerId`, empty for all), by customer, for a rebuild's chunk.
 */
export async function keyAccountsInRange(
  session: StoreSession,
  range: Record<string, string>,
): Promise<Map<string, KeyAccount>> {
  const out = new Map<string, KeyAccount>();
  for await (const k of scan(
    session,
    keyAccountsCollection,
    Object.keys(range).length ? { where: { customerId: range } } : {},
  ))
    out.set(k.customerId, k);
  return out;
}

/** A key account's score again, as a rebuild finds it: the new standing, when it differs from the stored one. */
export interface KeyAccountReassessment {
  key: KeyAccount;
  score: number;
  isKey: boolean;
}

/**
 * Scores a key account again from its volume in the window and its credit rating (as a rebuild finds
 * them). Pure: returns whether it is a key account now, and the change to record (null: none).
 */
export function reassessKeyAccount(
  key: KeyAccount,
  windowSpend: number,
  creditRating: string | null,
  config: ResolvedSegmentsConfig,
): { isKey: boolean; change: KeyAccountReassessment | null } {
  const s = keyAccountScore(windowSpend, key, creditRating, config.keyAccounts, key.customerId);
  const moved = s.score !== key.score || s.isKey !== key.isKey;
  return { isKey: s.isKey, change: moved ? { key, score: s.score, isKey: s.isKey } : null };
}

/**
 * Records a reassessment in the caller's transaction: the score is stored, and a change of standing
 * is emitted (`key-account.designated` or `key-account.dropped`).
 */
export async function recordReassessment(ctx: SegmentsContext, r: KeyAccountReassessment): Promise<void> {
  const { key } = r;
  await ctx.tx.update(keyAccountsCollection, key.customerId, { score: r.score, isKey: r.isKey, assessedAt: ctx.now });
  if (r.isKey !== key.isKey) {
    if (r.isKey)
      await ctx.emit(
        'key-account.designated',
        { customerId: key.customerId, score: r.score, representativeId: key.representativeId },
        { customerId: key.customerId },
      );
    else
      await ctx.emit(
        'key-account.dropped',
        { customerId: key.customerId, score: r.score },
        { customerId: key.customerId },
      );
  }
}

/**
 * The staff's ratings of an assessment, checked against the retailer's own factors: every rated
 * factor needs one, and nothing else may be rated (a scored factor is the function's, a built-in one
 * has its own field).
 */
export function checkRatings(
  ratings: Readonly<Record<string, number>>,
  factors: readonly KeyAccountFactor[],
): Record<string, number> {
  const rated = new Map(factors.filter((f) => !f.score).map((f) => [f.id, f]));
  const issues: ValidationIssue[] = [];
  for (const id of Object.keys(ratings))
    if (!rated.has(id))
      issues.push({
        path: ['ratings', id],
        code: 'unknown_factor',
        message: factors.some((f) => f.id === id)
          ? `${id} is scored by its function, not rated`
          : `no rated factor ${id}; rated: ${[...rated.keys()].join(', ') || 'none'}`,
      });
  for (const id of rated.keys())
    if (ratings[id] === undefined)
      issues.push({ path: ['ratings', id], code: 'required', message: `rate ${rated.get(id)!.name} from 1 to 5` });
  if (issues.length) throw new ValidationError(issues);
  // Kept in the order of the configuration, so equal ratings store equal JSON.
  return Object.fromEntries([...rated.keys()].map((id) => [id, ratings[id]!]));
}

/** Builds the key-account service. */
export function createKeyAccountService(runtime: SegmentsRuntime) {
  const { kernel, config, registry } = runtime;
  const assess = kernel.command({
    name: 'key-accounts.assess',
    input: assessSchema,
    permission: 'key-accounts.manage',
    idempotency: 'optional',
    async run(ctx, input) {
      const customer = await ctx.tx.get(customersCollection, input.customerId);
      if (customer?.status !== 'active')
        throw new NotFoundError('customer', input.customerId, { path: ['customerId'] });
      if (input.representativeId && !(await ctx.tx.get(staffCollection, input.representativeId)))
        throw new NotFoundError('staff', input.representativeId, { path: ['representativeId'] });
      const ratings = checkRatings(input.ratings ?? {}, config.keyAccounts.factors);
      const stats = await ctx.tx.get(customerStatsCollection, input.customerId);
      const rating = (await ratingOf(ctx.tx, input.customerId, ctx.now, config)).rating;
      const s = keyAccountScore(
        stats?.windowSpend ?? 0,
        { ...input, ratings },
        rating,
        config.keyAccounts,
        input.customerId,
      );
      const prev = await ctx.tx.get(keyAccountsCollection, input.customerId);
      const every = input.visitEveryDays ?? null;
      const nextVisitAt =
        s.isKey && every !== null
          ? new Date((prev?.lastVisitAt ?? ctx.now).getTime() + every * millisecondsInDay)
          : null;
      const fields = {
        contractMonths: input.contractMonths,
        growthPotential: input.growthPotential,
        strategicImportance: input.strategicImportance,
        ratings,
        score: s.score,
        isKey: s.isKey,
        representativeId: input.representativeId ?? null,
        visitEveryDays: every,
        nextVisitAt,
        assessedAt: ctx.now,
      };
      const row = prev
        ? await ctx.tx.update(keyAccountsCollection, input.customerId, fields)
        : await ctx.tx.insert(keyAccountsCollection, {
            customerId: input.customerId,
            lastVisitAt: null,
            announcedFor: null,
            ...fields,
          });
      ctx.audit(
        { type: 'key-account', id: input.customerId, customerId: input.customerId },
        { score: s.score, isKey: s.isKey },
      );
      if (s.isKey !== (prev?.isKey ?? false)) {
        if (s.isKey)
          await ctx.emit(
            'key-account.designated',
            { customerId: input.customerId, score: s.score, representativeId: row.representativeId },
            { customerId: input.customerId },
          );
        else
          await ctx.emit(
            'key-account.dropped',
            { customerId: input.customerId, score: s.score },
            { customerId: input.customerId },
          );
      }
      if (stats && stats.keyAccount !== s.isKey)
        await refreshCustomer(ctx, input.customerId, config, registry, { keyAccount: s.isKey });
      return { ...row, factors: s.factors };
    },
  });

  const recordVisit = kernel.command({
    name: 'key-accounts.record-visit',
    input: visitSchema,
    permission: 'key-accounts.visit',
    idempotency: 'optional',
    async run(ctx, input) {
      const row = await mustGet(ctx.tx, keyAccountsCollection, input.customerId, 'key account', {
        path: ['customerId'],
      });
      const at = input.at ?? ctx.now;
      const updated = await ctx.tx.update(keyAccountsCollection, input.customerId, {
        lastVisitAt: at,
        nextVisitAt:
          row.isKey && row.visitEveryDays !== null
            ? new Date(at.getTime() + row.visitEveryDays * millisecondsInDay)
            : null,
      });
      ctx.audit({ type: 'key-account', id: input.customerId, customerId: input.customerId });
      await ctx.addTimeline({
        customerId: input.customerId,
        at,
        source: 'segments',
        kind: 'key-account-visit',
        summary: input.summary,
        facts: {},
      });
      return updated;
    },
  });

  const announceDue = kernel.command({
    name: 'key-accounts.announce-due',
    input: z.object({ now: instantSchema }).strict(),
    permission: 'key-accounts.visit',
    idempotency: 'optional',
    async run(ctx, input) {
      let n = 0;
      for await (const k of scan(ctx.tx, keyAccountsCollection, {
        where: { isKey: true, nextVisitAt: { lte: input.now } },
      })) {
        if (!k.nextVisitAt || (k.announcedFor && k.announcedFor.getTime() === k.nextVisitAt.getTime())) continue;
        await ctx.tx.update(keyAccountsCollection, k.customerId, { announcedFor: k.nextVisitAt });
        await ctx.emit(
          'key-account.visit-due',
          { customerId: k.customerId, representativeId: k.representativeId, dueAt: k.nextVisitAt.toISOString() },
          { customerId: k.customerId },
        );
        n++;
      }
      return n;
    },
  });

  /** Key accounts whose visit is due at `now` (default: the clock's now), earliest first. */
  async function due(now?: Date): Promise<KeyAccount[]> {
    const at = parseInput(instantSchema.optional(), now, ['now']) ?? kernel.clock.now();
    const out: KeyAccount[] = [];
    for await (const k of scan(kernel.store, keyAccountsCollection, {
      where: { isKey: true, nextVisitAt: { lte: at } },
    }))
      out.push(k);
    return out.sort(
      (a, b) => a.nextVisitAt!.getTime() - b.nextVisitAt!.getTime() || (a.customerId < b.customerId ? -1 : 1),
    );
  }

  async function get(customerId: string): Promise<KeyAccount> {
    const id = parseInput(idSchema, customerId, ['customerId']);
    const row = await mustGet(kernel.store, keyAccountsCollection, id, 'key account', { path: ['customerId'] });
    return row;
  }

  const api: KeyAccountApi = {
    assess,
    recordVisit,
    due: kernel.query({
      name: 'segments.keyAccounts.due',
      permission: READ,
      reads: (list) => list.map((k) => k.customerId),
      run: due,
    }),
    get: kernel.query({ name: 'segments.keyAccounts.get', permission: READ, reads: (k) => [k.customerId], run: get }),
  };
  return {
    api,
    /** Announces due visits once each (`key-account.visit-due`); returns how many. */
    runDue: (now: Date, options: CommandOptions) => announceDue({ now }, options),
  };
}

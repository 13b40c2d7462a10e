/**
 * `createTill`: a till that keeps selling when central cannot be reached. Every sale is first written
 * to the till's own operation log under its sequence number, then sent to central with an
 * idempotency key made of the terminal and that number; a sale central has not confirmed stays in
 * the log and is sent again, in order, until central answers. So a sale is recorded on central
 * exactly once, whether the link, central or the till itself failed at any point in between.
 */
import {
  ClienteleError,
  StoreUnavailableError,
  isClienteleError,
  lineGross,
  parseInput,
  toMilli,
  type RowOf,
  type Store,
} from '@clientele/core/module';
import { systemClock, type Clock, type RecordSaleInput } from '@clientele/core';
import { compileProgram, valueOfPoints, type CompiledProgram, type ProgramInput } from '@clientele/loyalty';
import type { CentralMember, TillCentral } from './central.js';
import {
  cacheCollection,
  countersCollection,
  opId,
  opsCollection,
  reconciliationCollection,
  tillMigrations,
} from './local-store.js';
import {
  checkAllowance,
  checkCardAllowance,
  checkVoucherHeld,
  isTransient,
  offlineQuote,
  refusalOf,
  type HeldVoucher,
  type LocalAllowance,
  type LocalCardAllowance,
} from './offline-rules.js';
import {
  holdVoucherSchema,
  settleSchema,
  tillQuoteSchema,
  tillSaleSchema,
  tillSettingsSchema,
  type SettleInput,
  type TillQuoteInput,
  type TillSaleInput,
  type TillSettings,
} from './schemas.js';

/** Options of {@link createTill}. */
export interface TillOptions extends TillSettings {
  /** The till's own store: `sqliteStore({ file })` on a Node till, `postgresStore({ pglite })` in a browser. */
  local: Store;
  /** The chain's Clientele: `httpCentral(createClient(...))`, or `inProcessCentral(crm, { actor })`. */
  central: TillCentral;
  /** Where the till's time comes from (default the machine's clock). */
  clock?: Clock;
}

/** What the till tells the cashier about a sale. */
export interface TillReceipt {
  seq: number;
  receiptNo: string;
  /** `recorded`: central has it; `pending-sync`: it is in the till's log and will be sent. */
  status: 'recorded' | 'pending-sync';
  purchaseId: string | null;
  /**
   * Points the sale earns, quoted with the member's context as fetched with the sale (or from the cache
   * offline) by the function central earns with (`null`: no member).
   */
  points: number | null;
  /** Why, line by line, as `crm.loyalty.explain` words it. */
  explanation: string[];
  /** Points the member paid with. */
  pointsSpent: number;
  /** What a stored-value card paid (minor units, 0: none). */
  storedValueSpent: number;
  /** What to print: `points pending sync` while central has not confirmed the sale. */
  notice: string | null;
}

/** A member as the till knows them, with how old that knowledge is. */
export interface TillMember extends CentralMember {
  /** What this terminal may still spend of the member's points offline. */
  allowance: LocalAllowance | null;
  /** What this terminal may still spend offline of each of the member's stored-value cards that has an allowance. */
  storedValueAllowances: LocalCardAllowance[];
  fetchedAt: Date;
  /** Milliseconds since it was fetched from central. */
  ageMs: number;
  /** Whether it came from central just now (`false`: from the cache). */
  fresh: boolean;
}

/** A quote at the till, from the cache. */
export interface TillQuote {
  points: number;
  explanation: string[];
  /** Age of the member's cached context (ms), `null` without a member. */
  contextAgeMs: number | null;
}

/** An offline sale central refused, waiting for a person. */
export interface ReconciliationItem {
  id: string;
  seq: number;
  code: string;
  reason: string | null;
  message: string;
  /** The sale as the till recorded it (`sale`), the points it promised and spent. */
  event: Record<string, unknown>;
  createdAt: Date;
  settledAt: Date | null;
  settledBy: string | null;
  note: string | null;
}

/** What a round of {@link Till.sync} did. */
export interface SyncResult {
  /** Whether central answered throughout. */
  online: boolean;
  recorded: number;
  refused: number;
  /** Operations still waiting. */
  queued: number;
}

/** A till. */
export interface Till {
  readonly terminalId: string;
  readonly storeId: string;
  /** Rings up a sale: on central when it answers in time, else in the log with points pending sync. */
  ringUp(sale: TillSaleInput): Promise<TillReceipt>;
  /**
   * Asks central to hold a voucher for this terminal (online only), so that it may be redeemed here
   * while offline, until the hold lapses (the program's `redemption.holdMinutes`).
   */
  holdVoucher(input: { code: string; cardNumber?: string }): Promise<HeldVoucher>;
  /** A member by card: from central when it answers (refreshing the cache), else from the cache. */
  lookup(cardNumber: string): Promise<TillMember | null>;
  /** Points a basket earns, from the cached program and context: no call to central. */
  quote(input: TillQuoteInput): Promise<TillQuote>;
  /** Replays the log in order, then refreshes the cache. */
  sync(): Promise<SyncResult>;
  /** Operations waiting to be sent. */
  queued(): Promise<number>;
  /** Age of a cached entry (`program`, `calendar`, `templates`, `member:<card>`), `null` when not cached. */
  cacheAge(key: string): Promise<number | null>;
  /** Offline sales central refused. */
  readonly reconciliation: {
    list(options?: { includeSettled?: boolean }): Promise<ReconciliationItem[]>;
    /** Marks one settled, with who did it and what was done. */
    settle(input: SettleInput): Promise<ReconciliationItem>;
  };
  /** Stops the schedule (the stores stay open: their owner closes them). */
  close(): void;
}

const PENDING = 'points pending sync';

type OpRow = RowOf<typeof opsCollection>;

/**
 * A stored-value payment as the log keeps it, inside the logged sale: the card, the amount, where it
 * comes from (`allowance`: drawn from this terminal's; `card`: authorised online) and the
 * authorisation the sale pays with, once central made it.
 */
interface LoggedCardPayment {
  cardNumber: string;
  amount: number;
  source: 'allowance' | 'card';
  allowanceId: string | null;
  paymentId: string | null;
}

/** The stored-value payment of a logged sale, or `null`. */
const cardPaymentOf = (op: OpRow): LoggedCardPayment | null =>
  (op.sale['storedValue'] as LoggedCardPayment | undefined) ?? null;

/** A stored-value card as central lists a member's, as far as the till reads it. */
interface ListedCard {
  number: string;
  status: string;
  available: number;
  hasPin: boolean;
  locked: boolean;
  expiresAt: string | null;
}
type Session = Parameters<Parameters<Store['transaction']>[0]>[0];

/** Central did not answer in time: treated as unreachable. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`central did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function saleTotal(lines: RecordSaleInput['lines']): number {
  return lines.reduce((sum, l) => sum + lineGross(toMilli(l.quantity) ?? 0, l.unitPrice) - (l.discount ?? 0), 0);
}

/**
 * Opens a till on its own store (migrating it) and the chain's central Clientele. Bad settings are
 * refused with `VALIDATION_FAILED`.
 */
export async function createTill(options: TillOptions): Promise<Till> {
  const { local, central, clock: givenClock, ...rest } = options;
  const settings = parseInput(tillSettingsSchema, rest, []);
  if (!local || typeof local.transaction !== 'function')
    throw new ClienteleError('VALIDATION_FAILED', 'local must be a Clientele store', { path: ['local'] });
  if (!central || typeof central.recordSale !== 'function')
    throw new ClienteleError('VALIDATION_FAILED', 'central must be a till central', { path: ['central'] });
  const clock = givenClock ?? systemClock();
  const { terminalId, storeId } = settings;
  await local.migrate(tillMigrations);

  let compiled: { source: string; program: CompiledProgram } | null = null;
  /** PINs of the sales being rung up now, by sequence number: kept in memory for the authorisation only. */
  const pins = new Map<number, string>();
  let lastFailure = Number.NEGATIVE_INFINITY;
  let chain: Promise<unknown> = Promise.resolve();
  /** One thing at a time on the log: sales keep their order, and a replay never races a sale. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const ask = <T>(fn: () => Promise<T>): Promise<T> =>
    within(fn(), settings.timeoutMs).catch((error: unknown) => {
      if (isTransient(error)) lastFailure = clock.now().getTime();
      throw error;
    });
  const mayAsk = () => clock.now().getTime() - lastFailure >= settings.retryAfterMs;

  // The cache.
  async function cached<T>(key: string): Promise<{ value: T; fetchedAt: Date } | null> {
    const row = await local.get(cacheCollection, key);
    return row ? { value: row.value as T, fetchedAt: row.fetchedAt } : null;
  }
  async function put(key: string, value: unknown): Promise<void> {
    await local.transaction((tx) => putIn(tx, key, value));
  }
  async function countIn(tx: Session, name: string): Promise<number> {
    if (!(await tx.get(countersCollection, name))) await tx.insert(countersCollection, { name, value: 0 });
    return (await tx.increment(countersCollection, name, 'value', 1)).row.value;
  }
  const nextCount = (name: string) => local.transaction((tx) => countIn(tx, name));

  async function program(): Promise<CompiledProgram | null> {
    const row = await cached<ProgramInput>('program');
    if (!row) return null;
    // Compiled once per fetch of the program, not at every sale.
    const source = String(row.fetchedAt.getTime());
    if (compiled?.source !== source) compiled = { source, program: compileProgram(row.value) };
    return compiled.program;
  }

  async function refreshSettings(): Promise<void> {
    const [p, templates, calendar] = await Promise.all([
      ask(() => central.program()),
      ask(() => central.voucherTemplates()),
      ask(() => central.calendar(storeId)),
    ]);
    await put('program', p);
    await put('templates', templates);
    await put('calendar', calendar);
  }

  const allowanceKey = (customerId: string) => `allowance:${customerId}`;
  const allowanceOf = async (customerId: string) => (await cached<LocalAllowance>(allowanceKey(customerId)))?.value;

  /** Keeps an allowance of the policy's size for the member at this terminal, while central answers. */
  async function ensureAllowance(member: CentralMember): Promise<void> {
    const customerId = member.card.customerId;
    const policy = settings.allowance;
    if (!customerId || !member.balance || policy.points === 0 || member.card.status !== 'active') return;
    const current = (await allowanceOf(customerId)) ?? null;
    const now = clock.now().getTime();
    const lapsing = current !== null && Date.parse(current.expiresAt) - now < (policy.minutes * 60_000) / 4;
    if (current && current.points >= policy.points / 2 && !lapsing) return;
    if (current) {
      // Its rest goes back only once no queued sale still draws from it.
      const drawing = await local.count(opsCollection, { status: 'queued', allowanceId: current.id });
      if (drawing > 0) return;
      await ask(() => central.cancelHold(current.id, `allowance-end:${terminalId}:${current.id}`));
      // Given back: nothing may be spent from it offline any more, whether or not a new one comes.
      await local.delete(cacheCollection, allowanceKey(customerId));
    }
    const spendable = member.balance.spendable + (current?.points ?? 0);
    const points = Math.min(policy.points, spendable);
    if (points <= 0) return;
    const n = await nextCount('grants');
    const granted = await ask(() =>
      central.grantAllowance(
        { customerId, points, storeId, terminalId, minutes: policy.minutes },
        `allowance:${terminalId}:${n}`,
      ),
    );
    const value: LocalAllowance = { id: granted.id, customerId, points: granted.points, expiresAt: granted.expiresAt };
    await put(allowanceKey(customerId), value);
  }

  const cardAllowanceKey = (cardNumber: string) => `sv-allowance:${cardNumber}`;
  const cardAllowanceOf = async (cardNumber: string) =>
    (await cached<LocalCardAllowance>(cardAllowanceKey(cardNumber)))?.value;

  /** Queued sales that still draw on a stored-value allowance. */
  async function drawingOn(allowanceId: string): Promise<number> {
    const page = await local.find(opsCollection, { where: { status: 'queued' }, limit: 10_000 });
    return page.rows.filter((op) => cardPaymentOf(op)?.allowanceId === allowanceId).length;
  }

  /**
   * Keeps a stored-value allowance of the policy's size on each active card of the member that pays
   * without a PIN (an allowance is spent without it), while central answers.
   */
  async function ensureCardAllowances(member: CentralMember): Promise<void> {
    const policy = settings.allowance;
    if (!member.card.customerId || policy.storedValue === 0 || member.card.status !== 'active') return;
    const now = clock.now().getTime();
    for (const card of member.storedValueCards as ListedCard[]) {
      const usable =
        card.status === 'active' &&
        !card.hasPin &&
        !card.locked &&
        (card.expiresAt === null || Date.parse(card.expiresAt) > now);
      if (!usable) continue;
      const current = (await cardAllowanceOf(card.number)) ?? null;
      const lapsing = current !== null && Date.parse(current.expiresAt) - now < (policy.minutes * 60_000) / 4;
      if (current && current.amount >= policy.storedValue / 2 && !lapsing) continue;
      if (current) {
        // Its rest goes back only once no queued sale still draws from it.
        if ((await drawingOn(current.id)) > 0) continue;
        await ask(() => central.cancelCardAuthorization(current.id, `sv-allowance-end:${terminalId}:${current.id}`));
        await local.delete(cacheCollection, cardAllowanceKey(card.number));
      }
      const amount = Math.min(policy.storedValue, card.available + (current?.amount ?? 0));
      if (amount <= 0) continue;
      const n = await nextCount('sv-grants');
      const granted = await ask(() =>
        central.grantCardAllowance(
          { cardNumber: card.number, amount, storeId, terminalId, minutes: policy.minutes },
          `sv-allowance:${terminalId}:${n}`,
        ),
      );
      const value: LocalCardAllowance = {
        id: granted.id,
        cardNumber: card.number,
        amount: granted.amount,
        expiresAt: granted.expiresAt,
      };
      await put(cardAllowanceKey(card.number), value);
    }
  }

  async function fetchMember(cardNumber: string): Promise<CentralMember> {
    if (!(await local.get(cacheCollection, 'program'))) await refreshSettings();
    const member = await ask(() => central.member(cardNumber, storeId));
    await put(`member:${cardNumber}`, member);
    // Without an allowance the till still sells; it only cannot spend points offline. A refusal
    // (the member has nothing spendable) or a lost answer leaves it without one until the next refresh.
    await ensureAllowance(member).catch(() => undefined);
    await ensureCardAllowances(member).catch(() => undefined);
    return member;
  }

  async function cardAllowancesOf(member: CentralMember): Promise<LocalCardAllowance[]> {
    const out: LocalCardAllowance[] = [];
    for (const card of member.storedValueCards as ListedCard[]) {
      const allowance = await cardAllowanceOf(card.number);
      if (allowance) out.push(allowance);
    }
    return out;
  }

  async function memberView(cardNumber: string, fresh: boolean): Promise<TillMember | null> {
    const row = await cached<CentralMember>(`member:${cardNumber}`);
    if (!row) return null;
    const customerId = row.value.card.customerId;
    return {
      ...row.value,
      allowance: customerId ? ((await allowanceOf(customerId)) ?? null) : null,
      storedValueAllowances: await cardAllowancesOf(row.value),
      fetchedAt: row.fetchedAt,
      ageMs: clock.now().getTime() - row.fetchedAt.getTime(),
      fresh,
    };
  }

  async function lookupInner(cardNumber: string): Promise<TillMember | null> {
    if (mayAsk()) {
      try {
        await fetchMember(cardNumber);
        return memberView(cardNumber, true);
      } catch (error) {
        if (!isTransient(error)) throw error;
      }
    }
    return memberView(cardNumber, false);
  }

  /** Sends one queued operation; returns how it ended (`queued` again: central did not answer). */
  async function send(op: OpRow, current: boolean): Promise<'recorded' | 'refused' | 'queued'> {
    const id = op.id;
    const attempts = op.attempts + 1;
    let holdId = op.holdId;
    let holdValue = op.holdValue;
    let card = cardPaymentOf(op);
    try {
      if (op.points > 0 && holdId === null) {
        const hold =
          op.pointsSource === 'allowance'
            ? await ask(() =>
                central.drawAllowance(
                  { allowanceId: op.allowanceId!, points: op.points, terminalId },
                  `draw:${terminalId}:${op.seq}`,
                ),
              )
            : await ask(() =>
                central.reserve(
                  {
                    customerId: (op.sale['customerId'] as string | undefined) ?? '',
                    points: op.points,
                    storeId,
                    terminalId,
                  },
                  `hold:${terminalId}:${op.seq}`,
                ),
              );
        holdId = hold.id;
        holdValue = hold.value;
        await local.update(opsCollection, id, { holdId, holdValue });
      }
      if (card && card.paymentId === null) {
        const pay = card;
        const authorised =
          pay.source === 'allowance'
            ? await ask(() =>
                central.drawCardAllowance(
                  { allowanceId: pay.allowanceId!, amount: pay.amount, terminalId },
                  `sv-draw:${terminalId}:${op.seq}`,
                ),
              )
            : await ask(() =>
                central.authorizeCard(
                  {
                    cardNumber: pay.cardNumber,
                    amount: pay.amount,
                    storeId,
                    terminalId,
                    ...(pins.has(op.seq) ? { pin: pins.get(op.seq)! } : {}),
                  },
                  `sv-auth:${terminalId}:${op.seq}`,
                ),
              );
        card = { ...pay, paymentId: authorised.id };
        await local.update(opsCollection, id, { sale: { ...op.sale, storedValue: { ...card } } });
      }
      const sale = saleToSend(op, holdId, holdValue, card);
      let recorded: { id: string };
      try {
        recorded = await ask(() => central.recordSale(sale, `sale:${terminalId}:${op.seq}`));
      } catch (error) {
        // Recorded already under a key central no longer keeps: the receipt's unique number finds it.
        if (!(isClienteleError(error, 'CONFLICT') && error.details['reason'] === 'unique')) throw error;
        const found = await ask(() => central.saleByReceipt(storeId, terminalId, sale.receiptNo));
        if (!found) throw error;
        recorded = found;
      }
      await local.update(opsCollection, id, {
        status: 'recorded',
        purchaseId: recorded.id,
        doneAt: clock.now(),
        attempts,
      });
      return 'recorded';
    } catch (error) {
      if (isTransient(error)) {
        await local.update(opsCollection, id, { attempts });
        return 'queued';
      }
      if (holdId !== null)
        await ask(() => central.cancelHold(holdId!, `cancel:${terminalId}:${op.seq}`)).catch(() => undefined);
      const paymentId = card?.paymentId ?? null;
      if (paymentId !== null)
        await ask(() => central.cancelCardAuthorization(paymentId, `sv-cancel:${terminalId}:${op.seq}`)).catch(
          () => undefined,
        );
      const refusal = refusalOf(error);
      if (current && !op.offline) {
        // Refused while the member is still at the till: the cashier hears it, nothing is filed.
        await local.update(opsCollection, id, { status: 'cancelled', doneAt: clock.now(), attempts });
        await giveBackAllowance({ ...op, holdId, sale: { ...op.sale, ...(card ? { storedValue: card } : {}) } });
        throw error;
      }
      await local.transaction(async (tx) => {
        await tx.update(opsCollection, id, { status: 'refused', doneAt: clock.now(), attempts });
        await tx.insert(reconciliationCollection, {
          id,
          seq: op.seq,
          code: refusal.code,
          reason: refusal.reason,
          message: refusal.message,
          event: {
            terminalId,
            seq: op.seq,
            sale: op.sale,
            pointsSpent: op.points,
            pointsSource: op.pointsSource,
            allowanceId: op.allowanceId,
            storedValueSpent: card?.amount ?? 0,
            storedValueSource: card?.source ?? null,
            storedValueAllowanceId: card?.allowanceId ?? null,
            quotedPoints: op.quotedPoints,
            offline: op.offline,
            rungUpAt: op.createdAt.toISOString(),
          },
          createdAt: clock.now(),
          settledAt: null,
          settledBy: null,
          note: null,
        });
      });
      return 'refused';
    }
  }

  /** Points and stored value of a sale that never reached central go back to what the terminal may spend offline. */
  async function giveBackAllowance(op: OpRow): Promise<void> {
    const card = cardPaymentOf(op);
    // Once drawn, the amount left the allowance on central: cancelling the draw gives it back to the card.
    if (card?.source === 'allowance' && card.paymentId === null) {
      const left = await cardAllowanceOf(card.cardNumber);
      if (left?.id === card.allowanceId)
        await put(cardAllowanceKey(card.cardNumber), { ...left, amount: left.amount + card.amount });
    }
    // Likewise points: once drawn (a hold taken from the allowance), cancelling the hold gives them back
    // to the member's balance on central, not to this terminal's allowance.
    if (op.pointsSource !== 'allowance' || !op.allowanceId || op.holdId !== null) return;
    const customerId = op.sale['customerId'] as string;
    const current = await allowanceOf(customerId);
    if (current?.id === op.allowanceId)
      await put(allowanceKey(customerId), { ...current, points: current.points + op.points });
  }

  function saleToSend(
    op: OpRow,
    holdId: string | null,
    holdValue: number | null,
    card: LoggedCardPayment | null,
  ): RecordSaleInput {
    const sale = op.sale as unknown as RecordSaleInput & {
      tender: string;
      voucher?: { code: string; amount: number };
      storedValue?: LoggedCardPayment;
    };
    // The card names the buyer (central follows a merge from it); the customer id is the till's own note.
    const { tender, customerId, voucher, storedValue: _logged, ...rest } = sale;
    const body: RecordSaleInput = rest.cardNumber ? rest : { ...rest, ...(customerId ? { customerId } : {}) };
    if (op.points === 0 && !voucher && !card) return body;
    const payments: Array<{ method: string; amount: number; reference?: string }> = [];
    if (voucher) payments.push({ method: 'voucher', amount: voucher.amount, reference: voucher.code });
    if (op.points > 0) {
      const method = compiled?.program.config.redemption.paymentMethod ?? 'points';
      payments.push({ method, amount: holdValue ?? 0, reference: holdId! });
    }
    if (card) payments.push({ method: settings.storedValueMethod, amount: card.amount, reference: card.paymentId! });
    const remaining = saleTotal(body.lines) - payments.reduce((sum, x) => sum + x.amount, 0);
    if (remaining > 0) payments.push({ method: tender, amount: remaining });
    return { ...body, payments };
  }

  /** Sends every queued operation in order, stopping at the first central does not answer. */
  async function drain(currentSeq: number | null = null): Promise<SyncResult> {
    const out: SyncResult = { online: true, recorded: 0, refused: 0, queued: 0 };
    for (;;) {
      const page = await local.find(opsCollection, {
        where: { status: 'queued' },
        orderBy: [{ field: 'seq' }],
        limit: 100,
      });
      if (page.rows.length === 0) break;
      for (const op of page.rows) {
        const how = await send(op, op.seq === currentSeq);
        if (how === 'queued') {
          out.online = false;
          out.queued = await local.count(opsCollection, { status: 'queued' });
          return out;
        }
        out[how]++;
      }
    }
    return out;
  }

  async function ringUpInner(raw: TillSaleInput): Promise<TillReceipt> {
    const input = parseInput(tillSaleSchema, raw, []);
    const now = clock.now();
    let online = mayAsk();
    if (online && !(await cached('program'))) await refreshSettings().catch(() => (online = false));
    let member: TillMember | null = null;
    if (input.cardNumber) {
      const key = `member:${input.cardNumber}`;
      const row = online ? await local.get(cacheCollection, key) : undefined;
      const young = row !== undefined && now.getTime() - row.fetchedAt.getTime() < settings.memberMaxAgeMs;
      member = online && !young ? await lookupInner(input.cardNumber) : await memberView(input.cardNumber, young);
      online = online && (member?.fresh ?? mayAsk());
    }
    if (member?.card.status && member.card.status !== 'active')
      throw new ClienteleError('INVALID_STATE', `card ${member.card.number} is ${member.card.status}`, {
        path: ['cardNumber'],
        status: member.card.status,
      });
    const customerId = member?.card.customerId ?? null;
    const points = input.points ?? 0;
    const p = await program();
    const tender = input.tender ?? settings.tender;
    const total = saleTotal(input.lines);
    if (points > 0 && !customerId)
      throw new ClienteleError('NOT_FOUND', 'the card is not known here', { path: ['cardNumber'] });
    const voucher = input.voucher ?? null;
    const pointsValue = points > 0 && p ? valueOfPoints(points, p.config.pointValue) : 0;
    if (pointsValue + (voucher?.amount ?? 0) > total) {
      const message = 'the points and the voucher are worth more than the sale';
      const path = points > 0 ? ['points'] : ['voucher', 'amount'];
      throw new ClienteleError('VALIDATION_FAILED', message, {
        path,
        issues: [{ path, code: 'exceeds_total', message }],
      });
    }
    const spendCard = input.storedValue ?? null;
    if (spendCard && pointsValue + (voucher?.amount ?? 0) + spendCard.amount > total) {
      const message = 'the points, the voucher and the stored value are worth more than the sale';
      const path = ['storedValue', 'amount'];
      throw new ClienteleError('VALIDATION_FAILED', message, {
        path,
        issues: [{ path, code: 'exceeds_total', message }],
      });
    }
    // The sale is an offline one when central is out of reach, or when it would overtake a queued sale.
    // Offline, the log is not counted: that count grows with the queue.
    const offlineNow = !online || (await local.count(opsCollection, { status: 'queued' })) > 0;
    // Offline, a voucher is redeemed only when central holds it for this terminal.
    if (voucher && offlineNow)
      checkVoucherHeld((await cached<HeldVoucher>(`voucher:${voucher.code}`))?.value ?? null, voucher.code, now);

    // Where the points come from: the allowance when it covers them, else (online only) the balance.
    // The member's view read it just now, and nothing else writes the cache while a sale is rung up.
    const allowance = customerId ? (member?.allowance ?? null) : null;
    let source: 'allowance' | 'balance' | null = null;
    if (points > 0) {
      if (offlineNow) checkAllowance(allowance, points, now);
      source =
        allowance && allowance.points >= points && Date.parse(allowance.expiresAt) > now.getTime()
          ? 'allowance'
          : 'balance';
    }
    // Stored value likewise: from this terminal's allowance on the card when it covers it, else (online) authorised.
    const cardAllowance = spendCard ? ((await cardAllowanceOf(spendCard.cardNumber)) ?? null) : null;
    let cardPayment: LoggedCardPayment | null = null;
    if (spendCard) {
      if (offlineNow) checkCardAllowance(cardAllowance, spendCard.amount, now);
      const fromAllowance =
        cardAllowance !== null &&
        cardAllowance.amount >= spendCard.amount &&
        Date.parse(cardAllowance.expiresAt) > now.getTime();
      cardPayment = {
        cardNumber: spendCard.cardNumber,
        amount: spendCard.amount,
        source: fromAllowance ? 'allowance' : 'card',
        allowanceId: fromAllowance ? cardAllowance.id : null,
        paymentId: null,
      };
    }

    const quoted = p
      ? offlineQuote(
          p,
          { lines: input.lines, ...(voucher ? { vouchers: voucher.amount } : {}) },
          customerId ? member!.context : null,
          now,
          storeId,
          timeZoneOf(member),
        )
      : null;
    // The sequence number, the logged sale and what is left of the allowance: one local transaction.
    let op = await local.transaction(async (tx) => {
      const seq = await countIn(tx, 'seq');
      const sale = {
        storeId,
        terminalId,
        receiptNo: input.receiptNo ?? `${terminalId}-${seq}`,
        occurredAt: now.toISOString(),
        ...(input.cardNumber ? { cardNumber: input.cardNumber } : {}),
        ...(customerId ? { customerId } : {}),
        lines: input.lines,
        ...(voucher ? { voucher } : {}),
        ...(cardPayment ? { storedValue: cardPayment } : {}),
        tender,
      };
      const row = await tx.insert(opsCollection, {
        id: opId(seq),
        seq,
        status: 'queued',
        sale: JSON.parse(JSON.stringify(sale)),
        points,
        pointsSource: source,
        allowanceId: source === 'allowance' ? allowance!.id : null,
        holdId: null,
        holdValue: null,
        offline: offlineNow,
        quotedPoints: customerId && quoted ? quoted.quote.points : null,
        createdAt: now,
        doneAt: null,
        purchaseId: null,
        attempts: 0,
      });
      if (source === 'allowance')
        await putIn(tx, allowanceKey(customerId!), { ...allowance!, points: allowance!.points - points });
      if (cardPayment?.source === 'allowance')
        await putIn(tx, cardAllowanceKey(cardPayment.cardNumber), {
          ...cardAllowance!,
          amount: cardAllowance!.amount - cardPayment.amount,
        });
      return row;
    });
    const { seq } = op;
    const receiptNo = op.sale['receiptNo'] as string;
    if (online) {
      if (spendCard?.pin !== undefined) pins.set(seq, spendCard.pin);
      try {
        await drain(seq);
      } finally {
        pins.delete(seq);
      }
      op = (await local.get(opsCollection, opId(seq)))!;
      // Central stopped answering before it reserved the points or the stored value: spend them from
      // the allowances or not at all.
      const queued = op.status === 'queued';
      const pointsUnheld = queued && op.points > 0 && op.pointsSource === 'balance' && op.holdId === null;
      const logged = cardPaymentOf(op);
      const cardUnheld = queued && logged?.source === 'card' && logged.paymentId === null;
      if (pointsUnheld || cardUnheld) {
        try {
          if (pointsUnheld) checkAllowance(allowance, points, now);
          if (cardUnheld) checkCardAllowance(cardAllowance, logged.amount, now);
        } catch (error) {
          await local.update(opsCollection, op.id, { status: 'cancelled', doneAt: clock.now() });
          await giveBackAllowance(op);
          throw error;
        }
        await local.transaction(async (tx) => {
          await tx.update(opsCollection, op.id, {
            ...(pointsUnheld ? { pointsSource: 'allowance', allowanceId: allowance!.id } : {}),
            ...(cardUnheld
              ? {
                  sale: { ...op.sale, storedValue: { ...logged, source: 'allowance', allowanceId: cardAllowance!.id } },
                }
              : {}),
            offline: true,
          });
          if (pointsUnheld)
            await putIn(tx, allowanceKey(customerId!), { ...allowance!, points: allowance!.points - points });
          if (cardUnheld)
            await putIn(tx, cardAllowanceKey(logged.cardNumber), {
              ...cardAllowance!,
              amount: cardAllowance!.amount - logged.amount,
            });
        });
        op = (await local.get(opsCollection, opId(seq)))!;
      }
    }
    if (op.status === 'recorded')
      return {
        seq,
        receiptNo,
        status: 'recorded',
        purchaseId: op.purchaseId,
        points: customerId ? (quoted?.quote.points ?? null) : null,
        explanation: customerId ? (quoted?.explanation ?? []) : [],
        pointsSpent: points,
        storedValueSpent: spendCard?.amount ?? 0,
        notice: null,
      };
    if (op.status === 'queued' && !op.offline) await local.update(opsCollection, op.id, { offline: true });
    return {
      seq,
      receiptNo,
      status: 'pending-sync',
      purchaseId: null,
      points: customerId ? (quoted?.quote.points ?? null) : null,
      explanation: customerId ? (quoted?.explanation ?? []) : [],
      pointsSpent: points,
      storedValueSpent: spendCard?.amount ?? 0,
      notice: PENDING,
    };
  }

  function timeZoneOf(member: TillMember | null): string {
    const tz = member?.context?.['timeZone'];
    if (typeof tz === 'string') return tz;
    return compiled?.program.config.timeZone ?? 'UTC';
  }

  async function putIn(tx: Session, key: string, value: unknown) {
    const patch = { value: JSON.parse(JSON.stringify(value ?? null)), fetchedAt: clock.now() };
    if (await tx.get(cacheCollection, key)) await tx.update(cacheCollection, key, patch);
    else await tx.insert(cacheCollection, { key, ...patch });
  }

  async function syncInner(): Promise<SyncResult> {
    const result = await drain();
    if (!result.online) return result;
    try {
      await refreshSettings();
      const members = await local.find(cacheCollection, { where: { key: { startsWith: 'member:' } }, limit: 1000 });
      for (const row of members.rows) await fetchMember(row.key.slice('member:'.length));
    } catch (error) {
      if (!isTransient(error)) throw error;
      return { ...result, online: false };
    }
    return result;
  }

  const timer = settings.refreshEveryMs
    ? setInterval(() => void exclusive(syncInner).catch(() => undefined), settings.refreshEveryMs)
    : null;
  (timer as { unref?: () => void } | null)?.unref?.();

  return {
    terminalId,
    storeId,
    ringUp: (sale) => exclusive(() => ringUpInner(sale)),
    holdVoucher: (raw) =>
      exclusive(async () => {
        const input = parseInput(holdVoucherSchema, raw, []);
        const member = input.cardNumber ? await memberView(input.cardNumber, false) : null;
        const customerId = member?.card.customerId ?? undefined;
        const n = await nextCount('voucher-holds');
        const held = await ask(() =>
          central.reserveVoucher(
            { code: input.code, storeId, terminalId, ...(customerId ? { customerId } : {}) },
            `voucher-hold:${terminalId}:${n}`,
          ),
        );
        for (const key of new Set([held.code, held.display, input.code])) await put(`voucher:${key}`, held);
        return held;
      }),
    lookup: (cardNumber) =>
      exclusive(async () => {
        const input = parseInput(tillQuoteSchema.pick({ cardNumber: true }).required(), { cardNumber }, []);
        return lookupInner(input.cardNumber);
      }),
    async quote(raw) {
      const input = parseInput(tillQuoteSchema, raw, []);
      const p = await program();
      if (!p) throw new ClienteleError('INVALID_STATE', 'no program cached yet: sync once online', { path: [] });
      const member = input.cardNumber ? await memberView(input.cardNumber, false) : null;
      const q = offlineQuote(
        p,
        { lines: input.lines },
        member?.context ?? null,
        clock.now(),
        storeId,
        timeZoneOf(member),
      );
      return { points: q.quote.points, explanation: q.explanation, contextAgeMs: member ? member.ageMs : null };
    },
    sync: () =>
      exclusive(async () => {
        lastFailure = Number.NEGATIVE_INFINITY;
        return syncInner();
      }),
    queued: () => local.count(opsCollection, { status: 'queued' }),
    async cacheAge(key) {
      const row = await local.get(cacheCollection, key);
      return row ? clock.now().getTime() - row.fetchedAt.getTime() : null;
    },
    reconciliation: {
      async list(opts = {}) {
        const page = await local.find(reconciliationCollection, {
          ...(opts.includeSettled ? {} : { where: { settledAt: { isNull: true } } }),
          orderBy: [{ field: 'seq' }],
          limit: 10_000,
        });
        return page.rows;
      },
      async settle(raw) {
        const input = parseInput(settleSchema, raw, []);
        const row = await local.get(reconciliationCollection, input.id);
        if (!row) throw new ClienteleError('NOT_FOUND', `no refused sale ${input.id}`, { path: ['id'] });
        if (row.settledAt) return row;
        return local.update(reconciliationCollection, input.id, {
          settledAt: clock.now(),
          settledBy: input.by,
          note: input.note,
        });
      },
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}

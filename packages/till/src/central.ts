/**
 * The till's view of the chain's Clientele: the few calls a till makes, each answering plain JSON
 * (dates as ISO 8601 text, as over HTTP), so one till works the same over `@clientele/http`'s client
 * and in process. Every call that writes carries the idempotency key the till made for it.
 */
import type { Actor, RecordSaleInput } from '@clientele/core';
import type { ProgramInput } from '@clientele/loyalty';

/** A card as the till keeps it. */
export interface CentralCard {
  number: string;
  status: string;
  customerId: string | null;
}

/** What central knows of a member at this store: what the till caches to sell to them offline. */
export interface CentralMember {
  card: CentralCard;
  /** The member's quote context at this store (`contextFor`), `null` for a card with no member. */
  context: Record<string, unknown> | null;
  /** Points balance (`available`, `spendable`, `held`, `tier`), `null` for a card with no member. */
  balance: { available: number; spendable: number; held: number; tier: string | null } | null;
  /** The member's vouchers, as central lists them. */
  vouchers: unknown[];
  /** The member's stored-value cards, as central lists them. */
  storedValueCards: unknown[];
}

/** A hold or an offline allowance, as the till needs it. */
export interface CentralHold {
  id: string;
  points: number;
  value: number;
  expiresAt: string;
}

/**
 * An authorisation on a stored-value card, as the till needs it: an offline allowance (`svl_...`),
 * or what a sale pays with (`svp_...`, drawn from an allowance or authorised online).
 */
export interface CentralCardAuthorization {
  id: string;
  cardNumber: string;
  /** Minor units reserved (for an allowance: what is left of it). */
  amount: number;
  expiresAt: string;
}

/** What a sale recorded on central answers with. */
export interface CentralSale {
  id: string;
  receiptNo: string;
}

/** The calls a till makes to central. */
export interface TillCentral {
  /** The loyalty program in force (its configuration, as data). */
  program(): Promise<ProgramInput>;
  /** The program's voucher templates. */
  voucherTemplates(): Promise<unknown[]>;
  /** The store's business calendar. */
  calendar(storeId: string): Promise<unknown>;
  /** A card, its member, their context at the store, balance, vouchers and stored-value cards. */
  member(cardNumber: string, storeId: string): Promise<CentralMember>;
  /** Records a sale (`purchases.record`). */
  recordSale(sale: RecordSaleInput, idempotencyKey: string): Promise<CentralSale>;
  /** The sale of a receipt, or `null` when central has none. */
  saleByReceipt(storeId: string, terminalId: string, receiptNo: string): Promise<CentralSale | null>;
  /** Reserves points at the till for one sale (`loyalty.reserve`). */
  reserve(
    input: { customerId: string; points: number; storeId: string; terminalId: string },
    idempotencyKey: string,
  ): Promise<CentralHold>;
  /** Grants an offline allowance (`loyalty.allowances.grant`). */
  grantAllowance(
    input: { customerId: string; points: number; storeId: string; terminalId: string; minutes: number },
    idempotencyKey: string,
  ): Promise<CentralHold>;
  /** Draws one offline sale's points from an allowance (`loyalty.allowances.draw`). */
  drawAllowance(
    input: { allowanceId: string; points: number; terminalId: string },
    idempotencyKey: string,
  ): Promise<CentralHold>;
  /** Grants an offline allowance of a stored-value card (`loyalty.storedValue.allowances.grant`). */
  grantCardAllowance(
    input: { cardNumber: string; amount: number; storeId: string; terminalId: string; minutes: number },
    idempotencyKey: string,
  ): Promise<CentralCardAuthorization>;
  /** Draws what one offline sale paid from a stored-value allowance (`loyalty.storedValue.allowances.draw`). */
  drawCardAllowance(
    input: { allowanceId: string; amount: number; terminalId: string },
    idempotencyKey: string,
  ): Promise<CentralCardAuthorization>;
  /** Authorises an amount of a stored-value card for one sale (`loyalty.storedValue.authorize`). */
  authorizeCard(
    input: { cardNumber: string; amount: number; storeId: string; terminalId: string; pin?: string },
    idempotencyKey: string,
  ): Promise<CentralCardAuthorization>;
  /** Releases a card authorisation or a stored-value allowance (`loyalty.storedValue.cancelAuthorization`). */
  cancelCardAuthorization(paymentId: string, idempotencyKey: string): Promise<void>;
  /** Holds a voucher for this terminal (`loyalty.vouchers.reserve`), so it may be redeemed here offline. */
  reserveVoucher(
    input: { code: string; storeId: string; terminalId: string; customerId?: string },
    idempotencyKey: string,
  ): Promise<{ code: string; display: string; holdId: string; heldUntil: string }>;
  /** Releases a hold or an allowance (`loyalty.cancelHold`). */
  cancelHold(holdId: string, idempotencyKey: string): Promise<void>;
}

/** JSON of a value: dates as ISO 8601 text, as they come over HTTP. */
const json = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;

const holdOf = (h: { id: string; points: number; value: number; expiresAt: Date | string }): CentralHold => ({
  id: h.id,
  points: h.points,
  value: h.value,
  expiresAt: typeof h.expiresAt === 'string' ? h.expiresAt : h.expiresAt.toISOString(),
});

const authorizationOf = (p: {
  id: string;
  cardNumber: string;
  amount: number;
  expiresAt: Date | string | null;
}): CentralCardAuthorization => ({
  id: p.id,
  cardNumber: p.cardNumber,
  amount: p.amount,
  expiresAt: p.expiresAt === null ? '' : typeof p.expiresAt === 'string' ? p.expiresAt : p.expiresAt.toISOString(),
});

const isNotFound = (error: unknown) => (error as { code?: string } | null)?.code === 'NOT_FOUND';

type Reader = { actor: Actor };
type Writer = { actor: Actor; idempotencyKey?: string };
/** One call of `crm` or of its HTTP client, as the till sees it: arguments checked by central. */
export type CentralFn = (...args: never[]) => Promise<unknown>;

/**
 * The calls of `crm` (or of a client of its HTTP API) the till uses, loosely typed so that both fit:
 * in process the answers hold dates, over HTTP their text.
 */
export interface CentralCalls {
  cards: { lookup: CentralFn };
  stores: { calendar: CentralFn };
  purchases: { record: CentralFn; byReceipt: CentralFn };
  loyalty: {
    contextFor: CentralFn;
    balance: CentralFn;
    reserve: CentralFn;
    cancelHold: CentralFn;
    allowances: { grant: CentralFn; draw: CentralFn };
    vouchers: { templates: CentralFn; ofCustomer: CentralFn; reserve: CentralFn };
    storedValue: {
      ofCustomer: CentralFn;
      authorize: CentralFn;
      cancelAuthorization: CentralFn;
      allowances: { grant: CentralFn; draw: CentralFn };
    };
  };
}

type Call = (...args: unknown[]) => Promise<unknown>;
const call = (fn: CentralFn): Call => fn as unknown as Call;

/** How each call passes the caller: in process as options, over HTTP the key says who calls. */
interface Passing {
  read(args: unknown[]): unknown[];
  write(input: unknown, idempotencyKey: string): unknown[];
}

function centralOver(crm: CentralCalls, program: () => Promise<ProgramInput>, pass: Passing): TillCentral {
  const { loyalty } = crm;
  const read = (fn: CentralFn, ...args: unknown[]) => call(fn)(...pass.read(args));
  const write = (fn: CentralFn, input: unknown, key: string) => call(fn)(...pass.write(input, key));
  return {
    program,
    // Settings, not a member's file: these two take no reader.
    voucherTemplates: async () => json<unknown[]>(await call(loyalty.vouchers.templates)()),
    calendar: async (storeId) => json(await call(crm.stores.calendar)(storeId)),
    async member(cardNumber, storeId) {
      const found = (await read(crm.cards.lookup, cardNumber)) as {
        card: { number: string; status: string; customerId: string | null };
        customer: { id: string; status: string } | null;
      };
      const card = { number: found.card.number, status: found.card.status, customerId: found.customer?.id ?? null };
      if (!card.customerId) return { card, context: null, balance: null, vouchers: [], storedValueCards: [] };
      const customerId = card.customerId;
      const [context, balance, vouchers, storedValueCards] = await Promise.all([
        read(loyalty.contextFor, { customerId, storeId }),
        read(loyalty.balance, customerId),
        read(loyalty.vouchers.ofCustomer, customerId),
        read(loyalty.storedValue.ofCustomer, customerId),
      ]);
      const b = balance as CentralMember['balance'] & object;
      return {
        card,
        context: json(context),
        balance: { available: b.available, spendable: b.spendable, held: b.held, tier: b.tier },
        vouchers: json<{ items?: unknown[] }>(vouchers).items ?? [],
        storedValueCards: json<unknown[]>(storedValueCards),
      };
    },
    async recordSale(sale, key) {
      const p = (await write(crm.purchases.record, sale, key)) as CentralSale;
      return { id: p.id, receiptNo: p.receiptNo };
    },
    async saleByReceipt(storeId, terminalId, receiptNo) {
      try {
        const p = (await read(crm.purchases.byReceipt, storeId, terminalId, receiptNo)) as CentralSale;
        return { id: p.id, receiptNo: p.receiptNo };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
    reserve: async (input, key) => holdOf((await write(loyalty.reserve, input, key)) as CentralHold),
    grantAllowance: async (input, key) => holdOf((await write(loyalty.allowances.grant, input, key)) as CentralHold),
    drawAllowance: async (input, key) => holdOf((await write(loyalty.allowances.draw, input, key)) as CentralHold),
    grantCardAllowance: async (input, key) =>
      authorizationOf((await write(loyalty.storedValue.allowances.grant, input, key)) as CentralCardAuthorization),
    drawCardAllowance: async (input, key) =>
      authorizationOf((await write(loyalty.storedValue.allowances.draw, input, key)) as CentralCardAuthorization),
    authorizeCard: async (input, key) =>
      authorizationOf((await write(loyalty.storedValue.authorize, input, key)) as CentralCardAuthorization),
    async cancelCardAuthorization(paymentId, key) {
      await write(loyalty.storedValue.cancelAuthorization, { paymentId }, key);
    },
    async reserveVoucher(input, key) {
      const held = json<{ voucher: { code: string; display: string }; holdId: string; heldUntil: string }>(
        await write(loyalty.vouchers.reserve, input, key),
      );
      return { code: held.voucher.code, display: held.voucher.display, holdId: held.holdId, heldUntil: held.heldUntil };
    },
    async cancelHold(holdId, key) {
      await write(loyalty.cancelHold, { holdId }, key);
    },
  };
}

/**
 * Central in the same process: `crm` is the chain's Clientele (with the loyalty module), and `actor`
 * who the till acts as (the till's member of staff). For tests, and for a till that runs beside its
 * Clientele.
 */
export function inProcessCentral(
  crm: CentralCalls & { loyalty: { program: ProgramInput } },
  options: { actor: Actor },
): TillCentral {
  const reader: Reader = { actor: options.actor };
  return centralOver(crm, async () => json<ProgramInput>(crm.loyalty.program), {
    read: (args) => [...args, reader],
    write: (input, idempotencyKey): [unknown, Writer] => [input, { ...reader, idempotencyKey }],
  });
}

/**
 * Central over HTTP: `client` is `createClient(baseUrl, { apiKey })` of `@clientele/http`, whose key
 * acts as the till's member of staff. The program is not served over HTTP, so the host passes the
 * one it deploys with the chain (or a function that fetches it from where the chain publishes it).
 */
export function httpCentral(
  client: CentralCalls,
  options: { program: ProgramInput | (() => Promise<ProgramInput>) },
): TillCentral {
  const program = options.program;
  return centralOver(client, typeof program === 'function' ? program : async () => program, {
    read: (args) => args,
    write: (input, idempotencyKey) => [input, { idempotencyKey }],
  });
}

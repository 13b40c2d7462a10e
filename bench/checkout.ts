/**
 * What the checkout figures share: the basket, the shop a sale needs, the rounds that alternate
 * Clientele and the baseline, the proof that both wrote the same rows on SQLite, and the figure.
 */
import Database from 'better-sqlite3';
import type { Clientele } from '@clientele/core';
import type { FigureResult } from './figure.js';
import { median, round } from './stats.js';

export const SYSTEM = { actor: { system: 'bench-setup' } } as const;
export const CLERK = { staffId: 'E-CLERK' } as const;
export const STORE = 'S01';
/** The issues' target for every checkout figure: at least half the raw rate. */
export const TARGET_RATIO = 0.5;

/**
 * The five-line basket of the scenario tests (114.84 yuan): fresh, dairy, grain, snacks, household; one weighed line.
 */
export const BASKET = [
  { sku: 'APPLE-FUJI', category: 'fresh-fruit', quantity: 1.25, unitPrice: 1299 },
  { sku: 'MILK-1L', category: 'dairy', brand: 'Bright', quantity: 2, unitPrice: 650, discount: 100 },
  { sku: 'RICE-5KG', category: 'grain', quantity: 1, unitPrice: 4990 },
  { sku: 'CHIPS', category: 'snacks', quantity: 3, unitPrice: 890 },
  { sku: 'SOAP', category: 'household', quantity: 1, unitPrice: 1250, discount: 250 },
];

/**
 * The basket priced as core prices it (quantity in thousandths, gross rounded half up), once: what
 * the baselines write for every sale.
 */
export const PRICED = (() => {
  const lines = BASKET.map((l, i) => {
    const quantityMilli = Math.round(l.quantity * 1000);
    const gross = Math.round((quantityMilli * l.unitPrice) / 1000);
    const discount = l.discount ?? 0;
    return {
      lineNo: i + 1,
      sku: l.sku,
      name: null,
      category: l.category,
      brand: l.brand ?? null,
      quantityMilli,
      unitPrice: l.unitPrice,
      discount,
      gross,
      amount: gross - discount,
    };
  });
  const subtotal = lines.reduce((sum, l) => sum + l.gross, 0);
  const discountTotal = lines.reduce((sum, l) => sum + l.discount, 0);
  return { lines, subtotal, discountTotal, total: subtotal - discountTotal };
})();

/**
 * What a sale's timeline row stores, as Clientele writes it: no stored line (it is written when read,
 * in the reader's language) and the facts to write it from, as JSON text.
 */
export function saleTimelineData(receiptNo: string, store = STORE): string {
  const facts = { lines: PRICED.lines.length, total: PRICED.total, currency: 'CNY', storeId: store, receiptNo };
  return JSON.stringify({ facts });
}

/** A member and the card the till scans. */
export interface Member {
  customerId: string;
  cardNumber: string;
}

/** Migrates, then the store and a clerk allowed `permissions`: what every sale needs to exist. */
export async function openShop(
  crm: Pick<Clientele, 'migrate' | 'stores' | 'roles' | 'staff'>,
  permissions: string[],
): Promise<void> {
  await crm.migrate();
  await crm.stores.create({ id: STORE, name: 'Renmin Road', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.roles.define({ id: 'clerk', name: 'Counter clerk', permissions, limits: { refund: 5000 } }, SYSTEM);
  await crm.staff.add({ id: CLERK.staffId, name: 'Li Na', storeId: STORE, roleId: 'clerk' }, SYSTEM);
}

/** A Gold card type and `count` members holding one card each, registered `concurrency` at a time. */
export async function addMembers(crm: Clientele, count: number, concurrency = 1): Promise<Member[]> {
  await crm.cards.defineType({ id: 'GOLD', name: 'Gold', prefix: '88', length: 13 }, SYSTEM);
  const out: Member[] = [];
  for (let i = 0; i < count; i += concurrency) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(concurrency, count - i) }, async (_, k) => {
        const n = i + k;
        const customer = await crm.customers.register(
          { kind: 'individual', name: `Member ${n}`, phone: `139${String(n).padStart(8, '0')}`, homeStoreId: STORE },
          SYSTEM,
        );
        const card = await crm.cards.issue({ typeId: 'GOLD', storeId: STORE, customerId: customer.id }, SYSTEM);
        return { customerId: customer.id, cardNumber: card.number };
      }),
    );
    out.push(...batch);
  }
  return out;
}

/** Sales per second of `sell(count)`, by the clock and by this process's CPU time. */
export async function salesRate(
  sell: (count: number) => Promise<void>,
  count: number,
): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await sell(count);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { wall: count / seconds, cpu: count / ((used.user + used.system) / 1e6) };
}

/**
 * `rounds` rounds of `measure` for each side. Who goes first alternates, so neither always runs on
 * the warmer (or fuller) machine state; `onRound` hears each finished round.
 */
export async function alternateRounds<R>(
  rounds: number,
  measure: (side: 'clientele' | 'raw') => Promise<R>,
  onRound: (round: number, results: { clientele: R; raw: R }) => void,
): Promise<{ clientele: R[]; raw: R[] }> {
  const out = { clientele: [] as R[], raw: [] as R[] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['clientele', 'raw'] as const) : (['raw', 'clientele'] as const);
    for (const side of order) out[side].push(await measure(side));
    onRound(r, { clientele: out.clientele[r]!, raw: out.raw[r]! });
  }
  return out;
}

/** A sales-per-second figure from the rounds' rates: medians, their ratio, and the 0.5 target. */
export function throughputFigure(
  id: string,
  rates: { clientele: number[]; raw: number[] },
  details: { samples: number; note: string; extra: (clientele: number, baseline: number) => Record<string, number> },
): FigureResult {
  const clientele = round(median(rates.clientele), 0);
  const baseline = round(median(rates.raw), 0);
  const ratio = round(clientele / baseline, 3);
  return {
    id,
    unit: 'sales/s',
    clientele,
    baseline,
    ratio,
    higherIsBetter: true,
    target: `ratio >= ${TARGET_RATIO}`,
    met: ratio >= TARGET_RATIO,
    samples: details.samples,
    extra: details.extra(clientele, baseline),
    note: details.note,
  };
}

/**
 * Proves the baseline wrote what Clientele wrote on SQLite: the same number of rows in every table
 * of `tables`, the same answer to each query of `checks`, and in the latest row of each table the
 * same columns null and the same storage class in the others.
 */
export function checkSameRows(
  clienteleFile: string,
  rawFile: string,
  tables: readonly string[],
  checks: readonly string[],
): void {
  const a = new Database(clienteleFile, { readonly: true });
  const b = new Database(rawFile, { readonly: true });
  try {
    const problems: string[] = [];
    const one = (db: Database.Database, sql: string) => db.prepare(sql).pluck().get();
    for (const table of tables) {
      const count = (db: Database.Database) => one(db, `SELECT count(*) FROM "${table}"`) as number;
      if (count(a) !== count(b)) problems.push(`${table}: ${count(a)} rows against ${count(b)}`);
      const shape = (db: Database.Database) => {
        const cols = db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[];
        const types = cols.map((c) => `typeof("${c}") AS "${c}"`).join(', ');
        return JSON.stringify(db.prepare(`SELECT ${types} FROM "${table}" ORDER BY rowid DESC LIMIT 1`).get());
      };
      if (shape(a) !== shape(b))
        problems.push(`${table}: latest rows differ in shape: ${shape(a)} against ${shape(b)}`);
    }
    for (const sql of checks) {
      if (one(a, sql) !== one(b, sql)) problems.push(`${sql}: ${String(one(a, sql))} against ${String(one(b, sql))}`);
    }
    if (problems.length)
      throw new Error(`the baseline does not write what Clientele writes:\n  ${problems.join('\n  ')}`);
  } finally {
    a.close();
    b.close();
  }
}

/**
 * Erasure that leaves nothing. A member with distinctive values (a Chinese name, phone, email,
 * address, birth date, tags, attributes) buys, earns points under a birthday rule and a tag rule, gets
 * points by hand with a reason quoting her phone in another format, complains (a contact, a history
 * note and an attachment named after her phone), answers a survey quoting her email in upper case and
 * is logged calling. After her erasure, every column of every table is scanned for each value and
 * each writing of the phone: through the store (every collection of core and the modules) and, on
 * SQLite and PostgreSQL, with SQL over the tables themselves. Before it, the same scan finds each one.
 * Totals stay: the reports add up the same, and a return after the erasure takes back the same points.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientele, manualClock, memoryStore, type Store } from '@clientele/core';
import { customersCollection, purchasesCollection, scan } from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';
import {
  actionsCollection,
  complaints,
  complaintsCollections,
  type ComplaintsConfigInput,
} from '@clientele/complaints';
import { awardsCollection, entriesCollection, loyalty, loyaltyCollections } from '@clientele/loyalty';
import { customerStatsCollection, segmentCollections, segments } from '@clientele/segments';
import { mysqlStore } from '@clientele/mysql';
import { postgresStore } from '@clientele/postgres';
import { sqliteStore } from '@clientele/sqlite';
import { MYSQL_URL, PG_URL, STORE_KINDS } from './support/stores.js';
import { freshKey, nextReceipt } from './support/chain.js';

const SYSTEM = { actor: { system: 'test-setup' } } as const;
const CLERK = { actor: { staffId: 'E-CLERK' } } as const;
const MANAGER = { actor: { staffId: 'E-MANAGER' } } as const;

/** What she gave us: each must be gone after the erasure. */
const HER = {
  name: '司马青霞',
  phone: '13987654321',
  email: 'qingxia.sima@example.cn',
  address: '杭州市西湖区龙井路 88 号 7 幢',
  birthDate: '1987-11-23',
  tag: '龙井茶友-7391',
  wechat: 'simaqx_7391',
  note: '周末送货请放门卫室',
  contactName: '司马女士',
};
/** Her phone as people write it, and her email as she typed it in the survey. */
const WRITTEN = ['139-8765-4321', '139 8765 4321', '+86 139.8765.4321', '(139) 8765-4321', 'QINGXIA.SIMA@EXAMPLE.CN'];
/** What people put between two digits of a phone number: up to three spaces, dashes, dots, brackets or pluses. */
const DIGIT_GAP = String.raw`[\s\-.()+]{0,3}`;
/** Her phone's digits with any separators between them (an independent check of every formatting). */
const PHONE_ANYHOW = new RegExp('13987654321'.split('').join(DIGIT_GAP));

const PROGRAM = {
  id: 'tiantian',
  timeZone: 'Asia/Shanghai',
  earn: [
    { id: 'base', name: 'Everything', kind: 'per-spend' as const, every: 100 },
    {
      id: 'birthday',
      name: 'Birthday month',
      kind: 'bonus' as const,
      points: 300,
      when: { birthdayMonth: true as const },
    },
    { id: 'vip', name: 'VIP bonus', kind: 'bonus' as const, points: 70, when: { segment: ['vip'] } },
  ],
};

const limits = (acknowledge: number, resolve: number) => ({ acknowledge, resolve });
const COMPLAINTS: ComplaintsConfigInput = {
  ladders: {
    service: [
      {
        level: 1,
        id: 'counter',
        name: 'Counter clerk',
        roles: ['clerk'],
        timeLimits: { low: limits(60, 240), medium: limits(30, 120), high: limits(15, 60) },
      },
      {
        level: 2,
        id: 'store-manager',
        name: 'Store manager',
        roles: ['manager'],
        timeLimits: { low: limits(120, 480), medium: limits(60, 240), high: limits(30, 120) },
      },
    ],
  },
  pointValue: 1,
  surveys: {
    questionnaires: [
      {
        id: 'after-purchase',
        name: 'How was your visit?',
        trigger: 'purchase',
        sampleRate: 0,
        seed: 'erasure',
        questions: [
          { id: 'q-fresh', indicator: 'freshness', scale: '1-5', text: 'Freshness' },
          { id: 'q-nps', indicator: 'recommend', scale: '0-10', text: 'Would you recommend us?' },
        ],
      },
    ],
  },
};

/** A store kind with, for SQL stores, every row of every table of the database as text. */
interface Kind {
  name: string;
  open(): Promise<{ store: Store; raw: (() => Promise<string[]>) | null; files?: () => string[] }>;
}

const dirs: string[] = [];
const pools: pg.Pool[] = [];
const schemas: string[] = [];
const mysqlPools: mysql.Pool[] = [];
const databases: string[] = [];
afterAll(async () => {
  for (const p of mysqlPools) {
    for (const d of databases) await p.query(`DROP DATABASE IF EXISTS \`${d}\``);
    await p.end();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const p of pools) {
    for (const s of schemas) await p.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await p.end();
  }
});

const KINDS: Kind[] = [
  { name: 'memory', open: async () => ({ store: memoryStore(), raw: null }) },
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'clientele-erasure-'));
      dirs.push(dir);
      const file = join(dir, 'crm.db');
      return {
        store: sqliteStore({ file }),
        // The database file and its write-ahead log as bytes: free pages and old frames included.
        files: () => [file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f).toString('utf8')),
        async raw() {
          const db = new Database(file, { readonly: true });
          try {
            const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{
              name: string;
            }>;
            expect(tables.length).toBeGreaterThan(40);
            return tables.flatMap((t) =>
              (db.prepare(`SELECT * FROM "${t.name}"`).all() as unknown[]).map(
                (row) => `${t.name} ${JSON.stringify(row)}`,
              ),
            );
          } finally {
            db.close();
          }
        },
      };
    },
  },
  ...(STORE_KINDS.some((k) => k.name === 'postgres')
    ? [
        {
          name: 'postgres',
          async open() {
            const pool = new pg.Pool({ connectionString: PG_URL, max: 10, allowExitOnIdle: true });
            pool.on('error', () => undefined);
            pools.push(pool);
            const schema = `clientele_erasure_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
            schemas.push(schema);
            return {
              store: postgresStore({ pool, schema }),
              async raw() {
                const tables = (
                  await pool.query<{ table_name: string }>(
                    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
                    [schema],
                  )
                ).rows;
                expect(tables.length).toBeGreaterThan(40);
                const out: string[] = [];
                for (const t of tables) {
                  for (const r of (
                    await pool.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${t.table_name}" t`)
                  ).rows)
                    out.push(`${t.table_name} ${r.row}`);
                }
                return out;
              },
            };
          },
        } satisfies Kind,
      ]
    : []),
  ...(STORE_KINDS.some((k) => k.name === 'mariadb')
    ? [
        {
          name: 'mariadb',
          async open() {
            const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 });
            mysqlPools.push(pool);
            const database = `clientele_erasure_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
            databases.push(database);
            return {
              store: mysqlStore({ pool, database }),
              async raw() {
                const [tables] = await pool.query<mysql.RowDataPacket[]>(
                  'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?',
                  [database],
                );
                expect(tables.length).toBeGreaterThan(40);
                const out: string[] = [];
                for (const t of tables) {
                  const [rows] = await pool.query<mysql.RowDataPacket[]>(
                    `SELECT * FROM \`${database}\`.\`${t['name']}\``,
                  );
                  for (const row of rows) out.push(`${t['name']} ${JSON.stringify(row)}`);
                }
                return out;
              },
            };
          },
        } satisfies Kind,
      ]
    : []),
];

async function openShop(store: Store) {
  const clock = manualClock('2026-11-02T02:00:00Z');
  const crm = createClientele({
    store,
    clock,
    modules: [loyalty(PROGRAM), complaints(COMPLAINTS), segments()] as const,
  });
  await crm.migrate();
  await crm.stores.create({ id: 'S01', name: '人民路店', region: 'East', timeZone: 'Asia/Shanghai' }, SYSTEM);
  await crm.stores.create({ id: 'S02', name: 'Hillside', region: 'West', timeZone: 'Asia/Shanghai' }, SYSTEM);
  const rights = ['customers.write', 'sales.*', 'interactions.write', 'complaints.handle', 'surveys.record'];
  await crm.roles.define(
    { id: 'clerk', name: 'Counter clerk', permissions: rights, limits: { refund: 50000, compensation: 5000 } },
    SYSTEM,
  );
  await crm.roles.define(
    {
      id: 'manager',
      name: 'Store manager',
      permissions: [...rights, 'customers.*', 'complaints.*', 'loyalty.adjust'],
      limits: { refund: 500000, compensation: 50000, 'points-adjustment': 50000 },
    },
    SYSTEM,
  );
  await crm.staff.add({ id: 'E-CLERK', name: '李娜', storeId: 'S01', roleId: 'clerk' }, SYSTEM);
  await crm.staff.add({ id: 'E-MANAGER', name: '王强', storeId: 'S01', roleId: 'manager' }, SYSTEM);
  return { crm, clock };
}
type Shop = Awaited<ReturnType<typeof openShop>>;

/** Her whole story with the chain; an anonymous sale and another member's sale besides. */
async function herStory({ crm }: Shop) {
  const her = await crm.customers.register(
    {
      kind: 'individual',
      name: HER.name,
      phone: '139 8765 4321',
      email: HER.email,
      address: HER.address,
      birthDate: HER.birthDate,
      homeStoreId: 'S01',
      tags: ['vip', HER.tag],
      attributes: { wechat: HER.wechat, deliveryNote: HER.note },
    },
    { ...CLERK, idempotencyKey: freshKey('register') },
  );
  await crm.customers.update({ customerId: her.id, changes: { address: `${HER.address} 2 单元` } }, CLERK);
  const other = await crm.customers.register(
    { kind: 'individual', name: '王芳', phone: '13500001111', homeStoreId: 'S02' },
    CLERK,
  );
  const sale = (
    customerId: string,
    storeId: string,
    lines: Array<{ sku: string; category: string; quantity: number; unitPrice: number }>,
  ) =>
    crm.purchases.record(
      { storeId, terminalId: 'T1', receiptNo: nextReceipt(), customerId, lines },
      { ...CLERK, idempotencyKey: freshKey('sale') },
    );
  // November is her birth month and she is tagged vip: the award's context holds both.
  const first = await sale(her.id, 'S01', [
    { sku: 'TEA-LJ', category: 'tea', quantity: 2, unitPrice: 8800 },
    { sku: 'MILK-1L', category: 'dairy', quantity: 3, unitPrice: 650 },
  ]);
  await sale(her.id, 'S02', [{ sku: 'RICE-5KG', category: 'grain', quantity: 1, unitPrice: 4990 }]);
  await sale(other.id, 'S02', [{ sku: 'RICE-5KG', category: 'grain', quantity: 2, unitPrice: 4990 }]);
  await crm.purchases.record(
    {
      storeId: 'S01',
      terminalId: 'T1',
      receiptNo: nextReceipt(),
      lines: [{ sku: 'CHIPS', category: 'snacks', quantity: 1, unitPrice: 890 }],
    },
    { ...CLERK, idempotencyKey: freshKey('sale') },
  );
  await crm.loyalty.adjust(
    { customerId: her.id, points: 500, reason: `goodwill: late delivery, called ${WRITTEN[0]}` },
    { ...MANAGER, idempotencyKey: freshKey('adjust') },
  );
  const opened = await crm.complaints.open(
    {
      kind: 'complaint',
      channel: 'phone',
      storeId: 'S01',
      customerId: her.id,
      purchaseId: first.id,
      category: 'service',
      severity: 'low',
      description: `${HER.name} says the tea was stale`,
      attachments: [`${HER.phone}.jpg`, 'receipt-0042.jpg'],
      contact: { name: HER.contactName, phone: WRITTEN[1], email: HER.email },
    },
    CLERK,
  );
  await crm.complaints.acknowledge({ caseId: opened.id, note: `已致电 ${WRITTEN[1]}，也可打 ${WRITTEN[2]}` }, CLERK);
  await crm.complaints.investigate({ caseId: opened.id, note: `回电 ${WRITTEN[0]}，客户在 ${HER.address}` }, CLERK);
  await crm.complaints.surveys.respond(
    {
      questionnaireId: 'after-purchase',
      storeId: 'S01',
      customerId: her.id,
      answers: { 'q-fresh': 2, 'q-nps': 3 },
      comment: `Stale tea again. Write to ${WRITTEN[4]}`,
    },
    CLERK,
  );
  await crm.interactions.log(
    {
      customerId: her.id,
      channel: 'phone',
      kind: 'inquiry',
      summary: `${HER.name} asked to call ${WRITTEN[3]} about delivery`,
    },
    CLERK,
  );
  // Corrective actions belong to no customer: one mentions her, one does not.
  const hers = await crm.complaints.actions.create(
    {
      caseId: opened.id,
      cause: 'stale-goods',
      description: `Check the tea shelf; tell ${HER.contactName} on ${WRITTEN[0]}`,
      ownerStaffId: 'E-MANAGER',
      dueInMinutes: 600,
    },
    CLERK,
  );
  const shelf = await crm.complaints.actions.create(
    {
      storeId: 'S02',
      cause: 'stale-goods',
      description: 'Rotate the rice stock weekly',
      ownerStaffId: 'E-MANAGER',
      dueInMinutes: 600,
    },
    CLERK,
  );
  return { her, other, first, actions: [hers.id, shelf.id] };
}

const ALL_COLLECTIONS = [...coreCollections, ...loyaltyCollections, ...complaintsCollections, ...segmentCollections];

/** Every row of every collection of core and the modules, through the store, as text. */
async function throughStore(crm: Shop['crm']): Promise<string[]> {
  const out: string[] = [];
  for (const c of ALL_COLLECTIONS)
    for await (const row of scan(crm.store, c)) out.push(`${c.name} ${JSON.stringify(row)}`);
  return out;
}

/** What of her is found in some rows: each value and writing, with the first row it is in. */
function hits(rows: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  const terms = [...Object.values(HER), ...WRITTEN];
  for (const row of rows) {
    for (const t of terms) if (!found[t] && row.includes(t)) found[t] = row.slice(0, 300);
    if (!found['phone in any formatting'] && PHONE_ANYHOW.test(row))
      found['phone in any formatting'] = row.slice(0, 300);
  }
  return found;
}

describe.each(KINDS)('erasure that leaves nothing on $name', (kind) => {
  it('finds every value before, none after, in every column of every table, and keeps the totals', async () => {
    const { store, raw, files } = await kind.open();
    const shop = await openShop(store);
    const { crm } = shop;
    const { her, other, first, actions } = await herStory(shop);
    await crm.segments.rebuild({}, SYSTEM);

    // The scan can fail: before the erasure it finds every value and every writing of the phone.
    const everyTerm = [...Object.values(HER), ...WRITTEN, 'phone in any formatting'].sort();
    expect(Object.keys(hits(await throughStore(crm))).sort()).toEqual(everyTerm);
    if (raw) expect(Object.keys(hits(await raw())).sort()).toEqual(everyTerm);
    if (files) expect(Object.keys(hits(files())).sort()).toEqual(everyTerm);
    // The award's context held her birth date and tags.
    const award = (await crm.store.get(awardsCollection, first.id))!;
    expect(award.context).toMatchObject({
      birthDate: HER.birthDate,
      segments: expect.arrayContaining(['vip', HER.tag]),
    });

    const totalsBefore = await totals(crm);
    const preview = await crm.loyalty.previewReturn(
      { purchaseId: first.id, lines: [{ lineNo: 1, quantity: 1 }] },
      SYSTEM,
    );
    expect(preview.clawback).toBeGreaterThan(0);

    const result = await crm.privacy.eraseCustomer({ customerId: her.id, reason: 'customer request' }, SYSTEM);
    expect(result.changed).toMatchObject({
      customers: 1,
      loyalty_awards: 2,
      loyalty_entries: 1,
      complaint_cases: 2,
      complaint_actions: 1,
      survey_responses: 1,
      interactions: 1,
    });

    expect(hits(await throughStore(crm))).toEqual({});
    if (raw) expect(hits(await raw())).toEqual({});
    // On SQLite not even the files keep a copy: no free page, no frame of the write-ahead log.
    if (files) expect(hits(files())).toEqual({});
    // What is not hers stays as it was: another member, the other corrective action.
    expect(await crm.store.get(actionsCollection, actions[0]!)).toMatchObject({ description: '[erased]' });
    expect(await crm.store.get(actionsCollection, actions[1]!)).toMatchObject({
      description: 'Rotate the rice stock weekly',
    });
    expect(await crm.store.get(customersCollection, other.id)).toMatchObject({
      displayName: '王芳',
      phone: '13500001111',
    });
    // Her award keeps what a return replays: a stand-in in her birth month, the tag a rule names.
    expect((await crm.store.get(awardsCollection, first.id))!.context).toMatchObject({
      birthDate: '1900-11-01',
      segments: ['vip'],
    });
    expect(await crm.store.get(customerStatsCollection, her.id)).toMatchObject({ erased: true, visits: 2 });

    // Totals stay: every statistics and purchase report, points and their liability.
    expect(await totals(crm)).toEqual(totalsBefore);
    // A return after the erasure takes back what the preview said before it (birthday and vip bonuses kept in the
    // replay).
    await crm.purchases.return(
      { purchaseId: first.id, storeId: 'S01', lines: [{ lineNo: 1, quantity: 1 }], reason: 'stale' },
      { ...CLERK, idempotencyKey: freshKey('return') },
    );
    let clawedBack = 0;
    for await (const e of scan(crm.store, entriesCollection, { where: { customerId: her.id, kind: 'clawback' } }))
      clawedBack -= e.points;
    expect(clawedBack).toBe(preview.clawback);
    expect(hits(await throughStore(crm))).toEqual({});
    await crm.close();
    // A whole shop's story on a real server, scanned column by column: seconds on a busy machine.
  }, 60_000);
});

/**
 * Every report that sums money: the statistics-based and purchase-based structure reports, points and their liability,
 * the sales.
 */
async function totals(crm: Shop['crm']) {
  const out: Record<string, unknown> = {};
  for (const by of ['kind', 'region', 'store', 'valueClass', 'rfmGroup'] as const)
    out[by] = await crm.segments.reports.structure({ by });
  const from = new Date('2026-01-01T00:00:00Z');
  const to = new Date('2027-01-01T00:00:00Z');
  for (const by of ['region', 'store'] as const)
    out[`${by} in 2026`] = await crm.segments.reports.structure({ by, from, to });
  out['liability'] = await crm.loyalty.liability();
  let sales = 0;
  for await (const p of scan(crm.store, purchasesCollection)) sales += p.total - p.refundedTotal;
  out['sales'] = sales;
  return out;
}

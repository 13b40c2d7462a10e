/**
 * `quote.p99` and `quote.rules`: `quote` of a 30-line basket against a 50-rule program.
 *
 * - `quote.p99`: the 99th percentile latency of one quote (µs), the target being under 50 µs, beside
 *   the same percentile of json-rules-engine evaluating the same rules for the same basket.
 * - `quote.rules`: baskets per second, the target being at least 50 times json-rules-engine's.
 *
 * The baseline is translated from the same program: each rule becomes a json-rules-engine rule with
 * the same conditions (one engine for rules that read lines, run once per line; one for basket rules,
 * run once per basket), and its events are turned into points with the same arithmetic (best-of
 * groups, multipliers, caps). Both sides must arrive at the same total or the figure fails.
 * A quote's trace is built when first read; the headline times the quote as a till takes it, and
 * `extra.withTraceP99Us` times a quote whose every line and rule explanation is also written.
 */
import { Engine } from 'json-rules-engine';
import { compileProgram, quote, type ProgramInput, type RuleInput } from '@clientele/loyalty';
import type { Figure, FigureResult, RunSettings } from '../figure.js';
import { median, percentile, round } from '../stats.js';

const TARGET_P99_US = 50;
const TARGET_RATIO = 50;

const CATEGORIES = [
  'fresh-fruit',
  'vegetables',
  'meat',
  'seafood',
  'dairy',
  'bakery',
  'frozen',
  'grain',
  'oil',
  'snacks',
  'drinks',
  'household',
  'personal-care',
  'baby',
  'pet',
  'alcohol',
  'stationery',
  'appliances',
  'deli',
  'tea',
];

/**
 * A 50-rule program: base rates per category (best of), SKU promotions, brand and tier multipliers, bonuses, store
 * campaigns with budgets.
 */
function benchProgram(): ProgramInput {
  const earn: RuleInput[] = [];
  CATEGORIES.forEach((c, i) =>
    earn.push({
      id: `base-${c}`,
      name: `Base ${c}`,
      kind: 'per-spend',
      group: 'base',
      every: [1000, 500, 2000][i % 3],
      points: 1,
      when: { category: [c] },
    }),
  );
  for (let i = 0; i < 10; i++)
    earn.push({
      id: `promo-${i}`,
      name: `Promo ${i}`,
      kind: 'per-unit',
      points: 5,
      when: { sku: [`SKU-${i * 3}`] },
      caps: { perOrder: 50 },
    });
  for (let i = 0; i < 5; i++)
    earn.push({
      id: `brand-${i}`,
      name: `Brand week ${i}`,
      kind: 'multiplier',
      factor: 1.5,
      when: { brand: [`brand-${i}`], weekday: ['sat', 'sun'] },
    });
  earn.push({
    id: 'weekend',
    name: 'Weekend',
    kind: 'multiplier',
    factor: 2,
    group: 'boost',
    when: { weekday: ['sat', 'sun'] },
  });
  earn.push({
    id: 'gold',
    name: 'Gold members',
    kind: 'multiplier',
    factor: 1.5,
    group: 'boost',
    when: { tier: ['gold'] },
  });
  earn.push({ id: 'first', name: 'First purchase', kind: 'bonus', points: 100, when: { firstPurchase: true } });
  earn.push({ id: 'birthday', name: 'Birthday month', kind: 'bonus', points: 200, when: { birthdayMonth: true } });
  for (let i = 0; i < 4; i++)
    earn.push({
      id: `spend-${i}`,
      name: `Spend ${(i + 1) * 100}`,
      kind: 'bonus',
      group: 'threshold',
      points: 20 * (i + 1),
      when: { minBasket: 10000 * (i + 1) },
    });
  for (let i = 0; i < 3; i++)
    earn.push({
      id: `store-${i}`,
      name: `Store ${i + 1} opening`,
      kind: 'per-spend',
      every: 5000,
      when: { store: [`S0${i + 1}`], dates: { from: '2026-01-01', to: '2026-12-31' } },
      budgets: [{ points: 1_000_000, period: 'month' }],
    });
  earn.push({ id: 'app', name: 'App order', kind: 'bonus', points: 10, when: { channel: ['app'] } });
  earn.push({ id: 'vip', name: 'VIP', kind: 'bonus', points: 50, when: { segment: ['vip'] }, caps: { perDay: 50 } });
  earn.push({
    id: 'evening',
    name: 'Evening',
    kind: 'multiplier',
    factor: 1.2,
    when: { time: { from: '18:00', to: '20:00' } },
  });
  earn.push({
    id: 'dairy-spend',
    name: 'Dairy 20',
    kind: 'bonus',
    points: 30,
    when: { category: ['dairy'], minSpend: 2000 },
  });
  return {
    id: 'bench',
    currency: 'CNY',
    timeZone: 'Asia/Shanghai',
    exclude: { category: ['tobacco', 'gift-card'] },
    groups: { base: 'best-of', boost: 'best-of', threshold: 'best-of' },
    earn,
    tiers: {
      basis: 'points',
      window: { kind: 'rolling', months: 12 },
      review: { kind: 'anniversary', months: 12 },
      levels: [
        { code: 'standard', name: 'Standard', threshold: 0 },
        { code: 'gold', name: 'Gold', threshold: 5000 },
      ],
    },
  };
}

/** Thirty lines over twenty categories, two of them excluded, some on promotion. */
function benchBasket() {
  const lines = Array.from({ length: 30 }, (_, i) => ({
    sku: `SKU-${i}`,
    category: i === 7 ? 'tobacco' : i === 19 ? 'gift-card' : CATEGORIES[i % CATEGORIES.length]!,
    brand: `brand-${i % 7}`,
    quantity: 1 + (i % 3),
    unitPrice: 1000 + i * 137,
    ...(i % 4 === 0 ? { discount: 50 } : {}),
  }));
  return { lines };
}

/** Saturday 18:30 in Shanghai, a gold member in the VIP segment, in their birthday month. */
const CONTEXT = {
  at: new Date('2026-11-07T10:30:00Z'),
  timeZone: 'Asia/Shanghai',
  storeId: 'S01',
  channel: 'store' as const,
  customerId: 'cus_bench',
  tier: 'gold',
  segments: ['vip'],
  firstPurchase: false,
  birthDate: '1990-11-20',
};
const LOCAL = { weekday: 'sat', date: 20261107, minute: 18 * 60 + 30, month: 11 };

type Rule = Record<string, unknown> & { id: string; kind: string; when?: Record<string, unknown> };
const LINE_KEYS = new Set(['category', 'sku', 'brand']);

/** The same rules in json-rules-engine, and the arithmetic that turns their events into points. */
function baseline(program: ProgramInput) {
  const rules = (program.earn ?? []) as Rule[];
  const groups = (program.groups ?? {}) as Record<string, string>;
  const lineEngine = new Engine([], { allowUndefinedFacts: true });
  const basketEngine = new Engine([], { allowUndefinedFacts: true });
  const readsLines = (r: Rule) => r.kind !== 'bonus' || Object.keys(r.when ?? {}).some((k) => LINE_KEYS.has(k));
  for (const r of rules) {
    const all: object[] = [];
    for (const [code, args] of Object.entries(r.when ?? {})) {
      const a = args as never;
      if (['category', 'sku', 'brand', 'store', 'channel', 'weekday', 'tier'].includes(code))
        all.push({ fact: code, operator: 'in', value: a });
      else if (code === 'segment')
        all.push({ any: (a as string[]).map((s) => ({ fact: 'segments', operator: 'contains', value: s })) });
      else if (code === 'dates')
        all.push(
          {
            fact: 'date',
            operator: 'greaterThanInclusive',
            value: Number((a as { from: string }).from.replaceAll('-', '')),
          },
          { fact: 'date', operator: 'lessThanInclusive', value: Number((a as { to: string }).to.replaceAll('-', '')) },
        );
      else if (code === 'time') {
        const m = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
        all.push(
          { fact: 'minute', operator: 'greaterThanInclusive', value: m((a as { from: string }).from) },
          { fact: 'minute', operator: 'lessThan', value: m((a as { to: string }).to) },
        );
      } else if (code === 'firstPurchase' || code === 'birthdayMonth')
        all.push({ fact: code, operator: 'equal', value: a });
      else if (code === 'minBasket') all.push({ fact: 'eligibleBase', operator: 'greaterThanInclusive', value: a });
      // minSpend reads the matched lines' total: checked after the line runs, as the quote does.
    }
    if (all.length === 0) all.push({ fact: 'always', operator: 'equal', value: true });
    (readsLines(r) ? lineEngine : basketEngine).addRule({ conditions: { all } as never, event: { type: r.id } });
  }
  const byId = new Map(rules.map((r) => [r.id, r]));
  const excluded = new Set((program.exclude as { category?: string[] } | undefined)?.category ?? []);

  return async function points(basket: ReturnType<typeof benchBasket>): Promise<number> {
    const lines = basket.lines.map((l) => {
      const qm = Math.round(l.quantity * 1000);
      const gross = Math.floor((qm * l.unitPrice * 2 + 1000) / 2000);
      return { ...l, qm, base: gross - (l.discount ?? 0) };
    });
    const eligible = lines.filter((l) => !excluded.has(l.category));
    const eligibleBase = eligible.reduce((s, l) => s + l.base, 0);
    const facts = {
      storeId: CONTEXT.storeId,
      store: CONTEXT.storeId,
      channel: CONTEXT.channel,
      weekday: LOCAL.weekday,
      tier: CONTEXT.tier,
      segments: CONTEXT.segments,
      date: LOCAL.date,
      minute: LOCAL.minute,
      firstPurchase: CONTEXT.firstPurchase,
      birthdayMonth: true,
      eligibleBase,
      always: true,
    };
    const ruleTotals = new Map<string, number>();
    const matchedBase = new Map<string, number>();
    const add = (id: string, p: number) => ruleTotals.set(id, (ruleTotals.get(id) ?? 0) + p);
    for (const l of eligible) {
      const { events } = await lineEngine.run({ ...facts, category: l.category, sku: l.sku, brand: l.brand });
      const hit = events.map((e) => byId.get(e.type)!);
      for (const r of hit) matchedBase.set(r.id, (matchedBase.get(r.id) ?? 0) + l.base);
      const earners = hit.filter((r) => r.kind === 'per-spend' || r.kind === 'per-unit');
      const best = new Map<string, Rule>();
      const own: Rule[] = [];
      for (const r of earners) {
        const g = r.group as string | undefined;
        if (!g || groups[g] !== 'best-of') own.push(r);
        else {
          const cur = best.get(g);
          const rate = (x: Rule) =>
            x.kind === 'per-spend' ? ((x['points'] as number | undefined) ?? 1) / (x['every'] as number) : 0;
          if (!cur || rate(r) > rate(cur)) best.set(g, r);
        }
      }
      let lineTotal = 0;
      for (const r of [...own, ...best.values()]) {
        const b =
          r.kind === 'per-spend'
            ? Math.floor((l.base * ((r['points'] as number | undefined) ?? 1)) / (r['every'] as number))
            : Math.floor((l.qm * (r['points'] as number)) / 1000);
        add(r.id, b);
        lineTotal += b;
      }
      const multipliers = hit.filter((r) => r.kind === 'multiplier');
      const bestFactor = new Map<string, Rule>();
      for (const m of multipliers) {
        const g = m.group as string | undefined;
        if (!g) add(m.id, Math.floor((lineTotal * (Math.round((m['factor'] as number) * 100) - 100)) / 100));
        else if (!bestFactor.get(g) || (m['factor'] as number) > (bestFactor.get(g)!['factor'] as number))
          bestFactor.set(g, m);
      }
      for (const m of bestFactor.values())
        add(m.id, Math.floor((lineTotal * (Math.round((m['factor'] as number) * 100) - 100)) / 100));
    }
    const { events } = await basketEngine.run(facts);
    const bonuses = [
      ...events.map((e) => byId.get(e.type)!),
      ...rules.filter(
        (r) =>
          r.kind === 'bonus' &&
          readsLines(r) &&
          matchedBase.has(r.id) &&
          matchedBase.get(r.id)! >= ((r.when?.['minSpend'] as number) ?? 0),
      ),
    ];
    const bestBonus = new Map<string, Rule>();
    for (const r of bonuses) {
      const g = r.group as string | undefined;
      if (!g) add(r.id, r['points'] as number);
      else if (!bestBonus.get(g) || (r['points'] as number) > (bestBonus.get(g)!['points'] as number))
        bestBonus.set(g, r);
    }
    for (const r of bestBonus.values()) add(r.id, r['points'] as number);
    let total = 0;
    for (const [id, p] of ruleTotals) {
      const caps = byId.get(id)!['caps'] as { perOrder?: number; perDay?: number } | undefined;
      total += Math.min(p, caps?.perOrder ?? Infinity, caps?.perDay ?? Infinity);
    }
    return total;
  };
}

interface Sizes {
  warmup: number;
  rounds: number;
  quotes: number;
  baselineRuns: number;
}
const FULL: Sizes = { warmup: 20_000, rounds: 5, quotes: 20_000, baselineRuns: 1_000 };
const QUICK: Sizes = { warmup: 2_000, rounds: 3, quotes: 2_000, baselineRuns: 100 };

interface Measured {
  p99: number;
  p50: number;
  withTraceP99: number;
  perSecond: number;
  baselineP99: number;
  baselinePerSecond: number;
  points: number;
  rules: number;
  lines: number;
  rounds: number;
}

let measured: Promise<Measured> | null = null;

async function measure({ quick, log }: RunSettings): Promise<Measured> {
  const sizes = quick ? QUICK : FULL;
  const config = benchProgram();
  const program = compileProgram(config);
  const basket = benchBasket();
  const jre = baseline(config);
  const ours = quote(program, basket, CONTEXT).points;
  const theirs = await jre(basket);
  if (ours !== theirs)
    throw new Error(`the baseline does not evaluate the same rules: ${theirs} points against ${ours}`);
  log(`${program.rules.length} rules, ${basket.lines.length} lines: both sides earn ${ours} points`);

  let sink = 0;
  for (let i = 0; i < sizes.warmup; i++) sink += quote(program, basket, CONTEXT).points;
  const p99s: number[] = [];
  const p50s: number[] = [];
  const rates: number[] = [];
  for (let r = 0; r < sizes.rounds; r++) {
    const times = new Float64Array(sizes.quotes);
    const began = process.hrtime.bigint();
    for (let i = 0; i < sizes.quotes; i++) {
      const t = process.hrtime.bigint();
      sink += quote(program, basket, CONTEXT).points;
      times[i] = Number(process.hrtime.bigint() - t) / 1000;
    }
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const sorted = Array.from(times);
    p99s.push(percentile(sorted, 99));
    p50s.push(percentile(sorted, 50));
    // Throughput without the per-call clock reads.
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < sizes.quotes; i++) sink += quote(program, basket, CONTEXT).points;
    rates.push(sizes.quotes / (Number(process.hrtime.bigint() - t0) / 1e9));
    log(
      `round ${r + 1}/${sizes.rounds}: p50 ${round(p50s[r]!, 1)} µs, p99 ${round(p99s[r]!, 1)} µs, ` +
        `${Math.round(rates[r]!)} baskets/s (timed loop ${round(seconds, 2)} s)`,
    );
  }
  const traced = new Float64Array(sizes.quotes);
  for (let i = 0; i < sizes.quotes; i++) {
    const t = process.hrtime.bigint();
    const q = quote(program, basket, CONTEXT);
    for (const l of q.lines) sink += l.text.length;
    for (const rule of q.rules) sink += rule.text.length;
    traced[i] = Number(process.hrtime.bigint() - t) / 1000;
  }

  for (let i = 0; i < Math.min(100, sizes.baselineRuns); i++) sink += await jre(basket);
  const jreTimes: number[] = [];
  const jreBegan = process.hrtime.bigint();
  for (let i = 0; i < sizes.baselineRuns; i++) {
    const t = process.hrtime.bigint();
    sink += await jre(basket);
    jreTimes.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const jreSeconds = Number(process.hrtime.bigint() - jreBegan) / 1e9;
  if (sink === 0) log('(no points at all?)');
  log(
    `json-rules-engine: p99 ${round(percentile(jreTimes, 99), 0)} µs, ${Math.round(sizes.baselineRuns / jreSeconds)} ` +
      `baskets/s`,
  );
  return {
    p99: median(p99s),
    p50: median(p50s),
    withTraceP99: percentile(Array.from(traced), 99),
    perSecond: median(rates),
    baselineP99: percentile(jreTimes, 99),
    baselinePerSecond: sizes.baselineRuns / jreSeconds,
    points: ours,
    rules: program.rules.length,
    lines: basket.lines.length,
    rounds: sizes.rounds,
  };
}

function measureOnce(settings: RunSettings): Promise<Measured> {
  measured ??= measure(settings);
  return measured;
}

/** `quote.p99`. */
export const quoteP99: Figure = {
  id: 'quote.p99',
  title: 'quote of a 30-line basket against 50 rules: p99 latency (µs)',
  async run(settings): Promise<FigureResult> {
    const m = await measureOnce(settings);
    const clientele = round(m.p99, 1);
    const baseline = round(m.baselineP99, 1);
    return {
      id: 'quote.p99',
      unit: 'µs',
      clientele,
      baseline,
      ratio: round(clientele / baseline, 4),
      higherIsBetter: false,
      target: `p99 < ${TARGET_P99_US} µs`,
      met: clientele < TARGET_P99_US,
      samples: m.rounds,
      extra: {
        p50Us: round(m.p50, 1),
        withTraceP99Us: round(m.withTraceP99, 1),
        rules: m.rules,
        lines: m.lines,
        points: m.points,
      },
      note:
        'median over rounds of each round’s p99; validation of basket and context included; baseline = ' +
        'json-rules-engine with the same rules, one run per line plus one per basket',
    };
  },
};

/** `quote.rules`. */
export const quoteRules: Figure = {
  id: 'quote.rules',
  title: 'quote throughput against json-rules-engine on the same rules (baskets/s)',
  async run(settings): Promise<FigureResult> {
    const m = await measureOnce(settings);
    const clientele = Math.round(m.perSecond);
    const baseline = Math.round(m.baselinePerSecond);
    const ratio = round(clientele / baseline, 1);
    return {
      id: 'quote.rules',
      unit: 'baskets/s',
      clientele,
      baseline,
      ratio,
      higherIsBetter: true,
      target: `ratio >= ${TARGET_RATIO}`,
      met: ratio >= TARGET_RATIO,
      samples: m.rounds,
      extra: { rules: m.rules, lines: m.lines, points: m.points },
      note: 'median of rounds; both sides compute the same total for the same basket',
    };
  },
};

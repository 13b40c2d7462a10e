/**
 * Timeline lines are written when read, in the reader's language, from the facts each entry records:
 * a stored line of English would be English for every host forever. Rows written before entries kept
 * their facts still read as the line they stored.
 */
import type { JsonValue } from '../store/schema.js';
import { formatMoney } from '../money.js';

/** The languages timeline lines are written in. */
export const TIMELINE_LOCALES = ['en', 'zh-CN'] as const;
/** A language of timeline lines: `en` or `zh-CN`. */
export type TimelineLocale = (typeof TIMELINE_LOCALES)[number];

/** What a timeline entry records of what happened, to write its line from (no personal data beyond ids). */
export type TimelineFacts = Record<string, string | number | boolean | null>;

/** Helpers a timeline text writes with, set to the reader's language. */
export interface TimelineSay {
  /** The reader's language. */
  readonly locale: TimelineLocale;
  /** Minor units for people in the reader's language, e.g. `¥86.50` or `CN¥86.50`. */
  money(amount: number, currency: string): string;
  /** The words a person gave with the entry (an interaction's note), or `''`. */
  readonly note: string;
  /**
   * The line another source writes for facts of its own kind, in the reader's language, or null when
   * it has no such text (a return's deductions: each module words what it kept back).
   */
  line(source: string, kind: string, facts: TimelineFacts): string | null;
}

/** How one kind of entry reads in each language. */
export type TimelineText = Readonly<Record<TimelineLocale, (facts: TimelineFacts, say: TimelineSay) => string>>;

/** Texts by source, then by kind; the kind `*` stands for any kind of that source. */
export type TimelineTexts = Readonly<Record<string, Readonly<Record<string, TimelineText>>>>;

/** The stored parts of a timeline entry its line is written from. */
export interface StoredTimelineEntry {
  source: string;
  kind: string;
  summary: string;
  data: JsonValue | null;
}

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The facts an entry recorded, or null for an entry written before entries kept them (or erased since). */
export function timelineFacts(data: JsonValue | null): TimelineFacts | null {
  if (!isObject(data) || !isObject(data['facts'])) return null;
  return data['facts'] as TimelineFacts;
}

/** The `data` a timeline row stores: the entry's own data, with its facts under `facts`. */
export function timelineData(entry: { facts?: TimelineFacts | undefined; data?: JsonValue | undefined }): JsonValue {
  if (!entry.facts) return entry.data ?? null;
  return { ...(isObject(entry.data) ? entry.data : {}), facts: entry.facts };
}

/** Merges the texts of core and each module into one table; a later source's kinds add to an earlier one's. */
export function mergeTimelineTexts(...tables: ReadonlyArray<TimelineTexts | undefined>): TimelineTexts {
  const out: Record<string, Record<string, TimelineText>> = {};
  for (const table of tables)
    for (const [source, kinds] of Object.entries(table ?? {})) out[source] = { ...out[source], ...kinds };
  return out;
}

/**
 * An entry's line in `locale`: written from its facts by the text of its source and kind; else the
 * line the entry stored (older entries, other modules' own lines); else its kind in words.
 */
export function renderTimelineSummary(
  entry: StoredTimelineEntry,
  texts: TimelineTexts,
  locale: TimelineLocale,
): string {
  const facts = timelineFacts(entry.data);
  const text = texts[entry.source]?.[entry.kind] ?? texts[entry.source]?.['*'];
  if (facts && text) {
    const say: TimelineSay = {
      locale,
      money: (amount, currency) => formatMoney(amount, currency, locale),
      note: entry.summary,
      line: (source, kind, own) => texts[source]?.[kind]?.[locale](own, say) ?? null,
    };
    return text[locale](facts, say);
  }
  return entry.summary || entry.kind.replaceAll('-', ' ');
}

/**
 * The facts of a return's deductions, flat as timeline facts are: `deductions` (how many), and for each
 * `deduction<i>.source` with its own facts under `deduction<i>.<name>`.
 */
export function deductionFacts(
  deductions: ReadonlyArray<{ source: string; facts?: TimelineFacts | undefined }>,
): TimelineFacts {
  const out: TimelineFacts = { deductions: deductions.length };
  deductions.forEach((d, i) => {
    out[`deduction${i}.source`] = d.source;
    for (const [name, value] of Object.entries(d.facts ?? {})) out[`deduction${i}.${name}`] = value;
  });
  return out;
}

/**
 * Why a return kept money back, in the reader's language: each deduction as its module words it (kind
 * `refund-deduction` of the deduction's source); the English reasons stored with the return where a
 * deduction has no such text or the return was recorded before deductions kept their facts.
 */
function deductionReasons(f: TimelineFacts, say: TimelineSay): string {
  const count = Number(f['deductions'] ?? 0);
  const stored = String(f['reasons'] ?? '').split('; ');
  if (!count) return String(f['reasons'] ?? '');
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const prefix = `deduction${i}.`;
    const own: TimelineFacts = {};
    for (const [key, value] of Object.entries(f)) if (key.startsWith(prefix)) own[key.slice(prefix.length)] = value;
    lines.push(say.line(String(own['source']), 'refund-deduction', own) ?? stored[i] ?? '');
  }
  return lines.join(say.locale === 'zh-CN' ? '；' : '; ');
}

/** `n` with `one` or `other` after it in English: "1 line", "3 lines". */
export function countEn(n: number, one: string, other: string): string {
  return `${n} ${n === 1 ? one : other}`;
}

const CHANNELS_ZH: Record<string, string> = {
  counter: '柜台',
  phone: '电话',
  web: '网站',
  visit: '上门',
  letter: '信件',
  messaging: '消息',
};

const CUSTOMER_KINDS_ZH: Record<string, string> = { individual: '个人', organisation: '单位', supplier: '供应商' };

/** Core's lines: customers, cards, purchases and interactions. */
export const CORE_TIMELINE_TEXTS: TimelineTexts = {
  customers: {
    registered: {
      en: (f) => `Registered (${f['customerKind']})`,
      'zh-CN': (f) => `已注册（${CUSTOMER_KINDS_ZH[String(f['customerKind'])] ?? f['customerKind']}）`,
    },
    'profile-updated': {
      en: (f) => `Profile updated: ${f['fields']}`,
      'zh-CN': (f) => `资料已更新：${f['fields']}`,
    },
    merged: {
      en: (f) => `Merged duplicate record ${f['mergedId']}`,
      'zh-CN': (f) => `已合并重复档案 ${f['mergedId']}`,
    },
  },
  cards: {
    'card-issued': {
      en: (f) => `${f['typeName']} card ${f['number']} issued`,
      'zh-CN': (f) => `已发放${f['typeName']}卡 ${f['number']}`,
    },
    'card-linked': {
      en: (f) => `Card ${f['number']} linked`,
      'zh-CN': (f) => `已绑定卡 ${f['number']}`,
    },
    'card-lost': {
      en: (f) => `Card ${f['number']} reported lost and blocked`,
      'zh-CN': (f) => `卡 ${f['number']} 已挂失并冻结`,
    },
    'card-replaced': {
      en: (f) => `Card ${f['oldNumber']} replaced by ${f['number']}`,
      'zh-CN': (f) => `卡 ${f['oldNumber']} 已换为 ${f['number']}`,
    },
  },
  purchases: {
    purchase: {
      en: (f, s) => {
        const total = s.money(Number(f['total']), String(f['currency']));
        const lines = countEn(Number(f['lines']), 'line', 'lines');
        return `Bought ${lines} for ${total} at ${f['storeId']} (receipt ${f['receiptNo']})`;
      },
      'zh-CN': (f, s) =>
        `在 ${f['storeId']} 购买 ${f['lines']} 种商品，共 ${s.money(Number(f['total']), String(f['currency']))}` +
        `（小票 ${f['receiptNo']}）`,
    },
    return: {
      en: (f, s) => {
        const money = (n: unknown) => s.money(Number(n), String(f['currency']));
        const deducted = Number(f['deducted'] ?? 0);
        const already = Number(f['alreadyRefunded'] ?? 0);
        const refunded = deducted
          ? `${money(f['payable'])} refunded (${money(f['amount'])} less ${money(deducted)}: ${deductionReasons(f, s)})`
          : `${money(f['payable'])} refunded`;
        return (
          `Returned ${countEn(Number(f['lines']), 'line', 'lines')} of receipt ${f['receiptNo']}: ${refunded}` +
          (already ? ` (${money(already)} of it was already refunded)` : '')
        );
      },
      'zh-CN': (f, s) => {
        const money = (n: unknown) => s.money(Number(n), String(f['currency']));
        const deducted = Number(f['deducted'] ?? 0);
        const already = Number(f['alreadyRefunded'] ?? 0);
        const refunded = deducted
          ? `退款 ${money(f['payable'])}（${money(f['amount'])} 扣除 ${money(deducted)}：${deductionReasons(f, s)}）`
          : `退款 ${money(f['payable'])}`;
        return (
          `退回小票 ${f['receiptNo']} 的 ${f['lines']} 种商品：${refunded}` +
          (already ? `（其中 ${money(already)} 此前已退）` : '')
        );
      },
    },
    void: {
      en: (f) => `Sale ${f['receiptNo']} voided`,
      'zh-CN': (f) => `销售 ${f['receiptNo']} 已作废`,
    },
  },
  interactions: {
    '*': {
      en: (f, s) => `${f['channel']}: ${s.note}`,
      'zh-CN': (f, s) => `${CHANNELS_ZH[String(f['channel'])] ?? f['channel']}：${s.note}`,
    },
  },
};

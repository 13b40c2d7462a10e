/** How the complaints module's timeline entries read in English and Chinese, from the facts each records. */
import type { TimelineTexts } from '@clientele/core/module';

const KINDS_ZH: Record<string, string> = { complaint: '投诉', suggestion: '建议', praise: '表扬' };
const REQUESTS_ZH: Record<string, string> = { repair: '维修', return: '退货', exchange: '换货' };
const SEVERITIES_ZH: Record<string, string> = { low: '低', normal: '一般', high: '高', critical: '紧急' };

/** The complaints module's timeline texts. */
export const COMPLAINTS_TIMELINE_TEXTS: TimelineTexts = {
  complaints: {
    'case-opened': {
      en: (f) => {
        const kind = String(f['caseKind']);
        const what =
          kind === 'after-sales' ? `After-sales ${f['request'] ?? ''} request` : kind[0]!.toUpperCase() + kind.slice(1);
        return `${what} ${f['caseNo']} opened (${f['category']}, ${f['severity']})`;
      },
      'zh-CN': (f) => {
        const kind = String(f['caseKind']);
        const what =
          kind === 'after-sales' ? `售后${REQUESTS_ZH[String(f['request'])] ?? ''}申请` : (KINDS_ZH[kind] ?? kind);
        const severity = SEVERITIES_ZH[String(f['severity'])] ?? f['severity'];
        return `${what} ${f['caseNo']} 已受理（${f['category']}，${severity}）`;
      },
    },
    'case-closed': {
      en: (f, s) =>
        `Case ${f['caseNo']} closed` +
        (f['remedyCost'] ? `; remedies worth ${s.money(Number(f['remedyCost']), String(f['currency']))}` : ''),
      'zh-CN': (f, s) =>
        `案件 ${f['caseNo']} 已结案` +
        (f['remedyCost'] ? `，补救价值 ${s.money(Number(f['remedyCost']), String(f['currency']))}` : ''),
    },
    'remedy-issued': {
      en: (f) =>
        `Service recovery on case ${f['caseNo']}: ` +
        (f['type'] === 'goodwill-points' ? `${f['points']} goodwill points` : `a voucher (${f['templateId']})`),
      'zh-CN': (f) =>
        `案件 ${f['caseNo']} 的服务补救：` +
        (f['type'] === 'goodwill-points' ? `${f['points']} 补偿积分` : `优惠券（${f['templateId']}）`),
    },
  },
};

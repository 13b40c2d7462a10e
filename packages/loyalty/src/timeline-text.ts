/** How the loyalty module's timeline entries read in English and Chinese, from the facts each records. */
import { countEn, type TimelineTexts } from '@clientele/core/module';

const points = (n: unknown) => countEn(Number(n), 'point', 'points');

/** The loyalty module's timeline texts. */
export const LOYALTY_TIMELINE_TEXTS: TimelineTexts = {
  // What a return kept back for loyalty, inside the return's own line (see core's `refund-deduction`).
  'loyalty.points': {
    'refund-deduction': {
      en: (f) => `${points(f['points'])} the returned goods earned were already spent`,
      'zh-CN': (f) => `退回商品所得的 ${f['points']} 积分已使用`,
    },
  },
  'loyalty.voucher': {
    'refund-deduction': {
      en: (f) => `the ${f['templateId']} voucher's discount, which what is left of the sale no longer earns`,
      'zh-CN': (f) => `${f['templateId']} 代金券的优惠，剩余商品已不满足其使用条件`,
    },
  },
  'loyalty.reward': {
    'refund-deduction': {
      en: (f) => `free units of ${f['rewardId']} paid with points, which come back only by whole sets`,
      'zh-CN': (f) => `用积分兑换的 ${f['rewardId']} 免费商品，只按整套退回`,
    },
  },
  loyalty: {
    'points-earned': {
      en: (f) =>
        f['receiptNo'] !== undefined
          ? `Earned ${points(f['points'])} on receipt ${f['receiptNo']}` +
            (f['pendingDays'] ? ` (available after ${f['pendingDays']} days)` : '')
          : `Earned ${points(f['points'])}: ${f['activity']}`,
      'zh-CN': (f) =>
        f['receiptNo'] !== undefined
          ? `小票 ${f['receiptNo']} 获得 ${f['points']} 积分` +
            (f['pendingDays'] ? `（${f['pendingDays']} 天后可用）` : '')
          : `获得 ${f['points']} 积分：${f['activity']}`,
    },
    'points-clawed-back': {
      en: (f, s) => {
        const deducted = f['deducted']
          ? `, ${s.money(Number(f['deducted']), String(f['currency']))} deducted from the refund`
          : '';
        return (
          `${points(f['points'])} taken back for ${f['returnId'] ? 'a return' : 'a voided sale'}` +
          (f['shortfall'] ? ` (${f['shortfall']} already spent${deducted})` : '')
        );
      },
      'zh-CN': (f, s) => {
        const deducted = f['deducted'] ? `，退款中扣除 ${s.money(Number(f['deducted']), String(f['currency']))}` : '';
        return (
          `${f['returnId'] ? '退货' : '销售作废'}收回 ${f['points']} 积分` +
          (f['shortfall'] ? `（${f['shortfall']} 积分已使用${deducted}）` : '')
        );
      },
    },
    'points-expired': {
      en: (f) => `${points(f['points'])} expired (valid through ${f['lastDay']})`,
      'zh-CN': (f) => `${f['points']} 积分已过期（有效期至 ${f['lastDay']}）`,
    },
    'points-adjusted': {
      en: (f) => `Points adjusted by ${Number(f['points']) > 0 ? '+' : ''}${f['points']}`,
      'zh-CN': (f) => `积分调整 ${Number(f['points']) > 0 ? '+' : ''}${f['points']}`,
    },
    'points-goodwill': {
      en: (f) => `${f['points']} goodwill ${Number(f['points']) === 1 ? 'point' : 'points'} granted`,
      'zh-CN': (f) => `赠送 ${f['points']} 补偿积分`,
    },
    'tier-changed': {
      en: (f) => `Tier ${f['from'] ?? 'none'} → ${f['to']} (${f['direction'] === 'up' ? 'qualified' : 'at review'})`,
      'zh-CN': (f) => `等级 ${f['from'] ?? '无'} → ${f['to']}（${f['direction'] === 'up' ? '达标升级' : '定期复核'}）`,
    },
    'voucher-issued': {
      en: (f) => `Voucher ${f['name']} issued (${f['source']}), valid until ${f['until']}`,
      'zh-CN': (f) => `已发放优惠券 ${f['name']}（${f['source']}），有效期至 ${f['until']}`,
    },
    'stored-value-sold': {
      en: (f, s) => `Bought a ${f['product']} card loaded with ${s.money(Number(f['amount']), String(f['currency']))}`,
      'zh-CN': (f, s) => `购买${f['product']}储值卡，充值 ${s.money(Number(f['amount']), String(f['currency']))}`,
    },
    'stored-value-refunded': {
      en: (f, s) => {
        const amount = s.money(Number(f['amount']), String(f['currency']));
        return `Card ${f['number']} taken back: ${amount} paid back, the card is closed`;
      },
      'zh-CN': (f, s) =>
        `储值卡 ${f['number']} 已退卡：退还 ${s.money(Number(f['amount']), String(f['currency']))}，卡已注销`,
    },
    'stored-value-frozen': {
      en: (f) => `Stored-value card ${f['number']} reported lost and frozen`,
      'zh-CN': (f) => `储值卡 ${f['number']} 已挂失并冻结`,
    },
    'stored-value-replaced': {
      en: (f, s) =>
        `Stored-value card ${f['oldNumber']} replaced by ${f['number']}; ` +
        `balance ${s.money(Number(f['amount']), String(f['currency']))} moved`,
      'zh-CN': (f, s) =>
        `储值卡 ${f['oldNumber']} 已换为 ${f['number']}，余额 ${s.money(Number(f['amount']), String(f['currency']))} 已转入`,
    },
  },
};

/**
 * A valid input of every public command of core and the modules (by the name it is reached by on
 * `crm`), referring to the things a full chain holds: what generated wrong inputs are mutated from.
 * Valid means its schema accepts it; the command may still refuse it for the state it finds.
 */
import type { FullChainIds } from './full-chain.js';

const LINES = [
  { sku: 'MILK-1L', name: 'Milk 1 L', category: 'dairy', brand: 'Bright', quantity: 2, unitPrice: 650, discount: 100 },
  { sku: 'APPLE-FUJI', category: 'fresh-fruit', quantity: 1.25, unitPrice: 1299 },
];

/** Valid inputs by the path of the function on `crm` (e.g. `loyalty.vouchers.issue`). */
export function commandSamples(ids: FullChainIds): Record<string, unknown[]> {
  const note = 'Spoke with the customer.\nAll fine.';
  return {
    'customers.register': [
      {
        kind: 'individual',
        name: '李雷',
        gender: 'male',
        birthDate: '1990-05-01',
        homeStoreId: 'S01',
        phone: '+86 138 0013 8001',
        email: 'li.lei@example.com',
        address: '上海市人民路1号',
        tags: ['vip', 'fresh'],
        consent: { sms: true, email: false },
        attributes: { shoeSize: 42, pets: ['cat'], notes: { allergy: null, since: '2020' } },
        verified: true,
      },
      {
        kind: 'organisation',
        legalName: 'Canteen Two Ltd',
        tradeName: 'Canteen 2',
        taxId: '91310000Y',
        industry: 'catering',
        region: 'East',
        sizeClass: 'small',
        contacts: [{ name: 'José Núñez', role: 'purchasing', phone: '13900000000', email: 'jose@example.com' }],
        supplier: { supplierCode: 'SUP-1', categories: ['dairy'], paymentTermsDays: 30 },
        homeStoreId: 'S01',
        attributes: { accountManager: 'E-ROOT' },
      },
      { kind: 'supplier', legalName: 'Dairy Farm Co', supplier: { categories: ['dairy'] }, alsoCustomer: true },
    ],
    'customers.update': [
      {
        customerId: ids.member,
        expectVersion: 1,
        changes: {
          name: '张伟伟',
          tags: ['gold'],
          attributes: { level: 3 },
          address: 'Lane 5, Room 2',
          consent: { phone: true },
          birthDate: null,
        },
        verified: true,
      },
    ],
    'customers.verify': [{ customerId: ids.member }],
    'customers.merge': [{ survivorId: ids.member, mergedId: ids.organisation, reason: 'same person' }],
    'cards.defineType': [{ id: 'SILVER', name: 'Silver', prefix: '77', length: 13, validityMonths: 24 }],
    'cards.issue': [{ typeId: 'GOLD', storeId: 'S01', customerId: ids.member }],
    'cards.link': [{ number: ids.cardNumber, customerId: ids.organisation }],
    'cards.reportLost': [{ number: ids.cardNumber, reason: 'lost at the market' }],
    'cards.replace': [{ number: ids.cardNumber, storeId: 'S01', reason: 'worn out' }],
    'cards.block': [{ number: ids.cardNumber, reason: 'fraud check' }],
    'cards.unblock': [{ number: ids.cardNumber }],
    'purchases.record': [
      {
        storeId: 'S01',
        terminalId: 'T1',
        receiptNo: 'R900001',
        occurredAt: '2026-11-02T09:00:00+08:00',
        cardNumber: ids.cardNumber,
        channel: 'store',
        currency: 'CNY',
        lines: LINES,
      },
      {
        storeId: 'S01',
        terminalId: 'T2',
        receiptNo: 'R900002',
        customerId: ids.member,
        lines: [{ sku: 'RICE-5KG', category: 'grain', quantity: 1, unitPrice: 1000, discount: 100 }],
        payments: [{ method: 'cash', amount: 900, reference: 'drawer 3' }],
      },
    ],
    'purchases.return': [
      {
        purchaseId: ids.purchaseId,
        storeId: 'S01',
        lines: [{ lineNo: 1, quantity: 1 }],
        reason: 'bruised',
        approvedBy: 'E-ROOT',
      },
    ],
    'purchases.void': [{ purchaseId: ids.purchaseId, reason: 'rang up twice' }],
    'interactions.log': [
      {
        customerId: ids.member,
        channel: 'phone',
        kind: 'inquiry',
        summary: 'Asked about opening hours\nand parking',
        at: '2026-11-01T10:00:00+08:00',
        storeId: 'S01',
        related: { type: 'purchase', id: ids.purchaseId },
      },
    ],
    'stores.create': [
      {
        id: 'S03',
        name: 'Riverside',
        region: 'North',
        timeZone: 'Asia/Shanghai',
        openingHours: { mon: [['08:00', '22:00']] },
        holidays: ['2026-12-25'],
      },
    ],
    'stores.update': [{ id: 'S01', name: '人民路店 (new)', openingHours: { tue: [['09:00', '21:00']] } }],
    'roles.define': [
      { id: 'auditor', name: 'Auditor', permissions: ['customers.read', 'sales.*'], limits: { refund: 100 } },
    ],
    'staff.add': [{ id: 'E-NEW', name: 'Zoë Ångström', storeId: 'S01', roleId: 'root' }],
    'staff.setActive': [{ staffId: 'E-ROOT', active: false, roleId: 'root' }],
    'imports.customers': [
      {
        rows: [
          {
            sourceId: 'OLD-1',
            registeredAt: '2019-03-01T08:00:00Z',
            customer: { kind: 'individual', name: 'Zhou Min', phone: '13900001234' },
          },
        ],
      },
    ],
    'imports.sales': [
      {
        rows: [
          {
            sourceId: 'OLD-SALE-1',
            sale: {
              storeId: 'S01',
              terminalId: 'OLD',
              receiptNo: 'OLD-R1',
              occurredAt: '2021-05-04T03:00:00Z',
              lines: [{ sku: 'RICE', category: 'grocery', quantity: 1, unitPrice: 3000 }],
            },
          },
        ],
      },
    ],
    'loyalty.imports.points': [
      {
        rows: [
          {
            sourceId: 'OLD-LOT-1',
            customerId: ids.member,
            points: 120,
            earnedAt: '2026-06-01T04:00:00Z',
            storeId: 'S01',
          },
        ],
      },
    ],
    'loyalty.imports.storedValue': [
      {
        rows: [
          {
            sourceId: 'OLD-CARD-1',
            cardNumber: '9500000000000006',
            productId: 'GIFT',
            storeId: 'S01',
            balance: 5000,
            issuedAt: '2025-06-01T04:00:00Z',
          },
        ],
      },
    ],
    'privacy.exportCustomer': [{ customerId: ids.member }],
    'privacy.eraseCustomer': [{ customerId: ids.member, reason: 'asked to be forgotten' }],
    'loyalty.reserve': [{ customerId: ids.member, points: 10, storeId: 'S01', terminalId: 'T1', minutes: 5 }],
    'loyalty.cancelHold': [{ holdId: ids.holdId }],
    'loyalty.allowances.grant': [
      { customerId: ids.member, points: 10, storeId: 'S01', terminalId: 'T1', minutes: 600 },
    ],
    'loyalty.allowances.draw': [{ allowanceId: ids.holdId, points: 5, terminalId: 'T1' }],
    'loyalty.commitHold': [{ holdId: ids.holdId, ref: { type: 'sale', id: 'R1' } }],
    'loyalty.redeem': [
      { customerId: ids.member, points: 10, ref: { type: 'sale', id: 'R2' }, storeId: 'S01', reason: 'gift' },
    ],
    'loyalty.adjust': [
      { customerId: ids.member, points: -5, reason: 'correction', storeId: 'S01', approvedBy: 'E-ROOT' },
    ],
    'loyalty.grantGoodwill': [
      {
        customerId: ids.member,
        points: 50,
        reason: 'sorry for the wait',
        ref: { type: 'case', id: ids.caseId },
        storeId: 'S01',
      },
    ],
    'loyalty.recordActivity': [
      {
        customerId: ids.member,
        activity: 'app-check-in',
        payload: { streak: 3 },
        storeId: 'S01',
        ref: { type: 'app', id: 'chk1' },
      },
    ],
    'loyalty.vouchers.defineTemplate': [
      {
        id: 'PCT',
        name: '10% off dairy',
        value: { kind: 'percent', percent: 10, max: 2000 },
        minSpend: 5000,
        validity: { kind: 'fixed', from: '2026-11-01', until: '2026-12-31' },
        categories: ['dairy'],
        stores: ['S01'],
        stackable: false,
        perCustomer: 1,
        conversion: { points: 500 },
      },
    ],
    'loyalty.vouchers.retireTemplate': [{ templateId: 'TEN' }],
    'loyalty.vouchers.issue': [
      {
        templateId: 'TEN',
        customerId: ids.member,
        source: 'manual',
        ref: { type: 'campaign', id: 'c1' },
        storeId: 'S01',
        reason: 'welcome',
      },
    ],
    'loyalty.vouchers.convert': [{ templateId: 'TEN', customerId: ids.member, quantity: 1, storeId: 'S01' }],
    'loyalty.vouchers.cancel': [{ code: ids.voucherCode, reason: 'issued by mistake' }],
    'loyalty.vouchers.reserve': [
      {
        code: ids.voucherCode,
        storeId: 'S01',
        terminalId: 'T1',
        customerId: ids.member,
        basket: { lines: LINES },
        minutes: 5,
      },
    ],
    'loyalty.vouchers.cancelHold': [{ code: ids.voucherCode }],
    'loyalty.storedValue.defineProduct': [
      {
        id: 'MEMBER',
        name: 'Member card',
        kind: 'named',
        prefix: '96',
        values: [5000, 10000],
        minValue: 100,
        maxValue: 100000,
        maxBalance: 200000,
        topUp: { allowed: true, min: 100, bonuses: [{ from: 10000, bonus: 500 }] },
        stores: ['S01'],
        pin: 'optional',
        validityMonths: 36,
        breakage: { onExpiry: true, dormantMonths: 24 },
      },
    ],
    'loyalty.storedValue.sell': [
      { productId: 'GIFT', storeId: 'S01', amount: 5000 },
      { productId: 'GIFT', storeId: 'S01', amount: 5000, pin: '2468' },
      { productId: 'GIFT', storeId: 'S01', amount: 5000, tender: { method: 'wechat-pay', reference: 'WX-1' } },
    ],
    'loyalty.storedValue.topUp': [
      { cardNumber: ids.svCardNumber, amount: 1000, storeId: 'S01' },
      { cardNumber: ids.svCardNumber, amount: 1000, storeId: 'S01', tender: { method: 'bank-card' } },
    ],
    'loyalty.storedValue.refundSale': [
      { cardNumber: ids.svCardNumber, storeId: 'S01', reason: 'gift not wanted', approvedBy: 'E-ROOT' },
    ],
    'loyalty.rewards.claim': [
      {
        customerId: ids.member,
        rewardId: 'yogurt',
        units: 2,
        storeId: 'S01',
        terminalId: 'T1',
        basket: { lines: LINES },
      },
      {
        customerId: ids.member,
        rewardId: 'yogurt',
        units: 1,
        storeId: 'S01',
        terminalId: 'T1',
        basket: { lines: LINES, vouchers: [{ amount: 100, lines: [0] }] },
        minutes: 5,
      },
    ],
    'loyalty.rewards.cancelClaim': [{ claimId: ids.holdId }],
    'loyalty.rewards.reverse': [{ claimId: ids.holdId, units: 1, reason: 'not handed over', approvedBy: 'E-ROOT' }],
    'loyalty.storedValue.authorize': [
      { cardNumber: ids.svCardNumber, amount: 100, storeId: 'S01', terminalId: 'T1', minutes: 10 },
      { cardNumber: ids.svCardNumber, amount: 100, storeId: 'S01', terminalId: 'T1', pin: '2468' },
    ],
    'loyalty.storedValue.capture': [{ paymentId: ids.svPaymentId, amount: 500, ref: { type: 'sale', id: 'R3' } }],
    'loyalty.storedValue.cancelAuthorization': [{ paymentId: ids.svPaymentId }],
    'loyalty.storedValue.allowances.grant': [
      { cardNumber: ids.svCardNumber, amount: 100, storeId: 'S01', terminalId: 'T1', minutes: 600 },
    ],
    'loyalty.storedValue.allowances.draw': [{ allowanceId: ids.svPaymentId, amount: 50, terminalId: 'T1' }],
    'loyalty.storedValue.spend': [
      { cardNumber: ids.svCardNumber, amount: 100, storeId: 'S01', ref: { type: 'order', id: 'W1' } },
      { cardNumber: ids.svCardNumber, amount: 100, storeId: 'S01', ref: { type: 'order', id: 'W2' }, pin: '2468' },
    ],
    'loyalty.storedValue.refund': [{ paymentId: ids.svPaymentId, amount: 100, reason: 'returned', storeId: 'S01' }],
    'loyalty.storedValue.transfer': [{ from: ids.svCardNumber, to: ids.svCardNumber, amount: 100, reason: 'one card' }],
    'loyalty.storedValue.reportLost': [{ cardNumber: ids.svCardNumber, reason: 'lost' }],
    'loyalty.storedValue.replace': [{ cardNumber: ids.svCardNumber, storeId: 'S01', reason: 'damaged' }],
    'loyalty.storedValue.unlock': [{ cardNumber: ids.svCardNumber, reason: 'identity checked' }],
    'loyalty.storedValue.setPin': [{ cardNumber: ids.svCardNumber, pin: '2468' }],
    'complaints.open': [
      {
        kind: 'after-sales',
        request: 'exchange',
        channel: 'phone',
        storeId: 'S01',
        customerId: ids.member,
        contact: { name: '张伟', phone: '13800138000', email: 'zhang@example.com' },
        purchaseId: ids.purchaseId,
        items: [{ sku: 'MILK-1L', name: 'Milk', category: 'dairy', lineNo: 1, quantity: 1 }],
        category: 'dairy',
        severity: 'high',
        description: 'Leaking carton.\nAsked for another.',
        attachments: ['photo-1.jpg'],
      },
    ],
    'complaints.settleAtCounter': [
      {
        case: {
          kind: 'complaint',
          channel: 'counter',
          storeId: 'S01',
          customerId: ids.member,
          category: 'service',
          severity: 'low',
          description: 'Long queue',
        },
        remedies: [{ type: 'compensation', amount: 500, note: 'cash' }],
        approverStaffId: 'E-ROOT',
        rootCause: 'slow-checkout',
        resolution: 'Apologised.',
      },
    ],
    'complaints.acknowledge': [{ caseId: ids.caseId, note }],
    'complaints.investigate': [{ caseId: ids.caseId, note }],
    'complaints.explain': [{ caseId: ids.caseId, note }],
    'complaints.mediate': [{ caseId: ids.caseId, note }],
    'complaints.propose': [
      {
        caseId: ids.caseId,
        remedies: [
          { type: 'refund', amount: 650 },
          { type: 'goodwill-points', points: 100 },
          { type: 'voucher', templateId: 'TEN', amount: 1000 },
          { type: 'exchange' },
          { type: 'repair', amount: 0, note: 'free' },
        ],
        approverStaffId: 'E-ROOT',
        note,
      },
    ],
    'complaints.approve': [{ caseId: ids.caseId, note }],
    'complaints.decline': [{ caseId: ids.caseId, note }],
    'complaints.answer': [{ caseId: ids.caseId, accepted: true, note }],
    'complaints.rule': [
      { caseId: ids.caseId, decision: 'refund', reason: 'faulty', amount: 650, approverStaffId: 'E-ROOT' },
    ],
    'complaints.appeal': [{ caseId: ids.caseId, note }],
    'complaints.escalate': [{ caseId: ids.caseId, note }],
    'complaints.execute': [
      { caseId: ids.caseId, task: { ownerStaffId: 'E-ROOT', description: 'Swap the kettle', dueInMinutes: 60 }, note },
    ],
    'complaints.completeTask': [{ caseId: ids.caseId, note }],
    'complaints.verify': [{ caseId: ids.caseId, note }],
    'complaints.close': [{ caseId: ids.caseId, rootCause: 'stale-goods', resolution: 'Refunded.' }],
    'complaints.reopen': [{ caseId: ids.caseId, note }],
    'complaints.pause': [{ caseId: ids.caseId, note }],
    'complaints.resume': [{ caseId: ids.caseId, note }],
    'complaints.actions.create': [
      {
        caseId: ids.caseId,
        storeId: 'S01',
        cause: 'stale-goods',
        description: 'Retrain the dairy team',
        ownerStaffId: 'E-ROOT',
        dueInMinutes: 120,
      },
    ],
    'complaints.actions.complete': [{ actionId: ids.actionId, note }],
    'complaints.actions.verify': [{ actionId: ids.actionId, note }],
    'complaints.surveys.invite': [
      {
        questionnaireId: 'after-purchase',
        storeId: 'S01',
        customerId: ids.member,
        ref: { type: 'purchase', id: ids.purchaseId },
      },
    ],
    'complaints.surveys.respond': [
      { invitationId: ids.invitationId, answers: { 'q-fresh': 4, 'q-nps': 9 }, comment: 'Good' },
    ],
    'segments.define': [
      {
        id: 'fresh-lovers',
        name: 'Fresh lovers',
        description: 'Buy fruit often',
        definition: {
          all: [
            { field: 'visits', op: 'gte', value: 3 },
            {
              any: [
                { field: 'categories.fresh-fruit', op: 'gte', value: 1000 },
                { condition: 'has-tag', args: { tag: 'vip' } },
              ],
            },
            { field: 'lastPurchaseAt', op: 'gt', value: { daysAgo: 30 } },
            { field: 'attributes.shoeSize', op: 'in', value: [41, 42] },
          ],
        },
        policy: { pointsMultiplier: 2, freeDelivery: true, serviceLevel: 'priority', visitEveryDays: 30 },
        priority: 5,
        active: true,
      },
    ],
    'segments.rebuild': [{ parts: ['stats'], chunkSize: 100 }],
    'segments.credit.setAccount': [
      { customerId: ids.organisation, limit: 100000, termsDays: 30, mode: 'warn', onHold: false },
    ],
    'segments.credit.approve': [{ customerId: ids.organisation, amount: 1000, approvedBy: 'E-ROOT' }],
    'segments.credit.recordPayment': [{ customerId: ids.organisation, amount: 1000, reference: 'bank 123' }],
    'segments.keyAccounts.assess': [
      {
        customerId: ids.organisation,
        contractMonths: 24,
        growthPotential: 3,
        strategicImportance: 4,
        representativeId: 'E-ROOT',
        visitEveryDays: 30,
      },
    ],
    'segments.keyAccounts.recordVisit': [
      { customerId: ids.organisation, at: '2026-11-01T10:00:00+08:00', summary: 'Quarterly review' },
    ],
  };
}

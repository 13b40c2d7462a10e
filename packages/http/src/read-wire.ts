/**
 * How the client sends each read of `READS`: its method, then each positional argument as the
 * request field it fills, or `*` for an object whose own fields are request fields. It is what
 * `readBinding` makes of `READS` (a test checks every entry both ways), written out so that a client
 * does not carry the reads' schemas, and the modules that define them, only to learn fields' names.
 */
import { requestFields } from './read-fields.js';

/** Each read's path on `crm` and how it is sent: `get customerId *`. */
export const READ_WIRE: Readonly<Record<string, string>> = {
  'customers.get': 'get customerId',
  'customers.search': 'get *',
  'customers.history': 'get customerId *',
  'customers.needingReview': 'get *',
  'customers.duplicatesOf': 'get customerId',
  'customers.findDuplicates': 'get *',
  'customers.listMerges': 'get *',
  'cards.get': 'get number',
  'cards.lookup': 'get number',
  'cards.ofCustomer': 'get customerId',
  'purchases.get': 'get purchaseId',
  'purchases.byReceipt': 'get storeId terminalId receiptNo',
  'purchases.ofCustomer': 'get customerId *',
  'purchases.returnsOf': 'get purchaseId',
  'interactions.list': 'get customerId *',
  timeline: 'get customerId *',
  'stores.get': 'get storeId',
  'stores.list': 'get *',
  'stores.calendar': 'get storeId',
  'roles.get': 'get roleId',
  'staff.get': 'get staffId',
  'staff.list': 'get *',
  'staff.authorityFor': 'post actor action amount',
  'audit.list': 'get *',
  'loyalty.quote': 'post basket context',
  'loyalty.contextFor': 'get *',
  'loyalty.quoteFor': 'post context basket',
  'loyalty.balance': 'get customerId',
  'loyalty.statement': 'get customerId *',
  'loyalty.expirySchedule': 'get customerId',
  'loyalty.liability': 'get *',
  'loyalty.saleAward': 'get purchaseId',
  'loyalty.previewReturn': 'post *',
  'loyalty.tierProgress': 'get customerId',
  'loyalty.vouchers.template': 'get templateId',
  'loyalty.vouchers.templates': 'get',
  'loyalty.vouchers.eligible': 'post *',
  'loyalty.vouchers.lookup': 'get code',
  'loyalty.vouchers.get': 'get voucherId',
  'loyalty.vouchers.ofCustomer': 'get customerId *',
  'loyalty.vouchers.history': 'get voucherId',
  'loyalty.storedValue.product': 'get productId',
  'loyalty.storedValue.card': 'get cardNumber',
  'loyalty.storedValue.statement': 'get cardNumber *',
  'loyalty.storedValue.ofCustomer': 'get customerId',
  'loyalty.storedValue.liability': 'get *',
  'complaints.get': 'get caseId',
  'complaints.byNumber': 'get caseNo',
  'complaints.list': 'get *',
  'complaints.history': 'get caseId',
  'complaints.archive.search': 'get *',
  'complaints.reports.sla': 'get *',
  'complaints.reports.causes': 'get *',
  'complaints.actions.get': 'get actionId',
  'complaints.actions.list': 'get *',
  'complaints.surveys.questionnaires': 'get',
  'complaints.surveys.invitations': 'get *',
  'complaints.surveys.scores': 'get *',
  'complaints.surveys.satisfaction': 'get customerId *',
  'segments.get': 'get segmentId',
  'segments.list': 'get',
  'segments.match': 'post definition *',
  'segments.members': 'get segmentId *',
  'segments.segmentsOf': 'get customerId',
  'segments.policyFor': 'get customerId',
  'segments.stats': 'get customerId',
  'segments.atRisk': 'get *',
  'segments.distribution': 'get by',
  'segments.credit.check': 'get customerId amount',
  'segments.credit.status': 'get customerId',
  'segments.credit.ledger': 'get customerId',
  'segments.keyAccounts.due': 'get now',
  'segments.keyAccounts.get': 'get customerId',
  'segments.reports.structure': 'post *',
  'segments.recommendations.boughtTogether': 'get *',
  'segments.recommendations.nextCategories': 'get customerId *',
  'webhooks.endpoints': 'get',
  'webhooks.deliveries': 'get *',
};

/** What the client needs of a read: its method, and the request's fields from its positional arguments. */
export interface ReadWire {
  readonly method: 'get' | 'post';
  fieldsOf(args: readonly unknown[]): Record<string, unknown>;
}

/** How a read of `READS` is sent, or `undefined` when `path` is none of them. */
export function readWire(path: string): ReadWire | undefined {
  if (!Object.hasOwn(READ_WIRE, path)) return undefined;
  const [method, ...args] = READ_WIRE[path]!.split(' ');
  const names = args.map((arg) => (arg === '*' ? null : arg));
  return { method: method as ReadWire['method'], fieldsOf: (values) => requestFields(names, values) };
}

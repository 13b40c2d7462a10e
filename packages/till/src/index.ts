/**
 * `@clientele/till`: a till that keeps selling when it cannot reach the chain's Clientele.
 *
 * - `createTill({ terminalId, storeId, local, central })` rings up sales on central while it answers,
 *   and otherwise into an operation log in the till's own store, with points quoted from its cache
 *   and marked "points pending sync"; `sync()` replays the log in order, each sale once.
 * - Points and stored value are spent offline only within an allowance central reserved for the card
 *   at this terminal.
 * - `inProcessCentral(crm, { actor })` and `httpCentral(client, { program })` are the two ways to central.
 *
 * @packageDocumentation
 */
export {
  createTill,
  type Till,
  type TillOptions,
  type TillReceipt,
  type TillMember,
  type TillQuote,
  type ReconciliationItem,
  type SyncResult,
} from './till.js';
export {
  inProcessCentral,
  httpCentral,
  type TillCentral,
  type CentralCalls,
  type CentralFn,
  type CentralCard,
  type CentralCardAuthorization,
  type CentralHold,
  type CentralMember,
  type CentralSale,
} from './central.js';
export {
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
export {
  tillSettingsSchema,
  tillSaleSchema,
  tillQuoteSchema,
  holdVoucherSchema,
  settleSchema,
  type TillSettings,
  type TillSaleInput,
  type TillQuoteInput,
  type SettleInput,
} from './schemas.js';
export {
  opsCollection,
  cacheCollection,
  reconciliationCollection,
  countersCollection,
  tillMigrations,
  opId,
} from './local-store.js';

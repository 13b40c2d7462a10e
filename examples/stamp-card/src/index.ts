/**
 * A coffee stamp card as a Clientele module: the example `docs/writing-a-module.md` walks through.
 * This file is the module's whole public face.
 */
export { stampCard, type StampCardApi } from './stamps-module.js';
export { stampCardConfigSchema, type StampCardConfig, type StampCardConfigInput } from './config.js';
export { stampCollections, stampMigrations, stampsCollection, rewardsCollection } from './collections.js';
export type { StampEvents } from './events.js';
export { redeemSchema, type Reward } from './redemption.js';
export type { StampBalance } from './balance.js';
export { SCHEDULER as STAMP_SCHEDULER } from './expiry.js';
export { stampingLines, expiryOf, cardState, type RuleLine } from './stamp-rules.js';

/**
 * What the stamp card stores: one row per stamp (so each expires on its own day and a reward says
 * which stamps it used) and one row per reward. Neither holds personal data: ids, dates and counts.
 */
import { defineCollection, field, nullable, type Migration } from '@clientele/core/module';

/** Stamps: one per qualifying sale line, `live` until a reward uses it or it expires. */
export const stampsCollection = defineCollection({
  name: 'stamp_stamps',
  primaryKey: 'id',
  fields: {
    /** `purchaseId:lineNo`: a line gives one stamp, however often its event is seen. */
    id: field.string(),
    customerId: field.string(),
    purchaseId: field.string(),
    storeId: field.string(),
    givenAt: field.timestamp(),
    expiresAt: field.timestamp(),
    /** `live`, `used` or `expired`. */
    status: field.string(),
    /** The reward that used it. */
    rewardId: nullable(field.string()),
  },
  indexes: [
    { name: 'stamp_stamps_customer', fields: ['customerId', 'status', 'givenAt'] },
    { name: 'stamp_stamps_expiry', fields: ['status', 'expiresAt'] },
  ],
  customerKey: 'customerId',
  plain: ['purchaseId', 'storeId', 'status', 'rewardId'],
});

/** Rewards: a free item given for a full card, with the value checked against the giver's limit. */
export const rewardsCollection = defineCollection({
  name: 'stamp_rewards',
  primaryKey: 'id',
  fields: {
    id: field.string(),
    customerId: field.string(),
    storeId: field.string(),
    redeemedAt: field.timestamp(),
    stamps: field.integer(),
    /** The free item's price, minor units. */
    value: field.integer(),
  },
  indexes: [{ name: 'stamp_rewards_customer', fields: ['customerId', 'redeemedAt'] }],
  customerKey: 'customerId',
  plain: ['storeId'],
});

/** Every collection of the module. */
export const stampCollections = [stampsCollection, rewardsCollection] as const;

/** The module's migrations, in order. A later version appends one; an applied one is never edited. */
export const stampMigrations: readonly Migration[] = [
  {
    id: 'stamp-card/0001-initial',
    steps: stampCollections.map((collection) => ({ op: 'createCollection' as const, collection })),
  },
];

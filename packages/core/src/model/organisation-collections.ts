/** Collections of the retailer's own organisation: stores, roles, staff. */
import { defineCollection, field, nullable } from '../store/schema.js';
import type { OpeningHours } from './business-calendar.js';

/** A store of the chain. */
export const storesCollection = defineCollection({
  name: 'stores',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    name: field.string(),
    region: field.string(),
    timeZone: field.string(),
    openingHours: field.json<OpeningHours>(),
    holidays: field.json<string[]>(),
    active: field.boolean(),
    createdAt: field.timestamp(),
  },
  indexes: [{ name: 'stores_region', fields: ['region'] }],
  plain: ['name', 'region', 'timeZone', 'openingHours', 'holidays'],
});

/** A role: permissions and monetary authority limits. */
export const rolesCollection = defineCollection({
  name: 'roles',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    name: field.string(),
    permissions: field.json<string[]>(),
    limits: field.json<Record<string, number>>(),
    /** Per limit name, the most one person may move under it per local day (null: no daily limits). */
    dailyLimits: nullable(field.json<Record<string, number>>()),
    createdAt: field.timestamp(),
  },
  plain: ['name', 'permissions', 'limits', 'dailyLimits'],
});

/** A member of staff. */
export const staffCollection = defineCollection({
  name: 'staff',
  primaryKey: 'id',
  versioned: true,
  fields: {
    id: field.string(),
    name: field.string(),
    storeId: field.string(),
    roleId: field.string(),
    active: field.boolean(),
    createdAt: field.timestamp(),
  },
  indexes: [{ name: 'staff_store', fields: ['storeId'] }],
  // A member of staff's name is theirs; a customer's erasure does not touch it.
  personal: ['name'],
  plain: ['storeId', 'roleId'],
});

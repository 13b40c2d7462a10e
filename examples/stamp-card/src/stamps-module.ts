/**
 * `stampCard(config)`: the module factory. Mounted as `crm.stamps`; its collections, migrations,
 * commands, query, handler and `runDue` come from here.
 */
import { defineModule, instantSchema, parseInput, type ModuleDefinition } from '@clientele/core/module';
import { createBalance } from './balance.js';
import { stampCollections, stampMigrations } from './collections.js';
import { parseStampCardConfig, type StampCardConfig, type StampCardConfigInput } from './config.js';
import { createEarning } from './earning.js';
import type { StampEvents, StampKernel } from './events.js';
import { createExpiry } from './expiry.js';
import { createRedemption } from './redemption.js';

function buildApi(kernel: StampKernel, config: StampCardConfig) {
  const earning = createEarning(config);
  const redemption = createRedemption(kernel, config);
  const expiry = createExpiry(kernel);
  const api = {
    /**
     * Exchanges a full card for a free item: needs `stamps.redeem`, `stamp-reward` authority and an idempotency key.
     */
    redeem: redemption.redeem,
    /** A member's stamps, free items and next expiry. Needs `stamps.read`. */
    balance: createBalance(kernel, config),
    /** The configuration in force, with defaults filled in. */
    config,
    /** Expires what fell due by `now` (the same work `crm.runDue` does for this module). */
    runDue: (now: Date | string = kernel.clock.now()) => expiry.runDue(parseInput(instantSchema, now, ['now'])),
  };
  return { api, handlers: earning.handlers, runDue: expiry.runDue };
}

/** The API mounted as `crm.stamps`. */
export type StampCardApi = ReturnType<typeof buildApi>['api'];

/**
 * The stamp card: a stamp for each sale line of a category, a free item for a full card, stamps that
 * expire. The configuration is checked at once; a bad one throws `VALIDATION_FAILED` naming its paths.
 */
export function stampCard(config: StampCardConfigInput): ModuleDefinition<'stamps', StampCardApi, StampEvents> {
  const resolved = parseStampCardConfig(config);
  return defineModule<'stamps', StampCardApi, StampEvents>({
    name: 'stamps',
    collections: stampCollections,
    migrations: stampMigrations,
    setup(kernel) {
      const { api, handlers, runDue } = buildApi(kernel, resolved);
      return { api, handlers, runDue };
    },
  });
}

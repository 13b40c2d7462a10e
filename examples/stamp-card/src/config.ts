/** The stamp card's settings: which category earns, how many stamps a reward takes, how long stamps last. */
import { codeSchema, minorUnitsSchema, parseInput } from '@clientele/core/module';
import * as z from 'zod';

/** Input of `stampCard(config)`. */
export const stampCardConfigSchema = z
  .object({
    /** The product category whose lines earn a stamp each (`coffee`). */
    category: codeSchema,
    /** Stamps a free item takes. */
    stampsPerReward: z.number().int().min(2).max(50).default(8),
    /** The free item's price, minor units: the amount checked against the `stamp-reward` limit. */
    rewardValue: minorUnitsSchema,
    /** Days a stamp lasts from the sale that gave it. */
    expiryDays: z.number().int().min(1).max(3650).default(90),
  })
  .strict();

/** The settings as given. */
export type StampCardConfigInput = z.input<typeof stampCardConfigSchema>;
/** The settings with defaults filled in. */
export type StampCardConfig = z.output<typeof stampCardConfigSchema>;

/** Checks the settings once, when the module is declared; bad ones throw `VALIDATION_FAILED` naming each path. */
export function parseStampCardConfig(input: StampCardConfigInput): StampCardConfig {
  return parseInput(stampCardConfigSchema, input, ['config']);
}

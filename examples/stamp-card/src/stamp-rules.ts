/** The stamp card's rules as pure functions: no store, no clock, so a till can show them offline. */

/** A sale line as the rules need it. */
export interface RuleLine {
  lineNo: number;
  category: string;
  /** Thousandths of a unit (a sale line's `quantityMilli`). */
  quantityMilli: number;
}

/** The line numbers that earn a stamp: one per line of the category, whatever its quantity. */
export function stampingLines(lines: readonly RuleLine[], category: string): number[] {
  return lines.filter((l) => l.category === category && l.quantityMilli > 0).map((l) => l.lineNo);
}

/** When a stamp given at `givenAt` expires: `days` whole days of 24 hours later. */
export function expiryOf(givenAt: Date, days: number): Date {
  return new Date(givenAt.getTime() + days * 86_400_000);
}

/** How many free items `live` stamps pay for, and how many more stamps the next one needs. */
export function cardState(live: number, perReward: number): { rewards: number; toNext: number } {
  return { rewards: Math.floor(live / perReward), toNext: perReward - (live % perReward) };
}

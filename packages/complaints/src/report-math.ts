/**
 * Report arithmetic, pure: service-level shares per level and the Pareto ranking of causes.
 */

/** One stay of a case at one level, as the SLA report reads it. */
export interface LevelStint {
  storeId: string;
  ladder: string;
  level: number;
  levelId: string;
  enteredAt: Date;
  acknowledgeBy: Date;
  acknowledgedAt: Date | null;
  /** Null for a response-only stay, which has no resolve clock. */
  resolveBy: Date | null;
  resolvedAt: Date | null;
  /** When the case left the level (escalated, or closed there); null while it is still there. */
  leftAt: Date | null;
}

/** How one clock of one stint ended up. */
export type ClockOutcome = 'on-time' | 'late' | 'passed-on' | 'pending';

/** The outcome of a clock that stops at `doneAt`, due at `due`, for a stint that left at `leftAt`. */
export function clockOutcome(due: Date, doneAt: Date | null, leftAt: Date | null, now: Date): ClockOutcome {
  if (doneAt) return doneAt.getTime() <= due.getTime() ? 'on-time' : 'late';
  // Leaving at the very instant the clock ran out is the escalation that the miss caused: late.
  const end = leftAt ?? now;
  if (end.getTime() >= due.getTime()) return 'late';
  return leftAt ? 'passed-on' : 'pending';
}

/** Counts of clock outcomes and the share met. */
export interface ClockSummary {
  onTime: number;
  late: number;
  /** Left the level before the clock ran out, without stopping it (escalated for authority or an appeal). */
  passedOn: number;
  pending: number;
  /** `onTime / (onTime + late)`, as a fraction 0 to 1; null when nothing was decided yet. */
  share: number | null;
}

function summary(outcomes: ClockOutcome[]): ClockSummary {
  const count = (o: ClockOutcome) => outcomes.filter((x) => x === o).length;
  const onTime = count('on-time');
  const late = count('late');
  return {
    onTime,
    late,
    passedOn: count('passed-on'),
    pending: count('pending'),
    share: onTime + late === 0 ? null : Math.round((onTime / (onTime + late)) * 1000) / 1000,
  };
}

/** One row of the SLA report: one level of one ladder at one store. */
export interface SlaRow {
  storeId: string;
  ladder: string;
  level: number;
  levelId: string;
  /** Stays at this level that began in the period. */
  cases: number;
  acknowledged: ClockSummary;
  /** The stays with a resolve clock: response-only stays are counted in `responseOnly` instead. */
  resolved: ClockSummary;
  /** Stays under a response-only agreement (an acknowledge limit and no resolve limit). */
  responseOnly: number;
  /** Mean business minutes spent at the level (open stays count up to now). */
  meanBusinessMinutes: number | null;
  /** Total business minutes spent at the level. */
  totalBusinessMinutes: number;
}

/**
 * Groups stints by store, ladder and level. `businessMs` measures a stint's time at its level in its
 * store's business hours (up to `now` while it is still there).
 */
export function slaRows<S extends LevelStint>(
  stints: readonly S[],
  now: Date,
  businessMs: (stint: S) => number,
): SlaRow[] {
  const groups = new Map<string, S[]>();
  for (const s of stints) {
    const key = JSON.stringify([s.storeId, s.ladder, s.level]);
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  const rows: SlaRow[] = [];
  for (const list of groups.values()) {
    const first = list[0]!;
    const total = list.reduce((sum, s) => sum + businessMs(s), 0);
    rows.push({
      storeId: first.storeId,
      ladder: first.ladder,
      level: first.level,
      levelId: first.levelId,
      cases: list.length,
      acknowledged: summary(list.map((s) => clockOutcome(s.acknowledgeBy, s.acknowledgedAt, s.leftAt, now))),
      resolved: summary(
        list.flatMap((s) => (s.resolveBy ? [clockOutcome(s.resolveBy, s.resolvedAt, s.leftAt, now)] : [])),
      ),
      responseOnly: list.filter((s) => s.resolveBy === null).length,
      meanBusinessMinutes: list.length ? Math.round(total / list.length / 6000) / 10 : null,
      totalBusinessMinutes: Math.round(total / 6000) / 10,
    });
  }
  return rows.sort(
    (a, b) => a.storeId.localeCompare(b.storeId) || a.ladder.localeCompare(b.ladder) || a.level - b.level,
  );
}

/** A cause with how often it occurred and what it cost. */
export interface CauseTotal {
  cause: string;
  cases: number;
  /** Minor units paid out in remedies for cases with this cause. */
  cost: number;
}

/** A cause ranked in a Pareto table. */
export interface ParetoRow extends CauseTotal {
  rank: number;
  /** This cause's share of the ranked measure, 0 to 1. */
  share: number;
  /** Share of this cause and every cause ranked above it. */
  cumulative: number;
  /** Among the "vital few": the causes that together make up the first `cutoff` (80 %) of the measure. */
  vital: boolean;
}

/** Ranks causes by frequency or cost, with cumulative shares; ties are broken by the other measure, then by name. */
export function pareto(totals: readonly CauseTotal[], by: 'cases' | 'cost', cutoff = 0.8): ParetoRow[] {
  const other = by === 'cases' ? 'cost' : 'cases';
  const sorted = [...totals].sort((a, b) => b[by] - a[by] || b[other] - a[other] || a.cause.localeCompare(b.cause));
  const sum = sorted.reduce((s, t) => s + t[by], 0);
  let running = 0;
  let reached = false;
  return sorted.map((t, i) => {
    running += t[by];
    // The cause that crosses the cutoff still belongs to the vital few.
    const vital = sum > 0 && !reached && t[by] > 0;
    if (sum > 0 && running / sum >= cutoff) reached = true;
    return {
      ...t,
      rank: i + 1,
      share: sum === 0 ? 0 : Math.round((t[by] / sum) * 1000) / 1000,
      cumulative: sum === 0 ? 0 : Math.round((running / sum) * 1000) / 1000,
      vital,
    };
  });
}

/**
 * The escalation ladder, pure parts: which ladder a case climbs, the time limits that apply at a
 * level, who may act at a level, and which level may approve a remedy.
 */
import type { CaseKind } from './case-states.js';
import type { ComplaintsConfig, Level, TimeLimit } from './config.js';

/** The levels of the ladder a kind of case climbs. */
export function ladderOf(config: ComplaintsConfig, kind: CaseKind): readonly Level[] {
  return config.ladders[config.routes[kind]]!;
}

/** Level `n` (1-based) of a ladder. */
export function levelOf(ladder: readonly Level[], n: number): Level {
  const level = ladder[n - 1];
  if (!level) throw new RangeError(`the ladder has no level ${n}`);
  return level;
}

/** Whether a level is the ladder's last. */
export function isTop(ladder: readonly Level[], n: number): boolean {
  return n >= ladder.length;
}

/** The time limits at a level for a severity, using the service level's own limits when the level names them. */
export function limitsAt(level: Level, severity: string, serviceLevel: string | null): TimeLimit {
  const own = serviceLevel !== null ? level.serviceLevels[serviceLevel]?.[severity] : undefined;
  const limits = own ?? level.timeLimits[severity];
  if (!limits) throw new RangeError(`level ${level.id} has no time limits for ${severity}`);
  return limits;
}

/**
 * Whether a role may act on a case at level `n`: roles of that level or any level above it may (a
 * manager can take over a counter case); roles of lower levels may not touch an escalated case.
 */
export function mayActAt(ladder: readonly Level[], n: number, roleId: string): boolean {
  return ladder.slice(n - 1).some((l) => l.roles.includes(roleId));
}

/**
 * The lowest level above `from` where a role may approve `amount`, given each role's limit for the
 * remedy's action; the top level when no role on the ladder may (its holder decides, or refers it
 * on outside the ladder).
 */
export function approvalLevel(ladder: readonly Level[], from: number, limitOf: (roleId: string) => number, amount: number): number {
  for (let n = from + 1; n <= ladder.length; n++) {
    if (levelOf(ladder, n).roles.some((r) => limitOf(r) >= amount)) return n;
  }
  return ladder.length;
}

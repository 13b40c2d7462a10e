/**
 * The escalation ladder, pure parts: which ladder a case climbs, the time limits that apply at a
 * level, who may act at a level, and which level may approve a remedy.
 */
import { InvalidStateError } from '@clientele/core/module';
import type { CaseKind } from './case-states.js';
import type { ComplaintsConfig, Level, TimeLimit } from './config.js';

/** The levels of the ladder a kind of case climbs. */
export function ladderOf(config: ComplaintsConfig, kind: CaseKind): readonly Level[] {
  return ladderNamed(config, config.routes[kind]);
}

/**
 * The levels of a ladder by its id. A case keeps the id of the ladder it was opened on; when the
 * configuration in force no longer has that ladder, `INVALID_STATE` (reason `not_configured`).
 */
export function ladderNamed(config: ComplaintsConfig, ladderId: string): readonly Level[] {
  const ladder = Object.hasOwn(config.ladders, ladderId) ? config.ladders[ladderId] : undefined;
  if (!ladder)
    throw new InvalidStateError(`ladder ${ladderId} is not in the configuration in force`, {
      reason: 'not_configured',
      ladder: ladderId,
    });
  return ladder;
}

/** Level `n` (1-based) of a ladder; `INVALID_STATE` (reason `not_configured`) when it has no such level. */
export function levelOf(ladder: readonly Level[], n: number): Level {
  const level = Number.isInteger(n) && n >= 1 ? ladder[n - 1] : undefined;
  if (!level)
    throw new InvalidStateError(
      `the ladder has no level ${n} in the configuration in force (it has ${ladder.length})`,
      { reason: 'not_configured', level: n },
    );
  return level;
}

/** Whether a level is the ladder's last. */
export function isTop(ladder: readonly Level[], n: number): boolean {
  return n >= ladder.length;
}

/**
 * The time limits at a level for a severity, using the service level's own limits when the level
 * names them. `INVALID_STATE` (reason `not_configured`) for a severity the configuration in force
 * does not have (a case opened under an earlier one).
 */
export function limitsAt(level: Level, severity: string, serviceLevel: string | null): TimeLimit {
  return limitsWithPath(level, severity, serviceLevel).limits;
}

/**
 * {@link limitsAt}, with where the limits are in the configuration (below the level), e.g.
 * `['serviceLevels', 'priority', 'high']` or `['timeLimits', 'high']`, for messages.
 */
export function limitsWithPath(
  level: Level,
  severity: string,
  serviceLevel: string | null,
): { limits: TimeLimit; path: string[] } {
  const own =
    serviceLevel !== null &&
    Object.hasOwn(level.serviceLevels, serviceLevel) &&
    Object.hasOwn(level.serviceLevels[serviceLevel]!, severity)
      ? level.serviceLevels[serviceLevel]![severity]
      : undefined;
  if (own) return { limits: own, path: ['serviceLevels', serviceLevel!, severity] };
  const limits = Object.hasOwn(level.timeLimits, severity) ? level.timeLimits[severity] : undefined;
  if (!limits)
    throw new InvalidStateError(
      `level ${level.id} has no time limits for severity ${severity} in the configuration in force`,
      { reason: 'not_configured', level: level.id, severity },
    );
  return { limits, path: ['timeLimits', severity] };
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
export function approvalLevel(
  ladder: readonly Level[],
  from: number,
  limitOf: (roleId: string) => number,
  amount: number,
): number {
  for (let n = from + 1; n <= ladder.length; n++) {
    if (levelOf(ladder, n).roles.some((r) => limitOf(r) >= amount)) return n;
  }
  return ladder.length;
}

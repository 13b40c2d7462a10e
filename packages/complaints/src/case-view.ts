/**
 * How cases look to callers: the stored row plus its level, items, remedies, the steps it allows and
 * its service-level state.
 */
import { storesCollection, type StoreSession } from '@clientele/core/module';
import { allowedActions, trackOf, type CaseAction, type CaseKind, type CaseStatus } from './case-states.js';
import {
  caseItemsCollection,
  remediesCollection,
  type CaseItemRow,
  type CaseRow,
  type RemedyRow,
  type StoredRuling,
} from './collections.js';
import type { ComplaintsConfig, Level } from './config.js';
import { slaCalendar } from './sla-clock.js';
import { caseSla, type CaseSla, type SlaCalendar } from './sla-state.js';

/** A product or purchase line a case concerns. */
export type CaseItem = CaseItemRow;
/** A remedy on a case, with its approval and execution. */
export type Remedy = RemedyRow;

/** A case as the API returns it. */
export type Case = Omit<CaseRow, 'resolveBy'> & {
  /** The current level's resolve due time; null when the level's agreement is response-only. */
  resolveBy: Date | null;
  /** The id and name of the ladder level it is at. */
  levelId: string;
  levelName: string;
  /** Steps the case allows now (for a UI's buttons). */
  allowedActions: CaseAction[];
  items: CaseItem[];
  remedies: Remedy[];
  /** Its service-level clocks as they stand when it was read. */
  sla: CaseSla;
};

/**
 * The calendar a case's current level counts in, or null when it is no longer known (dropped from the
 * configuration).
 */
async function levelCalendar(
  session: StoreSession,
  config: ComplaintsConfig,
  row: CaseRow,
): Promise<SlaCalendar | null> {
  const { dueAtClosing } = config;
  if (row.slaCalendar) {
    const named = Object.hasOwn(config.calendars, row.slaCalendar) ? config.calendars[row.slaCalendar] : undefined;
    return named ? { calendar: slaCalendar(named), dueAtClosing } : null;
  }
  const store = await session.get(storesCollection, row.storeId);
  return store
    ? {
        calendar: slaCalendar({ timeZone: store.timeZone, openingHours: store.openingHours, holidays: store.holidays }),
        dueAtClosing,
      }
    : null;
}

/** Loads what a {@link Case} shows besides its row; `now` is the instant its clocks are read at. */
export async function toCase(session: StoreSession, config: ComplaintsConfig, row: CaseRow, now: Date): Promise<Case> {
  // A case opened under an earlier configuration still reads when its level is gone from this one.
  const ladder: readonly Level[] = Object.hasOwn(config.ladders, row.ladder) ? config.ladders[row.ladder]! : [];
  const level = ladder[row.level - 1] ?? {
    id: `level-${row.level}`,
    name: `Level ${row.level} (no longer configured)`,
  };
  const items = (
    await session.find(caseItemsCollection, { where: { caseId: row.id }, orderBy: [{ field: 'seq' }], limit: 100 })
  ).rows;
  const remedies = (
    await session.find(remediesCollection, { where: { caseId: row.id }, orderBy: [{ field: 'seq' }], limit: 1000 })
  ).rows;
  const ruling = (row.ruling as StoredRuling | null)?.decision ?? null;
  const resolveBy = row.responseOnly ? null : row.resolveBy;
  return {
    ...row,
    resolveBy,
    levelId: level.id,
    levelName: level.name,
    allowedActions: allowedActions(trackOf(row.kind as CaseKind), row.status as CaseStatus, {
      ruling: ruling as never,
    }),
    items,
    remedies,
    sla: caseSla({ ...row, resolveBy }, await levelCalendar(session, config, row), now),
  };
}

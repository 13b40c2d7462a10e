/** How cases look to callers: the stored row plus its level, items, remedies and the steps it allows. */
import type { StoreSession } from '@clientele/core/module';
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

/** A product or purchase line a case concerns. */
export type CaseItem = CaseItemRow;
/** A remedy on a case, with its approval and execution. */
export type Remedy = RemedyRow;

/** A case as the API returns it. */
export type Case = CaseRow & {
  /** The id and name of the ladder level it is at. */
  levelId: string;
  levelName: string;
  /** Steps the case allows now (for a UI's buttons). */
  allowedActions: CaseAction[];
  items: CaseItem[];
  remedies: Remedy[];
};

/** Loads what a {@link Case} shows besides its row. */
export async function toCase(session: StoreSession, config: ComplaintsConfig, row: CaseRow): Promise<Case> {
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
  return {
    ...row,
    levelId: level.id,
    levelName: level.name,
    allowedActions: allowedActions(trackOf(row.kind as CaseKind), row.status as CaseStatus, {
      ruling: ruling as never,
    }),
    items,
    remedies,
  };
}

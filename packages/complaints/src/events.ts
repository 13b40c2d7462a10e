/** The events the complaints module emits. Payloads carry ids, codes and amounts, never personal data. */

/** The complaints module's event map: `area.past-tense` names to payloads. */
// A type alias (not an interface) so it is assignable to the generic event map.
export type ComplaintEvents = {
  'complaint.opened': {
    caseId: string;
    caseNo: string;
    kind: string;
    channel: string;
    customerId: string | null;
    storeId: string;
    severity: string;
    level: number;
  };
  'complaint.acknowledged': { caseId: string; level: number; onTime: boolean };
  /** Every status change, with the step that caused it. */
  'complaint.status-changed': { caseId: string; action: string; from: string; to: string; level: number };
  'complaint.escalated': { caseId: string; fromLevel: number; toLevel: number; reason: string; storeId: string };
  /** A clock ran out at the top of the ladder: nobody is left to escalate to. */
  'complaint.overdue': { caseId: string; level: number; clock: string; storeId: string };
  'complaint.paused': { caseId: string };
  'complaint.resumed': { caseId: string; pausedMinutes: number };
  'complaint.remedy-proposed': { caseId: string; remedyId: string; type: string; value: number; status: string };
  'complaint.approval-requested': { caseId: string; remedyId: string; action: string; value: number; level: number };
  'complaint.remedy-approved': { caseId: string; remedyId: string; approvedBy: string | null };
  'complaint.remedy-executed': { caseId: string; remedyId: string; type: string; value: number };
  'complaint.remedy-failed': { caseId: string; remedyId: string; code: string };
  'complaint.ruled': { caseId: string; decision: string };
  /** `outcome`: `resolved`, `rejected`, `answered` or `unfounded` (null for feedback closed without one). */
  'complaint.closed': {
    caseId: string;
    rootCause: string | null;
    outcome: string | null;
    storeId: string;
    remedyCost: number;
  };
  /** `clocks`: whether the clocks continued where they stopped or restarted (the `reopen` setting). */
  'complaint.reopened': { caseId: string; level: number; clocks: 'continue' | 'restart' };
  'corrective-action.created': {
    actionId: string;
    caseId: string | null;
    storeId: string;
    cause: string;
    ownerStaffId: string;
  };
  'corrective-action.escalated': { actionId: string; fromLevel: number; toLevel: number };
  'corrective-action.overdue': { actionId: string; level: number };
  'corrective-action.completed': { actionId: string };
  'corrective-action.verified': { actionId: string };
  'survey.invited': {
    invitationId: string;
    questionnaireId: string;
    customerId: string | null;
    storeId: string;
    trigger: string;
  };
  'survey.answered': {
    responseId: string;
    questionnaireId: string;
    storeId: string;
    lowScore: boolean;
    caseId: string | null;
    /** The customer who answered (null: a walk-up response without one). */
    customerId: string | null;
    /**
     * The customer's satisfaction with this answer counted: the mean score 0-100 and the trend (points per
     * response) of their latest responses, how many they gave and when (null without a customer).
     */
    satisfaction: { level: number; trend: number | null; responses: number; at: string } | null;
  };
};

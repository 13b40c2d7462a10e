/**
 * The case state machine: kinds, channels, statuses and the transition table. Pure: no clock, no
 * storage. A command asks {@link nextStatus} before it writes anything, so an illegal step is refused
 * before any change.
 */

/** What a case is about. */
export const CASE_KINDS = ['complaint', 'after-sales', 'suggestion', 'praise'] as const;
/** A kind of case. */
export type CaseKind = (typeof CASE_KINDS)[number];

/** After-sales ("three guarantees") requests. */
export const AFTER_SALES_REQUESTS = ['repair', 'return', 'exchange'] as const;
/** An after-sales request. */
export type AfterSalesRequest = (typeof AFTER_SALES_REQUESTS)[number];

/** Where a case came from; `survey` is a low survey score that opened it. */
export const CASE_CHANNELS = ['counter', 'phone', 'web', 'letter', 'messaging', 'survey'] as const;
/** A channel. */
export type CaseChannel = (typeof CASE_CHANNELS)[number];

/** The workflow a kind of case follows. */
export type Track = 'complaint' | 'after-sales' | 'feedback';

/** Every status a case can be in. */
export const CASE_STATUSES = [
  'received',
  'acknowledged',
  'investigating',
  'proposed',
  'accepted',
  'rejected',
  'explained',
  'mediating',
  'ruled',
  'executing',
  'verified',
  'closed',
] as const;
/** A case status. */
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Steps that change a case's status. */
export const CASE_ACTIONS = [
  'acknowledge',
  'investigate',
  'propose',
  'accept',
  'reject',
  'explain',
  'mediate',
  'rule',
  'appeal',
  'execute',
  'verify',
  'close',
  'reopen',
] as const;
/** A step. */
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** The decisions a ruling on an after-sales case can take. */
export const RULING_DECISIONS = ['repair', 'exchange', 'refund', 'reject'] as const;
/** A ruling decision. */
export type RulingDecision = (typeof RULING_DECISIONS)[number];

/**
 * How a complaint closes when nothing is owed, without a remedy: the customer's question was
 * `answered`, or the complaint was `unfounded`. Either is given with a reason.
 */
export const NOTHING_OWED_OUTCOMES = ['answered', 'unfounded'] as const;
/** A closing outcome with nothing owed. */
export type NothingOwedOutcome = (typeof NOTHING_OWED_OUTCOMES)[number];

/**
 * How a closed case ended: `resolved` (a remedy carried out and verified), `rejected` (an after-sales
 * ruling refused the request), or one of {@link NOTHING_OWED_OUTCOMES}.
 */
export const CLOSE_OUTCOMES = ['resolved', 'rejected', ...NOTHING_OWED_OUTCOMES] as const;
/** How a closed case ended. */
export type CloseOutcome = (typeof CLOSE_OUTCOMES)[number];

/** Facts a guarded step depends on. */
export interface StepFacts {
  /** The ruling of an after-sales case, once ruled. */
  ruling?: RulingDecision | null;
  /**
   * For `close`: the outcome given with nothing owed, or null when none is given. Left out (as a UI
   * asking which steps a case allows does), closing is allowed wherever some outcome would allow it.
   */
  outcome?: NothingOwedOutcome | null;
}

/** One row of the transition table: from which statuses a step leads where. */
export interface TransitionStep {
  from: readonly CaseStatus[];
  to: CaseStatus;
  /**
   * Only when the ruling granted something (`granted`) or refused (`refused`); only without an outcome,
   * the remedy carried out (`remedied`); only with an outcome, nothing owed (`nothing-owed`).
   */
  when?: 'granted' | 'refused' | 'remedied' | 'nothing-owed';
}

/**
 * The transition table. Complaints: received → acknowledged → investigating → proposed remedy →
 * accepted (or rejected, then a new proposal or an appeal) → executing → verified → closed; when
 * nothing is owed, acknowledged or investigating → closed with an outcome (`answered`, `unfounded`).
 * After-sales: reception → explanation → mediation → ruling → supervised execution → verified by
 * customer relations → closed; a refusing ruling closes without execution. Suggestions and praise
 * are acknowledged and closed. Every closed case may be reopened within the configured window.
 */
export const TRANSITIONS: Readonly<Record<Track, Partial<Record<CaseAction, readonly TransitionStep[]>>>> = {
  complaint: {
    acknowledge: [{ from: ['received'], to: 'acknowledged' }],
    // A declined or rejected proposal, or a remedy that could not be carried out (refused at execution,
    // or failed after it), sends the case back to investigation.
    investigate: [{ from: ['acknowledged', 'proposed', 'rejected', 'accepted', 'executing'], to: 'investigating' }],
    propose: [{ from: ['investigating'], to: 'proposed' }],
    accept: [{ from: ['proposed'], to: 'accepted' }],
    reject: [{ from: ['proposed'], to: 'rejected' }],
    appeal: [{ from: ['rejected'], to: 'investigating' }],
    execute: [{ from: ['accepted'], to: 'executing' }],
    verify: [{ from: ['executing'], to: 'verified' }],
    close: [
      { from: ['verified'], to: 'closed', when: 'remedied' },
      { from: ['acknowledged', 'investigating'], to: 'closed', when: 'nothing-owed' },
    ],
    reopen: [{ from: ['closed'], to: 'investigating' }],
  },
  'after-sales': {
    acknowledge: [{ from: ['received'], to: 'acknowledged' }],
    explain: [{ from: ['acknowledged'], to: 'explained' }],
    mediate: [{ from: ['explained'], to: 'mediating' }],
    rule: [{ from: ['mediating'], to: 'ruled' }],
    appeal: [{ from: ['ruled'], to: 'mediating' }],
    execute: [{ from: ['ruled'], to: 'executing', when: 'granted' }],
    verify: [{ from: ['executing'], to: 'verified' }],
    close: [
      { from: ['verified'], to: 'closed' },
      { from: ['ruled'], to: 'closed', when: 'refused' },
    ],
    reopen: [{ from: ['closed'], to: 'mediating' }],
  },
  feedback: {
    acknowledge: [{ from: ['received'], to: 'acknowledged' }],
    close: [{ from: ['acknowledged'], to: 'closed' }],
    reopen: [{ from: ['closed'], to: 'acknowledged' }],
  },
};

/** The workflow a kind follows. */
export function trackOf(kind: CaseKind): Track {
  if (kind === 'complaint') return 'complaint';
  if (kind === 'after-sales') return 'after-sales';
  return 'feedback';
}

/** The outcome of asking the table for a step. */
export type StepResult = { ok: true; to: CaseStatus } | { ok: false; reason: string };

/** The status a step leads to from `status`, or why the step is not allowed there. */
export function nextStatus(track: Track, status: CaseStatus, action: CaseAction, facts: StepFacts = {}): StepResult {
  const steps = TRANSITIONS[track][action];
  if (!steps) return { ok: false, reason: `a ${track} case has no step ${action}` };
  let guarded: string | null = null;
  for (const step of steps) {
    if (!step.from.includes(status)) continue;
    const refusal = step.when ? guardRefusal(step.when, facts) : null;
    if (refusal) {
      guarded = refusal;
      continue;
    }
    return { ok: true, to: step.to };
  }
  return { ok: false, reason: guarded ?? `cannot ${action} a ${track} case that is ${status}` };
}

/** Why a guarded step does not apply to these facts, or null when it does. */
function guardRefusal(when: NonNullable<TransitionStep['when']>, facts: StepFacts): string | null {
  const ruling = facts.ruling ?? null;
  const granted = ruling !== null && ruling !== 'reject';
  switch (when) {
    case 'granted':
      return granted ? null : 'the ruling refused the request: close the case instead';
    case 'refused':
      return ruling === 'reject' ? null : 'the ruling granted the request: execute it first';
    case 'remedied':
      return facts.outcome ? 'cannot close with an outcome: its remedy was carried out and verified' : null;
    case 'nothing-owed':
      return facts.outcome === null
        ? 'cannot close before a remedy is carried out unless nothing is owed: give the outcome ' +
            `(${NOTHING_OWED_OUTCOMES.join(' or ')}) and the reason`
        : null;
  }
}

/** The steps allowed from a status (for a UI's buttons). */
export function allowedActions(track: Track, status: CaseStatus, facts: StepFacts = {}): CaseAction[] {
  return CASE_ACTIONS.filter((a) => nextStatus(track, status, a, facts).ok);
}

/** Whether a status counts as resolved for service-level purposes (the remedy is carried out and checked). */
export function isResolved(status: CaseStatus): boolean {
  return status === 'verified' || status === 'closed';
}

/**
 * The transition table, tested exhaustively: every (track, status, step) pair, reachability, and
 * proof that no required stage can be skipped, by removing each stage and showing `closed` is then
 * unreachable. A property test walks random step sequences and checks the same on every walk. A
 * complaint with nothing owed closes from acknowledged or investigating with an outcome, and only then.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CASE_ACTIONS,
  CASE_STATUSES,
  RULING_DECISIONS,
  TRANSITIONS,
  allowedActions,
  nextStatus,
  type CaseAction,
  type CaseStatus,
  type NothingOwedOutcome,
  type RulingDecision,
  type Track,
} from '../src/case-states.js';

/** The stages each track must pass through, in order, written from the issue (not from the table). */
const REQUIRED: Record<string, CaseStatus[]> = {
  complaint: ['received', 'acknowledged', 'investigating', 'proposed', 'accepted', 'executing', 'verified', 'closed'],
  'after-sales granted': [
    'received',
    'acknowledged',
    'explained',
    'mediating',
    'ruled',
    'executing',
    'verified',
    'closed',
  ],
  'after-sales refused': ['received', 'acknowledged', 'explained', 'mediating', 'ruled', 'closed'],
  feedback: ['received', 'acknowledged', 'closed'],
};

const TRACKS: Array<{ name: string; track: Track; ruling: RulingDecision | null }> = [
  { name: 'complaint', track: 'complaint', ruling: null },
  { name: 'after-sales granted', track: 'after-sales', ruling: 'exchange' },
  { name: 'after-sales refused', track: 'after-sales', ruling: 'reject' },
  { name: 'feedback', track: 'feedback', ruling: null },
];

/**
 * Statuses reachable from `received` without passing `without`, and whether the walk reached `closed`. Closing
 * gives no outcome unless `outcome` says so (the remedy route).
 */
function reachable(
  track: Track,
  ruling: RulingDecision | null,
  without: CaseStatus | null,
  outcome: NothingOwedOutcome | null = null,
): Set<CaseStatus> {
  const seen = new Set<CaseStatus>(['received']);
  const queue: CaseStatus[] = ['received'];
  while (queue.length) {
    const s = queue.shift()!;
    for (const a of CASE_ACTIONS) {
      const r = nextStatus(track, s, a, { ruling, outcome });
      if (!r.ok || r.to === without || seen.has(r.to)) continue;
      seen.add(r.to);
      queue.push(r.to);
    }
  }
  return seen;
}

describe('case state machine', () => {
  it.each(TRACKS)(
    '$name: every status reachable from received can reach closed, and only the track’s own statuses appear',
    ({ name, track, ruling }) => {
      const all = reachable(track, ruling, null);
      expect([...all].sort()).toEqual(
        [...new Set([...REQUIRED[name]!, ...(track === 'complaint' ? ['rejected' as const] : [])])].sort(),
      );
      for (const s of all) {
        // From anywhere on the way, the case can still be finished.
        const onward = new Set<CaseStatus>([s]);
        const queue = [s];
        while (queue.length) {
          const x = queue.shift()!;
          for (const a of CASE_ACTIONS) {
            const r = nextStatus(track, x, a, { ruling, outcome: null });
            if (r.ok && !onward.has(r.to)) {
              onward.add(r.to);
              queue.push(r.to);
            }
          }
        }
        expect(onward.has('closed'), `${name}: ${s} cannot reach closed`).toBe(true);
      }
    },
  );

  it.each(TRACKS)(
    '$name: removing any required stage makes closed unreachable (no step skips it)',
    ({ name, track, ruling }) => {
      for (const stage of REQUIRED[name]!.slice(1, -1)) {
        expect(reachable(track, ruling, stage).has('closed'), `${name}: closed reachable without ${stage}`).toBe(false);
      }
    },
  );

  it('answers every (track, status, step) pair: legal steps lead inside the track, illegal ones give a reason', () => {
    let legal = 0;
    for (const { track, ruling } of TRACKS) {
      for (const status of CASE_STATUSES) {
        for (const action of CASE_ACTIONS) {
          const r = nextStatus(track, status, action, { ruling, outcome: null });
          const listed = (TRANSITIONS[track][action] ?? []).some((s) => s.from.includes(status));
          if (r.ok) {
            legal++;
            expect(listed).toBe(true);
            expect(CASE_STATUSES).toContain(r.to);
          } else {
            expect(r.reason).toMatch(/cannot|has no step|ruling/);
          }
        }
        expect(allowedActions(track, status, { ruling })).toEqual(
          CASE_ACTIONS.filter((a) => nextStatus(track, status, a, { ruling }).ok),
        );
        // Asked without an outcome (as a UI is), closing is offered wherever some outcome allows it.
        const closable = [null, 'answered' as const].some(
          (outcome) => nextStatus(track, status, 'close', { ruling, outcome }).ok,
        );
        expect(allowedActions(track, status, { ruling }).includes('close')).toBe(closable);
      }
    }
    expect(legal).toBeGreaterThan(20);
  });

  it('guards after-sales execution and closing on the ruling', () => {
    expect(nextStatus('after-sales', 'ruled', 'execute', { ruling: 'reject' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/close the case/),
    });
    expect(nextStatus('after-sales', 'ruled', 'close', { ruling: 'repair' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/execute it first/),
    });
    expect(nextStatus('after-sales', 'ruled', 'execute', { ruling: 'refund' })).toEqual({ ok: true, to: 'executing' });
    expect(nextStatus('after-sales', 'ruled', 'close', { ruling: 'reject' })).toEqual({ ok: true, to: 'closed' });
    expect(nextStatus('complaint', 'received', 'close')).toMatchObject({ ok: false });
    expect(nextStatus('feedback', 'received', 'propose')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no step propose/),
    });
  });

  it('closes a complaint owing nothing from acknowledged or investigating, with an outcome, and nowhere else', () => {
    const closesAs = (status: CaseStatus, outcome: NothingOwedOutcome | null) =>
      nextStatus('complaint', status, 'close', { outcome });
    for (const status of CASE_STATUSES) {
      const withOutcome = closesAs(status, 'unfounded');
      expect(withOutcome.ok, status).toBe(status === 'acknowledged' || status === 'investigating');
      // The remedy route still needs verification, and a verified case takes no outcome.
      expect(closesAs(status, null).ok, status).toBe(status === 'verified');
    }
    expect(closesAs('investigating', null)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/nothing is owed/),
    });
    expect(closesAs('verified', 'answered')).toMatchObject({ ok: false, reason: expect.stringMatching(/verified/) });
    // Nothing owed or not, a complaint is acknowledged before it closes.
    expect(reachable('complaint', null, null, 'answered').has('closed')).toBe(true);
    expect(reachable('complaint', null, 'acknowledged', 'answered').has('closed')).toBe(false);
    // Feedback and after-sales cases keep their own ways to close.
    expect(nextStatus('feedback', 'acknowledged', 'close', { outcome: 'answered' })).toEqual({
      ok: true,
      to: 'closed',
    });
    expect(nextStatus('after-sales', 'mediating', 'close', { outcome: 'unfounded' }).ok).toBe(false);
  });

  it(
    'never skips a required stage on random walks, and every close has passed each stage in order since the ' +
      'last (re)opening',
    () => {
      const track = fc.constantFrom(...TRACKS);
      fc.assert(
        fc.property(
          track,
          fc.array(fc.constantFrom(...CASE_ACTIONS), { maxLength: 80 }),
          fc.constantFrom(...RULING_DECISIONS),
          ({ name, track: t }, actions: CaseAction[], decision) => {
            let status: CaseStatus = 'received';
            let ruling: RulingDecision | null = null;
            let since: CaseStatus[] = ['received'];
            for (const a of actions) {
              const r = nextStatus(t, status, a, { ruling, outcome: null });
              if (!r.ok) continue;
              if (a === 'rule') ruling = decision;
              if (a === 'appeal') ruling = null;
              status = r.to;
              if (a === 'reopen') {
                since = [status];
                continue;
              }
              since.push(status);
              if (status === 'closed') {
                const required =
                  t === 'after-sales'
                    ? REQUIRED[ruling === 'reject' ? 'after-sales refused' : 'after-sales granted']!
                    : REQUIRED[name]!;
                // Stages after the first visited one of this walk (a reopened case starts mid-way).
                const start = required.indexOf(since[0]!);
                let i = 0;
                for (const stage of required.slice(start)) {
                  i = since.indexOf(stage, i);
                  if (i < 0) return false;
                }
              }
            }
            return true;
          },
        ),
        { numRuns: 2000 },
      );
    },
  );
});

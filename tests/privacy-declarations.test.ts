/**
 * Every string and JSON field of every collection of core and of the modules is declared personal,
 * scrub (free text that may mention a person) or plain: a new field cannot slip past erasure unseen.
 */
import { describe, expect, it } from 'vitest';
import { privacyClassOf, unclassifiedFields, type CollectionSpec } from '@clientele/core/module';
import { coreCollections } from '@clientele/core/adapter';
import { complaintsCollections } from '@clientele/complaints';
import { loyaltyCollections } from '@clientele/loyalty';
import { segmentCollections } from '@clientele/segments';

const ALL: Array<[string, readonly CollectionSpec[]]> = [
  ['core', coreCollections],
  ['loyalty', loyaltyCollections],
  ['complaints', complaintsCollections],
  ['segments', segmentCollections],
];

describe('privacy declarations', () => {
  it.each(ALL)('classify every string and JSON field of %s', (_pkg, collections) => {
    expect(collections.length).toBeGreaterThan(0);
    const unclassified = collections.flatMap((c) => unclassifiedFields(c).map((f) => `${c.name}.${f}`));
    expect(unclassified).toEqual([]);
  });

  it('hold the fields the erasure audit found left behind as personal or free text', () => {
    const cls = (collection: string, f: string) => {
      const c = ALL.flatMap(([, cs]) => cs).find((x) => x.name === collection)!;
      return privacyClassOf(c, f);
    };
    expect(cls('loyalty_awards', 'context')).toBe('scrub');
    expect(cls('loyalty_entries', 'reason')).toBe('scrub');
    expect(cls('complaint_history', 'note')).toBe('scrub');
    expect(cls('complaint_cases', 'attachments')).toBe('scrub');
    expect(cls('complaint_cases', 'contact')).toBe('personal');
    expect(cls('survey_responses', 'comment')).toBe('personal');
    expect(cls('timeline', 'summary')).toBe('personal');
    expect(cls('outbox', 'payload')).toBe('scrub');
    expect(cls('audit_log', 'details')).toBe('scrub');
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_COMPLETENESS } from '../src/model/customer-schemas.js';
import { completenessOf, diffFields, nameKey } from '../src/model/customer-record.js';
import { duplicateReasons, editDistance, similarNames } from '../src/model/duplicates.js';

describe('customer records', () => {
  it('scores completeness by the expected fields of each kind', () => {
    expect(
      completenessOf(
        'individual',
        { name: '张伟', phone: '1380000', gender: null, birthDate: '', homeStoreId: 'S01' },
        DEFAULT_COMPLETENESS,
      ),
    ).toEqual({ score: 60, missing: ['gender', 'birthDate'] });
    expect(
      completenessOf(
        'supplier',
        {
          legalName: 'X',
          taxId: 'T',
          region: 'E',
          contacts: [],
          phone: 'p',
          address: 'a',
          supplier: { paymentTermsDays: 30 },
        },
        DEFAULT_COMPLETENESS,
      ).missing,
    ).toEqual(['contacts']);
  });

  it('diffs nested values regardless of key order', () => {
    expect(
      diffFields(
        { consent: { sms: true, email: false }, tags: ['a'] },
        { consent: { email: false, sms: true }, tags: ['a', 'b'] },
      ),
    ).toEqual([{ field: 'tags', before: ['a'], after: ['a', 'b'] }]);
    expect(diffFields({}, { name: 'x' })).toEqual([{ field: 'name', before: null, after: 'x' }]);
  });

  it('normalises names for duplicate search', () => {
    expect(nameKey('欧阳 娜娜')).toBe('欧阳娜娜');
    expect(nameKey('Ｗａｎｇ  Fang.')).toBe('wangfang');
  });

  it('judges names alike by edit distance, strictly for two-character names', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('🧧ab', 'ab')).toBe(1);
    expect(similarNames('欧阳娜娜', '欧阳丽娜')).toBe(true);
    expect(similarNames('张伟', '张玮')).toBe(false);
    expect(similarNames('张伟', '张伟')).toBe(true);
    expect(similarNames('', '')).toBe(false);
  });

  it('names the reasons two records look alike', () => {
    const base = { id: 'a', phone: '1', email: null, taxId: null, nameKey: 'wangfang', homeStoreId: 'S01' };
    expect(duplicateReasons(base, { ...base, id: 'b' })).toEqual(['same_phone', 'similar_name']);
    expect(duplicateReasons(base, { ...base, id: 'b', homeStoreId: 'S02', phone: '2' })).toEqual([]);
    expect(duplicateReasons(base, base)).toEqual([]);
  });
});

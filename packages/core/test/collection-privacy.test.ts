/** How a collection declares what of it is personal data, and what is refused at definition. */
import { describe, expect, it } from 'vitest';
import { defineCollection, field, nullable, privacyClassOf, unclassifiedFields } from '../src/module.js';

const fields = {
  id: field.string(),
  customerId: nullable(field.string()),
  name: field.string(),
  note: nullable(field.string()),
  status: field.string(),
  details: field.json(),
  amount: field.integer(),
};

describe('privacy classes of a collection', () => {
  it('gives each field its declared class, and a string or JSON field declared nowhere the scrub class', () => {
    const c = defineCollection({
      name: 'x_notes',
      primaryKey: 'id',
      fields,
      customerKey: 'customerId',
      personal: ['name'],
      scrub: ['note'],
      plain: ['status'],
    });
    expect(Object.fromEntries(Object.keys(c.fields).map((f) => [f, privacyClassOf(c, f)]))).toEqual({
      id: 'plain',
      customerId: 'plain',
      name: 'personal',
      note: 'scrub',
      status: 'plain',
      details: 'scrub',
      amount: 'plain',
    });
    expect(unclassifiedFields(c)).toEqual(['details']);
    const complete = defineCollection({
      name: 'x_notes',
      primaryKey: 'id',
      fields,
      customerKey: 'customerId',
      personal: ['name'],
      scrub: ['note', 'details'],
      plain: ['status'],
    });
    expect(unclassifiedFields(complete)).toEqual([]);
  });

  it('accepts a declaration without the plain list (older declarations) and says what it left unclassified', () => {
    const c = defineCollection({
      name: 'x_notes',
      primaryKey: 'id',
      fields,
      customerKey: 'customerId',
      personal: ['name'],
    });
    expect(c.plain).toEqual([]);
    expect(unclassifiedFields(c)).toEqual(['note', 'status', 'details']);
  });

  it('refuses a field in two classes, a key that is not plain, an eraser on a plain field and unknown fields', () => {
    expect(() =>
      defineCollection({ name: 'x_notes', primaryKey: 'id', fields, personal: ['name'], plain: ['name'] }),
    ).toThrow(/name is declared both personal and plain/);
    expect(() =>
      defineCollection({ name: 'x_notes', primaryKey: 'id', fields, customerKey: 'customerId', scrub: ['customerId'] }),
    ).toThrow(/key field customerId cannot be scrub/);
    expect(() => defineCollection({ name: 'x_notes', primaryKey: 'id', fields, personal: ['id'] })).toThrow(
      /key field id cannot be personal/,
    );
    expect(() =>
      defineCollection({ name: 'x_notes', primaryKey: 'id', fields, plain: ['details'], erase: { details: (v) => v } }),
    ).toThrow(/details has an eraser/);
    expect(() => defineCollection({ name: 'x_notes', primaryKey: 'id', fields, plain: ['nope' as 'name'] })).toThrow(
      /unknown field nope/,
    );
  });
});

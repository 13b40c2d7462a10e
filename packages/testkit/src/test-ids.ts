/**
 * The typed ids of every conformance test, with the capability each depends on. An adapter may skip
 * an id only when the id names a capability the store declares `false` (`checkSkipList` enforces it).
 */
import type { StoreCapabilities } from '@clientele/core/adapter';

/** The name of one of the store's capability flags. */
export type CapabilityName = keyof StoreCapabilities;

/** What the kit knows about one conformance test. */
export interface ConformanceTestInfo {
  /**
   * The capability flag the test depends on, or `null` when every store must pass it. A test whose
   * capability the store declares `false` is reported as skipped.
   */
  readonly capability: CapabilityName | null;
  /** What the test checks, in one sentence. */
  readonly checks: string;
}

/**
 * Every conformance test by id, in the order the kit registers them. The id is also the test's name, so
 * `vitest -t unique.conflict` runs one test.
 */
export const CONFORMANCE_TESTS = {
  'capabilities.declared': {
    capability: null,
    checks:
      'kind is a name, every capability flag is a boolean, and every optional operation exists on the store, ' +
      'pushed down or not',
  },
  'crud.insert-get': {
    capability: null,
    checks:
      'insert returns the stored row (version 1), get returns it exactly, omitted nullable fields read back ' +
      'as null, a missing key is undefined',
  },
  'crud.update-delete': {
    capability: null,
    checks:
      'update patches only the given fields and bumps the version, a missing row is NOT_FOUND, delete removes ' +
      'the row and reports whether it did',
  },
  'crud.get-by-unique': {
    capability: null,
    checks: 'getBy finds rows by single-field and composite unique indexes and follows updates and deletes',
  },
  'crud.count': {
    capability: null,
    checks: 'count with and without filters, on an empty collection and after deletes',
  },
  'crud.returns-copies': {
    capability: null,
    checks: 'mutating an inserted input or a returned row (JSON, Date) does not change what is stored',
  },
  'crud.failed-write-changes-nothing': {
    capability: null,
    checks: 'a write that fails outside a transaction (unique clash, bad value, stale version) leaves no trace',
  },
  'validation.rejects-invalid-rows': {
    capability: null,
    checks:
      'rows and patches with missing, unknown, mistyped, unsafe-integer or managed fields are ' +
      'VALIDATION_FAILED and nothing is stored',
  },
  'primary-key.conflict': {
    capability: null,
    checks:
      'a second insert with the same primary key is a CONFLICT (reason primary_key) and the first row is untouched',
  },
  'primary-key.longest': {
    capability: null,
    checks:
      'primary and customer keys of 255 characters (ASCII, CJK, emoji, a significant trailing space) are kept ' +
      'exactly, found, written, ordered by code point and deleted',
  },
  'unique.conflict': {
    capability: null,
    checks:
      'a clash on a single-field or composite unique index, by insert or update, is a CONFLICT (reason ' +
      'unique); a row may keep its own value',
  },
  'unique.nullable-many-nulls': {
    capability: null,
    checks: 'a unique index on a nullable field allows any number of nulls but still refuses a repeated value',
  },
  'unique.released-on-change': {
    capability: null,
    checks:
      'a unique value freed by update, delete or set-to-null can be taken again; a rolled-back change frees nothing',
  },
  'version.conflict': {
    capability: null,
    checks:
      'update and delete with a stale expectVersion are a CONFLICT (reason version) and change nothing; every ' +
      'write bumps the version',
  },
  'version.eight-contenders': {
    capability: null,
    checks:
      '8 concurrent updates that all read version 1: exactly one wins, seven get CONFLICT, the row holds the ' +
      'winner\u2019s value',
  },
  'increment.guard': {
    capability: null,
    checks:
      'increment applies a delta only within min/max, reports applied, bumps the version only when applied, ' +
      'NOT_FOUND on a missing row',
  },
  'increment.race-never-overspends': {
    capability: null,
    checks:
      '50 concurrent guarded decrements of 1 on a balance of 20 with min 0: exactly 20 apply, the balance ' +
      'ends at 0 and is never negative',
  },
  'increment.no-lost-update': {
    capability: null,
    checks: '50 concurrent unguarded increments all apply and none is lost',
  },
  'consume.once-among-eight': {
    capability: null,
    checks:
      '8 concurrent consumes of one single-use row: exactly one gets it; a non-matching or missing row gives ' +
      'undefined and changes nothing',
  },
  'transaction.rollback': {
    capability: null,
    checks:
      'when the callback throws, its inserts, updates, deletes, increments and consumes are all undone and ' +
      'the same error is rethrown',
  },
  'transaction.read-own-writes': {
    capability: null,
    checks:
      'reads inside a transaction see its own writes; the callback\u2019s result is returned and the writes ' +
      'are committed',
  },
  'transaction.conflict-rolls-back': {
    capability: null,
    checks:
      'a unique or version clash inside a transaction rejects with a typed CONFLICT and undoes the earlier writes',
  },
  'transaction.nested-joins': {
    capability: null,
    checks: 'tx.transaction joins the outer transaction: its writes commit or roll back with the outer one',
  },
  'transaction.no-dirty-reads': {
    capability: null,
    checks: 'reads outside a transaction that is still open never see its writes, which are then rolled back',
  },
  'transaction.deadlock-reruns': {
    capability: null,
    checks:
      'two transactions that take two rows in crossing order both commit: where they deadlock, the loser runs again ' +
      'whole, nothing of its first run is kept (not even a write made after the lost race), each change lands once',
  },
  'transaction.outside-writes-survive-rollback': {
    capability: null,
    checks: 'a write made outside an open transaction is not rolled back with it',
  },
  'paging.visits-each-once-under-inserts': {
    capability: null,
    checks:
      'paging with small pages while rows are inserted before and after the cursor visits every original row ' +
      'exactly once, in order',
  },
  'paging.mixed-order': {
    capability: null,
    checks: 'multi-field orderings with mixed directions, ties and filters page to exactly the full sorted result',
  },
  'paging.limits': {
    capability: null,
    checks:
      'the default page is 100 rows, the last page has next null (also on an exact multiple), bad limits and ' +
      'cursors are VALIDATION_FAILED',
  },
  'filter.operators': {
    capability: null,
    checks:
      'eq, ne, gt, gte, lt, lte, in (also empty), startsWith (case-sensitive, no LIKE wildcards) and AND ' +
      'across fields, on find and count alike',
  },
  'filter.null-semantics': {
    capability: null,
    checks: 'comparisons never match null, isNull works on any field, a bare null matches nulls, ne excludes nulls',
  },
  'filter.rejects-invalid': {
    capability: null,
    checks:
      'unknown fields, operators on JSON, startsWith on numbers and ordering by nullable fields are VALIDATION_FAILED',
  },
  'text.unicode': {
    capability: null,
    checks:
      'Chinese names, emoji, astral characters, combining marks (not normalised), case, long text and the ' +
      'empty string round-trip exactly and match exactly',
  },
  'text.code-point-order': {
    capability: null,
    checks: 'strings order and compare by Unicode code point (binary), e.g. emoji after fullwidth forms after CJK',
  },
  'integer.max-safe': {
    capability: null,
    checks:
      '2^53 - 1 and -(2^53 - 1) round-trip, compare, order and sum exactly; increment never stores an unsafe integer',
  },
  'timestamp.millisecond': {
    capability: null,
    checks:
      'timestamps before 1970, at the epoch and far ahead round-trip as Dates to the millisecond, and compare ' +
      'and order by the millisecond',
  },
  'boolean.roundtrip': {
    capability: null,
    checks: 'booleans come back as true/false (not 1/0) and filter correctly',
  },
  'json.roundtrip': {
    capability: null,
    checks: 'nested objects, arrays, Unicode, numbers, JSON-looking strings and falsy scalars round-trip exactly',
  },
  'migrate.idempotent': {
    capability: null,
    checks:
      'migrating again applies nothing and keeps the data; a later migration adds a field (null on old rows), ' +
      'a unique index and a collection',
  },
  'migrate.concurrent-once': {
    capability: null,
    checks: 'two concurrent migrate calls apply each migration exactly once between them',
  },
  'migrate.index-over-many-texts': {
    capability: null,
    checks:
      'an index over eight texts, an integer and a timestamp and a unique index over five migrate and work; fields ' +
      'added later as free text then indexed with others, plain and unique, migrate and work too',
  },
  'migrate.failed-rolls-back': {
    capability: null,
    checks:
      'a migration that fails (a unique index over duplicates) is not recorded, leaves the collection usable, ' +
      'and applies once the data is fixed',
  },
  'pushdown.aggregate-equals-fallback': {
    capability: 'aggregate',
    checks:
      'store.aggregate equals core\u2019s aggregateByScan on the same data: groups, null group keys, null ' +
      'measures, filters and empty input',
  },
  'pushdown.aggregate-paging': {
    capability: 'aggregatePaging',
    checks:
      'aggregate pages of groups (after, limit) equal core’s fallback page by page, and the pages put ' +
      'together equal the unpaged result',
  },
  'pushdown.aggregate-series': {
    capability: 'aggregateSeries',
    checks:
      'measures with their own where filter, series measures (a group\u2019s integers or timestamps, ' +
      'ascending) and net sums (a field less another, a null as 0) equal core\u2019s fallback, grouped, by ' +
      'primary key, paged and on empty input',
  },
  'pushdown.get-linked': {
    capability: 'getLinked',
    checks:
      'store.getLinked equals a get of the row then of the row it links to: linked, dangling, null and ' +
      'Chinese-keyed links, a missing row, and inside a transaction its own writes',
  },
  'pushdown.consume-many': {
    capability: 'consumeMany',
    checks:
      'store.consumeMany writes exactly the rows whose condition holds (equality, operators, nulls, unique ' +
      'fields), returns their keys in order, refuses a bad or repeated write whole, rolls back with its ' +
      'transaction, and carries 5,050 writes',
  },
  'pushdown.delete-many': {
    capability: 'deleteMany',
    checks:
      'store.deleteMany deletes exactly the rows named (Chinese and emoji keys too), returns their keys in ' +
      'order, refuses a repeated key whole, rolls back with its transaction, and carries 5,050 keys',
  },
  'pushdown.insert-many': {
    capability: 'insertMany',
    checks: 'store.insertMany stores every row, and a batch with a clash or an invalid row stores none of them',
  },
  'find.select': {
    capability: null,
    checks:
      'find with select returns exactly the selected fields (nulls included) of the same rows, page by page, ' +
      'ordered or filtered by fields not selected, inside a transaction too; a bad select is ' +
      'VALIDATION_FAILED',
  },
  'optional.on-every-session': {
    capability: null,
    checks:
      'aggregate, getLinked, consumeMany, deleteMany and insertMany exist on the store and on a transaction ' +
      'session, give what core\u2019s fallbacks give on both, and commit or roll back with the ' +
      'transaction; an insertMany that clashes inside a transaction stores none of its rows and the ' +
      'transaction goes on',
  },
} as const satisfies Record<string, ConformanceTestInfo>;

/** The id of one conformance test, e.g. `'version.eight-contenders'`. */
export type ConformanceTestId = keyof typeof CONFORMANCE_TESTS;

/** Every conformance test id, in registration order. */
export const conformanceTestIds: readonly ConformanceTestId[] = Object.keys(CONFORMANCE_TESTS) as ConformanceTestId[];

/**
 * Checks an adapter's skip list when the suite is registered: every id must exist and must depend on a
 * capability. Throws a `TypeError` naming each offending id, so a skipped core check fails the run loudly.
 *
 * @internal
 */
export function checkSkipList(skip: readonly string[]): void {
  const problems: string[] = [];
  for (const id of skip) {
    const info = (CONFORMANCE_TESTS as Record<string, ConformanceTestInfo>)[id];
    if (!info) problems.push(`'${id}' is not a conformance test id`);
    else if (info.capability === null)
      problems.push(`'${id}' does not depend on a capability, so every store must pass it`);
  }
  if (problems.length > 0) {
    throw new TypeError(
      `runStoreConformance: invalid skip list: ${problems.join('; ')}. ` +
        'Only tests that depend on a capability the store declares false may be skipped.',
    );
  }
}

/**
 * `@clientele/cli`: the `clientele` command, and its parts for hosts that run them from code: the
 * streamed importer, the migration plan, the store URL.
 *
 * @packageDocumentation
 */
export { main, type Streams } from './main.js';
export { EXIT, type ExitCode } from './exit-codes.js';
export { UsageError, describeFailure } from './failure.js';
export { parseStoreUrl, maskUrl, type StoreLocation } from './store-url.js';
export { openStore, openClientele, loadConfig, type CliConfig, type GlobalOptions, type OpenOptions } from './open.js';
export {
  runImport,
  IMPORT_KINDS,
  type ImportKind,
  type ImportOptions,
  type ImportSummary,
} from './import/run-import.js';
export {
  buildMapping,
  mappingFileSchema,
  rowOf,
  readCell,
  COLUMN_TYPES,
  type Mapping,
  type MappingFile,
  type ColumnRule,
} from './import/mapping.js';
export { readRecords, formatOf, type InputFormat, type InputRecord, type ReadOptions } from './import/records.js';
export { rejectsFileOf, type RejectLine } from './import/rejects.js';
export { progressLine, clock, type ProgressState } from './import/progress.js';
export { migrationPlan, migrationsOf, type MigrationPlan } from './jobs/migration-plan.js';
export { parseInterval } from './jobs/loop.js';

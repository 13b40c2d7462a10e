/**
 * `complaints(config)`: the module factory. Mounted as `crm.complaints`; its collections, migrations,
 * commands, queries and `runDue` come from here.
 */
import {
  ValidationError,
  defineModule,
  instantSchema,
  parseInput,
  scan,
  storesCollection,
  type Kernel,
  type ModuleDefinition,
  type QueryOptions,
  type ResultPage,
  type StoreSettings,
  type ValidationIssue,
} from '@clientele/core/module';
import { COMPLAINTS_TIMELINE_TEXTS } from './timeline-text.js';
import { calendarIssues, storeCalendarIssues } from './due-placement.js';
import { slaCalendar } from './sla-clock.js';
import {
  createArchive,
  type ArchiveSearchInput,
  type CaseHistoryEntry,
  type CauseReport,
  type CauseReportInput,
  type SlaReport,
  type SlaReportInput,
} from './archive.js';
import { createCaseService, type CaseService } from './case-service.js';
import type { ListCasesInput } from './case-schemas.js';
import type { Case } from './case-view.js';
import { createComplaintsRuntime, type ComplaintsEventMap } from './case-engine.js';
import { complaintsCollections, complaintsMigrations } from './collections.js';
import { parseComplaintsConfig, type ComplaintsConfig, type ComplaintsConfigInput } from './config.js';
import { createCorrectiveActionService, type CorrectiveActionApi } from './corrective-actions.js';
import { createDueWork } from './due-work.js';
import type { ComplaintEvents } from './events.js';
import { createRemedyWorkflow } from './remedy-workflow.js';
import { createSurveyService, type SurveyService } from './survey-service.js';

/**
 * `crm.complaints`: complaint and after-sales cases up a ladder of authority with time limits in
 * business hours (the case commands and reads of {@link CaseService}), their history, the archive of
 * closed cases, the SLA and cause reports, corrective actions and satisfaction surveys.
 */
export interface ComplaintsApi extends CaseService {
  /** Open cases, newest first. */
  list(options: QueryOptions): Promise<ResultPage<Case>>;
  /** Cases, open or closed, by store or customer, newest first. */
  list(filters: ListCasesInput | undefined, options: QueryOptions): Promise<ResultPage<Case>>;
  /** Who did what to a case, when, oldest first. */
  history(caseId: string, options: QueryOptions): Promise<CaseHistoryEntry[]>;
  /** Closed cases, searchable by product, category, store, cause, remedy and period. */
  archive: ComplaintsArchive;
  /** The SLA report and the cause ranking (totals: no reader needed). */
  reports: ComplaintsReports;
  /** Corrective actions: owner, due date, status, verification; overdue ones escalate. */
  actions: CorrectiveActionApi;
  /** Satisfaction surveys. */
  surveys: SurveyService;
  /** The configuration in force, with defaults filled in. */
  config: ComplaintsConfig;
  /** Escalates what fell due by `now` (the same work `crm.runDue` does for this module); counts by kind. */
  runDue(now?: Date | string): Promise<Record<string, number>>;
}

/** `crm.complaints.archive`: closed cases. Reads need `complaints.read`. */
export interface ComplaintsArchive {
  /** Closed cases, newest first. */
  search(options: QueryOptions): Promise<ResultPage<Case>>;
  /** Closed cases by product, category, store, cause, remedy and period (filters combine), newest first. */
  search(filters: ArchiveSearchInput | undefined, options: QueryOptions): Promise<ResultPage<Case>>;
}

/** `crm.complaints.reports`: totals over a period, which name no customer (no reader needed). */
export interface ComplaintsReports {
  /** Time to acknowledge and to resolve per store, ladder and level, for the stays that began in a period. */
  sla(input: SlaReportInput): Promise<SlaReport>;
  /** The root causes of the cases closed in a period, ranked by cases or by remedy cost. */
  causes(input: CauseReportInput): Promise<CauseReport>;
}

function buildApi(kernel: Kernel<ComplaintsEventMap>, config: ComplaintsConfig) {
  const runtime = createComplaintsRuntime(kernel, config);
  const workflow = createRemedyWorkflow(runtime);
  const cases = createCaseService(runtime);
  const archive = createArchive(runtime);
  const actions = createCorrectiveActionService(runtime);
  const surveys = createSurveyService(runtime);
  const due = createDueWork(runtime, workflow, actions);
  const api: ComplaintsApi = {
    ...cases,
    list: kernel.query({
      name: 'complaints.list',
      permission: 'complaints.read',
      reads: (page) => page.items.map((c) => c.customerId),
      run: archive.list,
    }),
    history: kernel.query({
      name: 'complaints.history',
      permission: 'complaints.read',
      reads: (entries) => entries.map((e) => e.customerId),
      run: archive.history,
    }),
    archive: {
      search: kernel.query({
        name: 'complaints.archive.search',
        permission: 'complaints.read',
        reads: (page) => page.items.map((c) => c.customerId),
        run: archive.search,
      }),
    },
    reports: { sla: archive.sla, causes: archive.causes },
    actions: actions.api,
    surveys: surveys.api,
    config,
    runDue: (now: Date | string = kernel.clock.now()) => due.runDue(parseInput(instantSchema, now, ['now'])),
  };
  return { api, runDue: due.runDue, handlers: surveys.handlers };
}

/**
 * The complaints module: cases up a configurable ladder with authority, time limits in business
 * hours and a memory. The configuration is checked at once; a ladder with a gap throws a
 * `VALIDATION_FAILED` error whose issue path names the gap.
 *
 * ```ts
 * const crm = createClientele({ store, modules: [complaints(ladderConfig)] });
 * await crm.complaints.settleAtCounter({ case: { ... }, remedies: [{ type: 'compensation', amount: 3000 }], rootCause:
 * 'stale-goods' }, { actor });
 * ```
 */
export function complaints(
  config: ComplaintsConfigInput,
): ModuleDefinition<'complaints', ComplaintsApi, ComplaintEvents> {
  const resolved = parseComplaintsConfig(config);
  return defineModule<'complaints', ComplaintsApi, ComplaintEvents>({
    name: 'complaints',
    collections: complaintsCollections,
    migrations: complaintsMigrations,
    setup(kernel) {
      const { api, runDue, handlers } = buildApi(kernel, resolved);
      const issuesOf = (store: StoreSettings, now: Date) => storeCalendarIssues(resolved, slaCalendar(store), now);
      return {
        api,
        runDue,
        handlers,
        timelineTexts: COMPLAINTS_TIMELINE_TEXTS,
        // A store whose hours cannot carry the ladders is refused when it is created or changed ...
        checkStore: issuesOf,
        // ... and a configuration whose ladders an existing store cannot carry stops the host at start-up.
        async seed() {
          const now = kernel.clock.now();
          // The configuration's own calendars carry the limits that name them, whatever the stores' hours.
          const problems: ValidationIssue[] = calendarIssues(resolved, now);
          for await (const store of scan(kernel.store, storesCollection)) {
            for (const issue of issuesOf(store, now))
              problems.push({
                ...issue,
                path: ['stores', store.id, ...issue.path],
                message: `store ${store.id}: ${issue.message}`,
              });
          }
          if (problems.length)
            throw new ValidationError(
              problems,
              `invalid complaints configuration for its calendars or the chain's stores: ` +
                `${problems.map((p) => p.message).join('; ')}`,
            );
        },
      };
    },
  });
}

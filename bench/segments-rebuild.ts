/**
 * What the segments rebuild figures measure, whatever the store: a first build (no statistics yet,
 * every row and membership new), then rounds of a further day of sales and a nightly rebuild, each
 * rebuild in a process of its own so that its peak memory is its own, timed alternately with the
 * hand-written RFM statement on the same data.
 *
 * A figure module forks itself for each rebuild: at load it calls {@link serveRebuildChild}, which
 * runs the rebuild when the process is such a child; the parent calls {@link measureRebuilds}.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RebuildProgress, SegmentsApi } from '@clientele/segments';
import type { FigureResult } from './figure.js';
import { END, WINDOW_DAYS, nightOf, type Sizes } from './segments-dataset.js';
import { median, round } from './stats.js';

const SYSTEM = { actor: { system: 'bench' } } as const;
const MIB = 1024 * 1024;
/** The target: the nightly rebuild within 1.5 times the statement's time. */
const TARGET_RATIO = 1.5;
/** The segments module's settings on every side. */
export const SEGMENTS_CONFIG = { rfm: { windowDays: WINDOW_DAYS } } as const;

/** What a rebuild process is asked to do. */
export interface RebuildTask<Where> {
  /** Where the data set is (a file, a schema). */
  where: Where;
  /** The clock of the rebuild, epoch milliseconds. */
  now: number;
  /** Define the three segments first (the first build). */
  define: boolean;
}

/** What a rebuild process reports. */
export interface RebuildOutcome {
  seconds: number;
  written: number;
  joined: number;
  left: number;
  customers: number;
  buyers: number;
  /** Peak resident memory of the whole rebuilding process. */
  maxRssMiB: number;
  /**
   * Each part the rebuild reported progress of, in order, with the seconds from the start to its last report:
   * where the time of a night went (a part's share is the difference from the one before).
   */
  parts: Array<[part: string, seconds: number]>;
}

/** What a rebuild process needs of Clientele: the segments module's API, and closing. */
interface SegmentsClientele {
  segments: SegmentsApi;
  close(): Promise<void>;
}

/** A Clientele with the segments module on the data set, and what to release after it is closed. */
export interface OpenedClientele {
  crm: SegmentsClientele;
  dispose?: () => Promise<void>;
}

/**
 * One rebuild in a process of its own (the figure module `moduleUrl`, forked with the task in the
 * environment variable `variable`), so its memory is measured alone: the data set was built and the
 * baseline ran in the parent, whose allocator keeps what they used.
 */
export function rebuildInChild<Where>(
  moduleUrl: string,
  variable: string,
  task: RebuildTask<Where>,
  log: (m: string) => void,
): Promise<RebuildOutcome> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(moduleUrl), [], {
      env: { ...process.env, [variable]: JSON.stringify(task) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: { progress?: string; result?: RebuildOutcome; error?: string }) => {
      if (m.progress) log(m.progress);
      if (m.result) resolve(m.result);
      if (m.error) reject(new Error(m.error));
    });
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`rebuild process exited with ${code}`))));
  });
}

/** Defines the three segments the figures materialise: churn risk, RFM champions, large organisations. */
async function defineSegments(crm: SegmentsClientele): Promise<void> {
  await crm.segments.define(
    { id: 'at-risk', name: 'At risk', definition: { condition: 'churn-risk' }, policy: { pointsMultiplier: 2 } },
    SYSTEM,
  );
  await crm.segments.define(
    {
      id: 'champions',
      name: 'Champions',
      definition: { condition: 'rfm-group', args: { groups: ['champions', 'loyal'] } },
      policy: { serviceLevel: 'priority' },
    },
    SYSTEM,
  );
  await crm.segments.define(
    {
      id: 'big-organisations',
      name: 'Large organisations',
      definition: {
        all: [
          { field: 'kind', op: 'eq', value: 'organisation' },
          {
            any: [
              { field: 'valueClass', op: 'eq', value: 'A' },
              { field: 'volumeClass', op: 'eq', value: 'large' },
            ],
          },
        ],
      },
      policy: { freeDelivery: true },
    },
    SYSTEM,
  );
}

/**
 * In a process forked by {@link rebuildInChild} (the environment variable `variable` is set): opens
 * Clientele on the task's data set, runs the rebuild (statistics and memberships), reports progress
 * every `progressEveryMs` and the outcome to the parent. Does nothing in any other process.
 */
export async function serveRebuildChild<Where>(
  variable: string,
  open: (task: RebuildTask<Where>) => OpenedClientele,
  progressEveryMs: number,
): Promise<void> {
  const text = process.env[variable];
  if (!text) return;
  const task = JSON.parse(text) as RebuildTask<Where>;
  const send = (m: unknown) => process.send!(m);
  let opened: OpenedClientele | null = null;
  try {
    opened = open(task);
    const { crm } = opened;
    if (task.define) await defineSegments(crm);
    let lastLog = 0;
    const start = process.hrtime.bigint();
    const partEnds = new Map<string, number>();
    const result = await crm.segments.rebuild(
      {
        parts: ['stats', 'membership'],
        onProgress: (p: RebuildProgress) => {
          partEnds.set(p.part, Number(process.hrtime.bigint() - start) / 1e9);
          const now = Date.now();
          if (now - lastLog > progressEveryMs) {
            lastLog = now;
            const rssMiB = Math.round(process.memoryUsage().rss / MIB);
            send({
              progress: `  ${p.part}: ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')}, ${rssMiB} MiB`,
            });
          }
        },
      },
      SYSTEM,
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await crm.close();
    const outcome: RebuildOutcome = {
      seconds,
      written: result.written,
      joined: result.joined,
      left: result.left,
      customers: result.customers,
      buyers: result.thresholds?.buyers ?? 0,
      maxRssMiB: (process.resourceUsage().maxRSS * 1024) / MIB,
      parts: [...partEnds],
    };
    send({ result: outcome });
  } catch (error) {
    send({ error: String((error as Error).stack ?? error) });
  } finally {
    await opened?.dispose?.();
  }
}

/** How one store runs the measured steps on its data set. */
export interface RebuildSteps {
  /** One run of the hand-written statement as of `now`, reading every row. */
  baseline(now: number): Promise<{ seconds: number; rows: number }>;
  /** One rebuild in a process of its own (see {@link rebuildInChild}). */
  rebuild(now: number, define: boolean): Promise<RebuildOutcome>;
  /** Writes the further day of sales number `day` (1, 2, ...), raw (the statistics do not know of them). */
  addDay(day: number): Promise<void>;
  /**
   * What the database does on its own in the day between two nights, if anything (PostgreSQL's
   * autovacuum: the visibility map that index-only scans need, fresh statistics); returns what it did.
   */
  settle?(): Promise<string[]>;
}

/** One measured round: the statement and the nightly rebuild on the same data, one after the other. */
export interface RebuildRound {
  baselineSeconds: number;
  nightly: RebuildOutcome;
  /** Whether the statement ran first in this round. */
  baselineFirst: boolean;
}

/** The measured figures of a run. */
export interface RebuildMeasurement {
  first: RebuildOutcome;
  rounds: RebuildRound[];
  /** Median of the statement's runs in the rounds, seconds. */
  baselineSeconds: number;
  /** Median of the nightly rebuilds in the rounds, seconds. */
  clientele: number;
  /** `clientele / baselineSeconds`. */
  ratio: number;
  /** Figures for the results' `extra`, beside the data set's size. */
  extra: Record<string, number>;
}

/**
 * The first build (which must see every customer and score as many buyers as the statement finds),
 * then `sizes.rounds` rounds: each writes a further day of sales, then runs the statement and the
 * nightly rebuild one right after the other on that same data, the statement first in odd rounds and
 * second in even ones, so neither side always meets the page cache as the other left it. The figure
 * is the median of each side over the rounds.
 */
export async function measureRebuilds(
  sizes: Sizes,
  steps: RebuildSteps,
  log: (m: string) => void,
): Promise<RebuildMeasurement> {
  // Reads every purchase once before anything is timed (and tells how many customers bought).
  const warm = await steps.baseline(END);
  log(
    `baseline statement, untimed warm-up: ${warm.seconds.toFixed(2)} s (${warm.rows.toLocaleString('en')} customers)`,
  );

  log('first build (no statistics yet), in a process of its own');
  const first = await steps.rebuild(END, true);
  log(
    `first build: ${first.seconds.toFixed(2)} s, ${first.written.toLocaleString('en')} rows written, ` +
      `${first.joined.toLocaleString('en')} joined; peak ${first.maxRssMiB.toFixed(0)} MiB`,
  );
  if (first.customers !== sizes.customers)
    throw new Error(`the rebuild saw ${first.customers} customers, expected ${sizes.customers}`);
  if (first.buyers !== warm.rows)
    throw new Error(`the rebuild scored ${first.buyers} buyers, the statement ${warm.rows}`);

  const rounds: RebuildRound[] = [];
  for (let day = 1; day <= sizes.rounds; day++) {
    // The day before this night: the database's own upkeep, then the day's sales.
    const settled = (await steps.settle?.()) ?? [];
    if (settled.length) log(`day ${day}: ${settled.join(', ')} cleaned up as autovacuum would`);
    await steps.addDay(day);
    const now = nightOf(day);
    const baselineFirst = day % 2 === 1;
    let baseline = 0;
    if (baselineFirst) baseline = (await steps.baseline(now)).seconds;
    const nightly = await steps.rebuild(now, false);
    if (!baselineFirst) baseline = (await steps.baseline(now)).seconds;
    rounds.push({ baselineSeconds: baseline, nightly, baselineFirst });
    log(
      `round ${day} (day ${day} of further sales, ${baselineFirst ? 'statement first' : 'rebuild first'}): ` +
        `statement ${baseline.toFixed(2)} s, nightly rebuild ${nightly.seconds.toFixed(2)} s ` +
        `(${nightly.written.toLocaleString('en')} rows written, ${nightly.joined} joined, ${nightly.left} ` +
        `left; peak ${nightly.maxRssMiB.toFixed(0)} MiB; ${partShares(nightly)})`,
    );
  }

  const baselineSeconds = round(median(rounds.map((r) => r.baselineSeconds)), 2);
  const clientele = round(median(rounds.map((r) => r.nightly.seconds)), 2);
  const firstNight = rounds[0]!.nightly;
  const perRound: Record<string, number> = {};
  rounds.forEach((r, i) => {
    perRound[`round${i + 1}NightlySeconds`] = round(r.nightly.seconds, 2);
    perRound[`round${i + 1}BaselineSeconds`] = round(r.baselineSeconds, 2);
    perRound[`round${i + 1}RowsWritten`] = r.nightly.written;
  });
  return {
    first,
    rounds,
    baselineSeconds,
    clientele,
    ratio: round(clientele / baselineSeconds, 3),
    extra: {
      rounds: rounds.length,
      nightlyMedianSeconds: clientele,
      baselineMedianSeconds: baselineSeconds,
      ...perRound,
      firstBuildSeconds: round(first.seconds, 2),
      firstBuildRatio: round(first.seconds / baselineSeconds, 3),
      firstBuildRowsWritten: first.written,
      firstBuildJoined: first.joined,
      nightlyRowsWritten: firstNight.written,
      nightlyJoined: firstNight.joined,
      nightlyLeft: firstNight.left,
    },
  };
}

/** Where a rebuild's time went, part by part: `stats 5.45 s, scores 2.31 s, ...` (a part ends at its last report). */
function partShares(outcome: RebuildOutcome): string {
  let before = 0;
  const shares = outcome.parts.map(([part, end]) => {
    const share = `${part} ${(end - before).toFixed(2)} s`;
    before = end;
    return share;
  });
  return [...shares, `the rest ${(outcome.seconds - before).toFixed(2)} s`].join(', ');
}

/** The headline figure of a store: the nightly rebuild's seconds against the statement's, and the target. */
export function nightlyFigure(
  id: string,
  m: RebuildMeasurement,
  extra: Record<string, number>,
  note: string,
): FigureResult {
  return {
    id,
    unit: 's',
    clientele: m.clientele,
    baseline: m.baselineSeconds,
    ratio: m.ratio,
    higherIsBetter: false,
    target: `ratio <= ${TARGET_RATIO}`,
    met: m.ratio <= TARGET_RATIO,
    extra,
    note,
  };
}

/**
 * Segments: the RFM grid as a heat map of customers per cell, the groups and their sizes, value
 * classes as a Pareto chart, members at risk with the reason, key accounts with visits due,
 * organisations' credit, and what the chain owes in points and stored value.
 */
import { html } from 'hono/html';
import type { Api } from '../api.js';
import type { Words } from '../i18n.js';
import { jsonScript, type Markup, table } from './layout.js';

/** Customers per cell of recency (rows) and frequency (columns) scores, `counts[r-1][f-1]`. */
export async function rfmGrid(api: Api): Promise<number[][]> {
  const counts: number[][] = [];
  for (let r = 1; r <= 5; r++) {
    const row: number[] = [];
    for (let f = 1; f <= 5; f++) {
      const ids = await api.segments.match(
        {
          all: [
            { field: 'rScore', op: 'eq', value: r },
            { field: 'fScore', op: 'eq', value: f },
          ],
        },
        {},
      );
      row.push(ids.length);
    }
    counts.push(row);
  }
  return counts;
}

/** The heat map's data as the chart script reads it. */
export interface HeatMapData {
  kind: 'heatmap';
  title: string;
  x: string;
  y: string;
  /** `[f - 1, r - 1, customers]` per cell. */
  cells: Array<[number, number, number]>;
}

/** The segments page. */
export async function segmentsPage(w: Words, api: Api): Promise<Markup> {
  const [grid, groups, classes, atRisk, due, organisations, points, cards] = await Promise.all([
    rfmGrid(api),
    api.segments.distribution('rfmGroup'),
    api.segments.distribution('valueClass'),
    api.segments.atRisk({ limit: 20 }).catch(() => []),
    api.segments.keyAccounts.due(undefined).catch(() => []),
    api.customers.search({ kind: 'organisation', limit: 50 }).catch(() => ({ items: [] })),
    api.loyalty.liability({}).catch(() => null),
    api.loyalty.storedValue.liability({}).catch(() => null),
  ]);
  const credit = (
    await Promise.all(
      organisations.items.map(async (o) => {
        const status = await api.segments.credit.status(o.id).catch(() => null);
        return status ? { name: o.displayName, status } : null;
      }),
    )
  ).filter((x) => x !== null);
  const names = new Map<string, string>();
  for (const id of [...atRisk.map((a) => a.customerId), ...due.map((d) => d.customerId)])
    if (!names.has(id)) names.set(id, (await api.customers.get(id).catch(() => null))?.displayName ?? id);

  const heat: HeatMapData = {
    kind: 'heatmap',
    title: w.t('seg.rfm'),
    x: w.t('seg.frequency'),
    y: w.t('seg.recency'),
    cells: grid.flatMap((row, r) => row.map((count, f) => [f, r, count] as [number, number, number])),
  };
  const sortedGroups = [...groups].sort((a, b) => b.customers - a.customers);
  const totalSpend = classes.reduce((s, c) => s + c.windowSpend, 0);
  const sortedClasses = [...classes].sort((a, b) => String(a.key ?? 'Z').localeCompare(String(b.key ?? 'Z')));
  let running = 0;
  const pareto = sortedClasses.map((c) => {
    running += c.windowSpend;
    return {
      key: c.key ?? '—',
      customers: c.customers,
      cumulative: totalSpend ? Math.round((running / totalSpend) * 1000) / 10 : 0,
    };
  });
  const pointsLine = points
    ? html`<p>${w.t('seg.pointsLiability', { points: points.total.points, value: w.money(points.total.value) })}</p>`
    : '';
  const cardsLine = cards
    ? html`<p>${w.t('seg.storedValueLiability', {
        value: w.money(cards.total.outstanding),
        cards: cards.total.cards,
      })}</p>`
    : '';
  return html`
<section aria-labelledby="rfm"><h2 id="rfm">${w.t('seg.rfm')}</h2>
<div class="chart" id="rfm-chart" data-chart="rfm-data" role="img" aria-label="${w.t('seg.rfm')}"></div>
${jsonScript('rfm-data', heat)}
${table(
  w.t('seg.rfm'),
  [`R \\ F`, '1', '2', '3', '4', '5'],
  [...grid.keys()].reverse().map((r) => [String(r + 1), ...grid[r]!.map(String)]),
)}
</section>
<section aria-labelledby="groups"><h2 id="groups">${w.t('seg.groups')}</h2>
<div class="chart small" id="groups-chart" data-chart="groups-data" role="img" aria-label="${w.t('seg.groups')}"></div>
${jsonScript('groups-data', {
  kind: 'bars',
  title: w.t('seg.groups'),
  labels: sortedGroups.map((g) => g.key ?? '—'),
  values: sortedGroups.map((g) => g.customers),
})}
${table(
  w.t('seg.groups'),
  [w.t('col.name'), w.t('col.customers'), w.t('col.spend')],
  sortedGroups.map((g) => [g.key ?? '—', String(g.customers), w.money(g.windowSpend)]),
)}
</section>
<section aria-labelledby="value"><h2 id="value">${w.t('seg.value')}</h2>
<div class="chart small" id="value-chart" data-chart="value-data" role="img" aria-label="${w.t('seg.value')}"></div>
${jsonScript('value-data', {
  kind: 'pareto',
  title: w.t('seg.value'),
  labels: pareto.map((p) => p.key),
  values: pareto.map((p) => p.customers),
  cumulative: pareto.map((p) => p.cumulative),
  bars: w.t('col.customers'),
  line: w.t('seg.cumulative'),
})}
${table(
  w.t('seg.value'),
  [w.t('col.name'), w.t('col.customers'), w.t('seg.cumulative')],
  pareto.map((p) => [p.key, String(p.customers), `${p.cumulative}%`]),
)}
</section>
<section aria-labelledby="at-risk"><h2 id="at-risk">${w.t('seg.atRisk')}</h2>${
    atRisk.length
      ? table(
          w.t('seg.atRisk'),
          [w.t('col.name'), w.t('col.reason'), w.t('col.due')],
          atRisk.map((a) => [
            html`<a href="/members/${a.customerId}">${names.get(a.customerId)}</a>`,
            a.reason,
            w.date(a.overdueAt),
          ]),
        )
      : html`<p>${w.t('seg.none')}</p>`
  }</section>
<section aria-labelledby="key-accounts"><h2 id="key-accounts">${w.t('seg.keyAccounts')}</h2>${
    due.length
      ? table(
          w.t('seg.keyAccounts'),
          [w.t('col.name'), w.t('col.due')],
          due.map((d) => [
            html`<a href="/members/${d.customerId}">${names.get(d.customerId)}</a>`,
            w.date(d.nextVisitAt),
          ]),
        )
      : html`<p>${w.t('seg.none')}</p>`
  }</section>
<section aria-labelledby="credit"><h2 id="credit">${w.t('seg.credit')}</h2>${
    credit.length
      ? table(
          w.t('seg.credit'),
          [w.t('col.name'), w.t('col.limit'), w.t('col.used'), w.t('col.balance')],
          credit.map((c) => [
            c.name,
            w.money(c.status.account.limit),
            w.money(c.status.account.outstanding),
            w.money(c.status.available),
          ]),
        )
      : html`<p>${w.t('seg.none')}</p>`
  }</section>
<section aria-labelledby="liability"><h2 id="liability">${w.t('seg.liability')}</h2>
${points ? pointsLine : ''}
${cards ? cardsLine : ''}
</section>`;
}

/**
 * The complaint desk: open cases by ladder and level with their clocks in business time, and a case's
 * page with the steps it allows now, the quality station's among them.
 */
import type { BusinessCalendar } from '@clientele/core';
import { html } from 'hono/html';
import type { Api } from '../api.js';
import { businessMinutesLeft } from '../business-time.js';
import type { Words } from '../i18n.js';
import { type Markup, notice, table } from './layout.js';

type CaseOf = Awaited<ReturnType<Api['complaints']['get']>>;
type Clock = CaseOf['sla']['acknowledge'];

/** One clock in words: paused, met, late, or due with the business minutes left. */
/**
 * A code of the complaints module (a severity, a status, a remedy's type or status) in the reader's
 * language; an unknown code as it is. ICU select keys cannot hold a hyphen: it is written as `_` there.
 */
function label(w: Words, kind: 'severity' | 'status' | 'remedyStatus' | 'remedyType', value: string): string {
  return w.t(`label.${kind}`, { value: value.replaceAll('-', '_') });
}

function clockWords(w: Words, c: CaseOf, clock: Clock, calendar: BusinessCalendar | null, now: Date): Markup {
  if (clock.status === 'none' || !clock.dueAt) return html`<span>${w.t('clock.none')}</span>`;
  if (clock.metAt) return html`<span class="met">${w.t('clock.met', { at: w.dateTime(clock.metAt) })}</span>`;
  if (c.sla.paused) return html`<span class="paused">${w.t('clock.paused', { at: w.dateTime(clock.dueAt) })}</span>`;
  const due = new Date(clock.dueAt);
  if (clock.status === 'failed' || due.getTime() <= now.getTime())
    return html`<span class="late">${w.t('clock.late', { at: w.dateTime(clock.dueAt) })}</span>`;
  const left = calendar
    ? w.t('clock.minutesLeft', { minutes: businessMinutesLeft(calendar, now, due) })
    : w.t('clock.overdue');
  const words = w.t('clock.running', { at: w.dateTime(clock.dueAt), left });
  return html`<span class="due" data-due="${clock.dueAt}">${words}</span>`;
}

async function calendars(api: Api, storeIds: readonly string[]): Promise<Map<string, BusinessCalendar | null>> {
  const out = new Map<string, BusinessCalendar | null>();
  for (const id of new Set(storeIds))
    out.set(id, (await api.stores.calendar(id).catch(() => null)) as BusinessCalendar | null);
  return out;
}

/** Filters of the desk. */
export interface DeskFilters {
  storeId?: string | undefined;
  severity?: string | undefined;
  status?: 'open' | 'closed' | 'all' | undefined;
}

/** The desk: its filters, and the cases grouped by ladder and level, each with its two clocks. */
export async function deskPage(
  w: Words,
  api: Api,
  filters: DeskFilters,
  now: Date,
): Promise<{ filters: Markup; queue: Markup }> {
  const list = await api.complaints.list({
    status: filters.status ?? 'open',
    ...(filters.storeId ? { storeId: filters.storeId } : {}),
    limit: 200,
  });
  const cases = list.items.filter((c) => !filters.severity || c.severity === filters.severity);
  const cals = await calendars(
    api,
    cases.map((c) => c.storeId),
  );
  const stores = (await api.stores.list({ limit: 100 }).catch(() => ({ items: [] }))).items;
  const groups = new Map<string, CaseOf[]>();
  for (const c of cases) {
    const key = `${c.ladder}|${String(c.level).padStart(2, '0')}|${c.levelName}`;
    groups.set(key, [...(groups.get(key) ?? []), c as CaseOf]);
  }
  const filterForm = html`<form method="get" action="/complaints" class="filters" aria-label="${w.t('desk.filters')}">
<label for="f-store">${w.t('col.store')}</label>
<select id="f-store" name="storeId"><option value="">${w.t('desk.allStores')}</option>${stores.map(
    (s) => html`<option value="${s.id}" ${s.id === filters.storeId ? 'selected' : ''}>${s.name}</option>`,
  )}</select>
<label for="f-severity">${w.t('col.severity')}</label>
<select id="f-severity" name="severity"><option value="">${w.t('desk.allSeverities')}</option>${[
    'low',
    'medium',
    'high',
  ].map(
    (s) => html`<option value="${s}" ${s === filters.severity ? 'selected' : ''}>${label(w, 'severity', s)}</option>`,
  )}</select>
<label for="f-status">${w.t('col.status')}</label>
<select id="f-status" name="status">${(['open', 'closed', 'all'] as const).map((s) => {
    const selected = s === (filters.status ?? 'open') ? 'selected' : '';
    return html`<option value="${s}" ${selected}>${label(w, 'status', s)}</option>`;
  })}</select>
<button type="submit">${w.t('desk.show')}</button>
</form>`;
  // The queue reloads itself every minute (htmx), so each clock counts down while the desk is open.
  const query = new URLSearchParams(
    Object.entries(filters).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  ).toString();
  const queue = (inner: Markup) =>
    html`<div id="queue" hx-get="/complaints/queue?${query}" hx-trigger="every 60s" hx-swap="outerHTML">${inner}</div>`;
  if (groups.size === 0) return { filters: filterForm, queue: queue(html`<p>${w.t('desk.empty')}</p>`) };
  const sections = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, rows]) => {
      const [ladder, level, name] = key.split('|');
      const id = `level-${ladder}-${Number(level)}`;
      return html`<section aria-labelledby="${id}" class="level"><h2 id="${id}">${ladder} · ${w.t('desk.level', {
        level: Number(level),
        name: name ?? '',
      })}</h2>${table(
        w.t('desk.level', { level: Number(level), name: name ?? '' }),
        [
          w.t('col.caseNo'),
          w.t('col.category'),
          w.t('col.severity'),
          w.t('col.status'),
          w.t('col.acknowledge'),
          w.t('col.resolve'),
        ],
        rows.map((c) => [
          html`<a href="/complaints/${c.id}">${c.caseNo}</a>`,
          c.category,
          label(w, 'severity', c.severity),
          label(w, 'status', c.status),
          clockWords(w, c, c.sla.acknowledge, cals.get(c.storeId) ?? null, now),
          clockWords(w, c, c.sla.resolve, cals.get(c.storeId) ?? null, now),
        ]),
      )}</section>`;
    });
  return { filters: filterForm, queue: queue(html`${sections}`) };
}

/** `<option>`s whose values are their labels. */
const options = (values: readonly string[]) => values.map((v) => html`<option value="${v}">${v}</option>`);

/** A step's form: a button, with the fields the step takes. */
function stepForm(w: Words, caseId: string, step: string, fields: Markup = html``): Markup {
  return html`<form method="post" action="/complaints/${caseId}/${step}" class="step">
<fieldset><legend>${w.t(`step.${step}` as never)}</legend>${fields}
<button type="submit" name="step" value="${step}">${w.t(`step.${step}` as never)}</button></fieldset></form>`;
}

const note = (w: Words, id: string, required = false) =>
  html`<label for="${id}">${w.t('case.note')}</label>
<textarea id="${id}" name="note" rows="2" ${required ? 'required' : ''}></textarea>`;

/** The steps a case allows now, each as a form. */
function stepForms(w: Words, c: CaseOf, causes: readonly string[]): Markup[] {
  const forms: Markup[] = [];
  const allowed = new Set<string>(c.allowedActions);
  const awaiting = c.remedies.some((r) => r.status === 'awaiting-approval');
  for (const step of ['acknowledge', 'investigate', 'mediate'])
    if (allowed.has(step)) forms.push(stepForm(w, c.id, step, note(w, `${step}-note`)));
  if (allowed.has('explain')) forms.push(stepForm(w, c.id, 'explain', note(w, 'explain-note', true)));
  if (allowed.has('propose'))
    forms.push(
      stepForm(
        w,
        c.id,
        'propose',
        html`<label for="remedy-type">${w.t('case.remedyType')}</label>
<select id="remedy-type" name="type">${['compensation', 'refund', 'goodwill-points', 'exchange', 'repair'].map(
          (t) => html`<option value="${t}">${t}</option>`,
        )}</select>
<label for="remedy-amount">${w.t('case.amount')}</label>
<input id="remedy-amount" name="amount" type="number" min="0" step="0.01" required>
${note(w, 'propose-note')}`,
      ),
    );
  if (awaiting) {
    forms.push(stepForm(w, c.id, 'approve', note(w, 'approve-note')));
    forms.push(stepForm(w, c.id, 'decline', note(w, 'decline-note')));
  }
  if (allowed.has('accept')) forms.push(stepForm(w, c.id, 'accept', note(w, 'accept-note')));
  if (allowed.has('reject')) forms.push(stepForm(w, c.id, 'reject', note(w, 'reject-note')));
  if (allowed.has('rule'))
    forms.push(
      stepForm(
        w,
        c.id,
        'rule',
        html`<label for="rule-decision">${w.t('case.decision')}</label>
<select id="rule-decision" name="decision">${options(['repair', 'exchange', 'refund', 'reject'])}</select>
<label for="rule-amount">${w.t('case.amount')}</label>
<input id="rule-amount" name="amount" type="number" min="0" step="0.01">
<label for="rule-reason">${w.t('action.reason')}</label><input id="rule-reason" name="reason">`,
      ),
    );
  if (allowed.has('appeal')) forms.push(stepForm(w, c.id, 'appeal', note(w, 'appeal-note', true)));
  if (allowed.has('execute'))
    forms.push(
      stepForm(
        w,
        c.id,
        'execute',
        html`<label for="task-owner">${w.t('case.owner')}</label><input id="task-owner" name="ownerStaffId">
<label for="task-description">${w.t('case.task')}</label><input id="task-description" name="task">
${note(w, 'execute-note')}`,
      ),
    );
  if (c.status === 'executing') forms.push(stepForm(w, c.id, 'completeTask', note(w, 'task-note')));
  if (allowed.has('verify')) forms.push(stepForm(w, c.id, 'verify', note(w, 'verify-note')));
  if (allowed.has('close'))
    forms.push(
      stepForm(
        w,
        c.id,
        'close',
        html`<label for="close-cause">${w.t('case.rootCause')}</label>
<select id="close-cause" name="rootCause"><option value=""></option>${options(causes)}</select>
<label for="close-outcome">${w.t('case.outcome')}</label>
<select id="close-outcome" name="outcome"><option value=""></option>${options(['answered', 'unfounded'])}</select>
<label for="close-reason">${w.t('action.reason')}</label><input id="close-reason" name="reason">`,
      ),
    );
  if (allowed.has('reopen')) forms.push(stepForm(w, c.id, 'reopen', note(w, 'reopen-note', true)));
  if (c.status !== 'closed' && c.status !== 'verified') {
    forms.push(
      c.sla.paused
        ? stepForm(w, c.id, 'resume', note(w, 'resume-note'))
        : stepForm(w, c.id, 'pause', note(w, 'pause-note', true)),
    );
    forms.push(stepForm(w, c.id, 'escalate', note(w, 'escalate-note', true)));
  }
  return forms;
}

/** A case's page. */
export async function casePage(
  w: Words,
  api: Api,
  caseId: string,
  now: Date,
  messages: { refusal?: string | null | undefined; done?: string | null | undefined },
  causes: readonly string[],
): Promise<{ title: string; body: Markup }> {
  const c = (await api.complaints.get(caseId)) as CaseOf;
  const history = await api.complaints.history(caseId).catch(() => []);
  const calendar = (await api.stores.calendar(c.storeId).catch(() => null)) as BusinessCalendar | null;
  const customer = c.customerId ? await api.customers.get(c.customerId).catch(() => null) : null;
  const body = html`${notice('refusal', messages.refusal)}${notice('done', messages.done)}
<p class="status">${w.t('case.status', {
    status: label(w, 'status', c.status),
    level: c.level,
    levelName: c.levelName,
  })}</p>
<dl class="facts">
<dt>${w.t('col.category')}</dt><dd>${c.category}</dd>
<dt>${w.t('col.severity')}</dt><dd>${label(w, 'severity', c.severity)}</dd>
<dt>${w.t('col.acknowledge')}</dt><dd>${clockWords(w, c, c.sla.acknowledge, calendar, now)}</dd>
<dt>${w.t('col.resolve')}</dt><dd>${clockWords(w, c, c.sla.resolve, calendar, now)}</dd>
${
  c.customerId
    ? html`<dt>${w.t('nav.members')}</dt>
<dd><a href="/members/${c.customerId}">${customer?.displayName ?? c.customerId}</a></dd>`
    : ''
}
</dl>
${
  c.kind === 'after-sales'
    ? html`<p class="quality"><strong>${w.t('case.quality')}</strong>:
${w.t('case.qualityLine')}</p>`
    : ''
}
<section aria-labelledby="description"><h2 id="description">${w.t('case.description')}</h2>
<p>${c.description}</p></section>
<section aria-labelledby="remedies"><h2 id="remedies">${w.t('case.remedies')}</h2>${
    c.remedies.length
      ? table(
          w.t('case.remedies'),
          [w.t('case.remedyType'), w.t('col.value'), w.t('col.status')],
          c.remedies.map((r) => [
            label(w, 'remedyType', r.type),
            'points' in r && r.points ? String(r.points) : w.money(r.amount ?? 0),
            label(w, 'remedyStatus', r.status),
          ]),
        )
      : html`<p>${w.t('member.none')}</p>`
  }</section>
<section aria-labelledby="steps"><h2 id="steps">${w.t('case.steps')}</h2>
<div class="steps">${stepForms(w, c, causes)}</div></section>
<section aria-labelledby="history"><h2 id="history">${w.t('case.history')}</h2>${table(
    w.t('case.history'),
    [w.t('col.when'), w.t('col.type'), w.t('col.status'), w.t('case.note')],
    history.map((h) => [w.dateTime(h.at), h.action, `${h.fromStatus ?? '—'} → ${h.toStatus}`, h.note ?? '']),
  )}</section>`;
  return { title: w.t('case.title', { caseNo: c.caseNo }), body };
}

/** Find a member, and the member's whole file with the actions the signed-in staff member may take. */
import { html } from 'hono/html';
import type { Words } from '../i18n.js';
import { refusalWords } from '../refusal.js';
import type { Api } from '../api.js';
import { grants, type StaffRights } from '../staff-rights.js';
import { type Markup, notice, table } from './layout.js';

/** A read that may be refused: its value, or the refusal in words. */
async function attempt<T>(w: Words, read: () => Promise<T>): Promise<{ value: T } | { refused: string }> {
  try {
    return { value: await read() };
  } catch (error) {
    return { refused: refusalWords(w, error) };
  }
}

function section<T>(
  id: string,
  title: string,
  result: { value: T } | { refused: string },
  body: (v: T) => Markup,
): Markup {
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2>${
    'refused' in result ? html`<p class="muted">${result.refused}</p>` : body(result.value)
  }</section>`;
}

const YEAR = 365 * 24 * 3_600_000;

/** A limit of the role in words: what the staff member may give alone. */
function limitWords(w: Words, rights: StaffRights, limit: string): string {
  return w.t('action.limit', { limit: w.money(rights.limits[limit] ?? 0) });
}
const show = (v: unknown) =>
  v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

type Found = { id: string; displayName: string; kind: string; phone?: string | null; homeStoreId?: string | null };

/** Members a card number, phone or name names, each with its likely duplicates. */
export async function findMembers(api: Api, query: string): Promise<Array<{ member: Found; duplicates: string[] }>> {
  const q = query.trim();
  if (!q) return [];
  let found: Found[] = [];
  const digits = q.replace(/[\s-]/g, '');
  if (/^\d{8,19}$/.test(digits)) {
    const card = await api.cards.lookup(digits).catch(() => null);
    if (card?.customer) found = [card.customer as Found];
    else if (/^1\d{10}$/.test(digits) || digits.length <= 12)
      found = (await api.customers.search({ phone: q, limit: 20 })).items as Found[];
  } else if (/^[+\d][\d\s()-]{5,}$/.test(q)) {
    found = (await api.customers.search({ phone: q, limit: 20 })).items as Found[];
  } else {
    found = (await api.customers.search({ name: q, limit: 20 })).items as Found[];
  }
  return Promise.all(
    found.map(async (member) => ({
      member,
      duplicates: (await api.customers.duplicatesOf(member.id).catch(() => [])).map((d) => d.customer.displayName),
    })),
  );
}

/** The find page's results: a table, a line when nothing matched. */
export function memberResults(w: Words, query: string, rows: Awaited<ReturnType<typeof findMembers>>): Markup {
  if (!query.trim()) return html``;
  if (rows.length === 0) return html`<p>${w.t('find.none', { query })}</p>`;
  return table(
    w.t('find.results', { count: rows.length }),
    [w.t('col.name'), w.t('col.kind'), w.t('col.phone'), w.t('col.homeStore'), w.t('col.flags')],
    rows.map(({ member, duplicates }) => [
      html`<a href="/members/${member.id}">${member.displayName}</a>`,
      member.kind,
      member.phone ?? '—',
      member.homeStoreId ?? '—',
      duplicates.length
        ? html`<span class="flag">${w.t('find.duplicate', { names: duplicates.join(', ') })}</span>`
        : '',
    ]),
  );
}

/** The find page. */
export function findPage(w: Words, query: string, results: Markup): Markup {
  return html`<form method="get" action="/members" role="search" class="find">
<label for="q">${w.t('find.query')}</label>
<input id="q" name="q" type="search" value="${query}" autocomplete="off"
  hx-get="/members/results" hx-trigger="input changed delay:300ms" hx-target="#results">
<button type="submit">${w.t('find.submit')}</button>
</form>
<div id="results" aria-live="polite">${results}</div>`;
}

/** Everything about a member, and the actions. */
export async function memberPage(
  w: Words,
  api: Api,
  customerId: string,
  messages: { refusal?: string | null | undefined; done?: string | null | undefined },
  now: Date,
  rights: StaffRights,
): Promise<{ title: string; body: Markup }> {
  const member = await api.customers.get(customerId);
  const [history, cards, balance, expiry, statement, tier, vouchers, storedValue, timeline, cases, templates] =
    await Promise.all([
      attempt(w, () => api.customers.history(customerId, { limit: 10 })),
      attempt(w, () => api.cards.ofCustomer(customerId)),
      attempt(w, () => api.loyalty.balance(customerId)),
      attempt(w, () => api.loyalty.expirySchedule(customerId)),
      attempt(w, () =>
        api.loyalty.statement(customerId, { from: new Date(now.getTime() - YEAR).toISOString(), limit: 500 }),
      ),
      attempt(w, () => api.loyalty.tierProgress(customerId)),
      attempt(w, () => api.loyalty.vouchers.ofCustomer(customerId, {})),
      attempt(w, () => api.loyalty.storedValue.ofCustomer(customerId)),
      attempt(w, () => api.timeline(customerId, { limit: 20, locale: w.locale })),
      attempt(w, () => api.complaints.list({ customerId, status: 'all', limit: 20 })),
      attempt(w, () => api.loyalty.vouchers.templates()),
    ]);
  const completeness = member.completeness;
  const activeCards = 'value' in cards ? cards.value.filter((c) => c.status === 'active') : [];
  const body = html`
${notice('refusal', messages.refusal)}
${notice('done', messages.done)}
<section aria-labelledby="profile"><h2 id="profile">${w.t('member.profile')}</h2>
<dl class="facts">
<dt>${w.t('col.kind')}</dt><dd>${member.kind}</dd>
<dt>${w.t('col.phone')}</dt><dd>${member.phone ?? '—'}</dd>
<dt>${w.t('col.homeStore')}</dt><dd>${member.homeStoreId ?? '—'}</dd>
<dt>${w.t('col.completeness')}</dt><dd>${w.t('member.completeness', { score: completeness.score })}${
    completeness.missing.length ? html` · ${w.t('member.missing', { fields: completeness.missing.join(', ') })}` : ''
  }</dd>
</dl></section>
${section('history', w.t('member.history'), history, (h) =>
  table(
    w.t('member.history'),
    [w.t('col.when'), w.t('col.field'), w.t('col.change')],
    h.items.map((e) => [
      w.dateTime(e.at),
      e.changes.map((c) => c.field).join(', '),
      e.changes.map((c) => `${show(c.before)} → ${show(c.after)}`).join('; '),
    ]),
  ),
)}
${section('cards', w.t('member.cards'), cards, (list) =>
  table(
    w.t('member.cards'),
    [w.t('col.number'), w.t('col.type'), w.t('col.status')],
    list.map((c) => [c.number, c.typeId, c.status]),
  ),
)}
${section(
  'points',
  w.t('member.points'),
  balance,
  (b) => html`<p>${w.t('member.balance', { available: b.available, pending: b.pending })}</p>`,
)}
${section('expiry', w.t('member.expiry'), expiry, (e) =>
  e.expiring.length
    ? table(
        w.t('member.expiry'),
        [w.t('col.expires'), w.t('col.points')],
        e.expiring.map((x) => [w.date(x.lastDay), String(x.points)]),
      )
    : html`<p>${w.t('member.none')}</p>`,
)}
${section('statement', w.t('member.statement'), statement, (s) =>
  table(
    w.t('member.statement'),
    [w.t('col.when'), w.t('col.type'), w.t('col.points'), w.t('col.balance'), w.t('col.reason')],
    // The statement reads oldest first: show the latest entries, newest first.
    s.lines
      .slice(-15)
      .reverse()
      .map((l) => [
        w.dateTime(l.at),
        l.kind,
        l.points > 0 ? `+${l.points}` : String(l.points),
        String(l.balance),
        l.reason ?? (l.ref ? `${l.ref.type} ${l.ref.id}` : '—'),
      ]),
  ),
)}
${section(
  'tier',
  w.t('member.tier'),
  tier,
  (t) =>
    html`<p>${
      t.tier
        ? w.t('member.tierLine', { tier: t.tier, since: w.date('value' in balance ? balance.value.tierSince : null) })
        : w.t('member.noTier')
    }</p>`,
)}
${section('vouchers', w.t('member.vouchers'), vouchers, (v) =>
  v.items.length
    ? table(
        w.t('member.vouchers'),
        [w.t('col.code'), w.t('col.name'), w.t('col.value'), w.t('col.status'), w.t('col.validUntil')],
        v.items.map((x) => [x.display, x.name, w.money(x.faceValue), x.status, w.date(x.validUntil)]),
      )
    : html`<p>${w.t('member.none')}</p>`,
)}
${section('stored-value', w.t('member.storedValue'), storedValue, (s) =>
  s.length
    ? table(
        w.t('member.storedValue'),
        [w.t('col.number'), w.t('col.status'), w.t('col.balance')],
        s.map((x) => [x.number, x.status, w.money(x.balance)]),
      )
    : html`<p>${w.t('member.none')}</p>`,
)}
${section(
  'timeline',
  w.t('member.timeline'),
  timeline,
  (t) =>
    html`<ol class="timeline">${t.items.map(
      (e) => html`<li><time datetime="${e.at}">${w.dateTime(e.at)}</time> ${e.summary}</li>`,
    )}</ol>`,
)}
${section('complaints', w.t('member.complaints'), cases, (c) =>
  c.items.length
    ? table(
        w.t('member.complaints'),
        [w.t('col.caseNo'), w.t('col.category'), w.t('col.status'), w.t('col.level')],
        c.items.map((x) => [html`<a href="/complaints/${x.id}">${x.caseNo}</a>`, x.category, x.status, x.levelName]),
      )
    : html`<p>${w.t('member.none')}</p>`,
)}
<section aria-labelledby="actions"><h2 id="actions">${w.t('member.actions')}</h2>
${
  grants(rights, 'loyalty.adjust')
    ? html`<form method="post" action="/members/${customerId}/adjust-points" class="action">
<fieldset><legend>${w.t('action.adjust')} · ${limitWords(w, rights, 'points-adjustment')}</legend>
<label for="adjust-points">${w.t('action.points')}</label>
<input id="adjust-points" name="points" type="number" step="1" required>
<label for="adjust-reason">${w.t('action.reason')}</label>
<input id="adjust-reason" name="reason" required maxlength="200">
<button type="submit">${w.t('action.submit')}</button>
</fieldset></form>`
    : ''
}
${
  grants(rights, 'loyalty.vouchers.issue')
    ? html`<form method="post" action="/members/${customerId}/goodwill-voucher" class="action">
<fieldset><legend>${w.t('action.goodwill')} · ${limitWords(w, rights, 'voucher')}</legend>
<label for="goodwill-template">${w.t('action.template')}</label>
<select id="goodwill-template" name="templateId">${
        'value' in templates
          ? templates.value.map((t) => html`<option value="${t.id}">${t.name} (${t.id})</option>`)
          : ''
      }</select>
<label for="goodwill-reason">${w.t('action.reason')}</label>
<input id="goodwill-reason" name="reason" required maxlength="200">
<button type="submit">${w.t('action.submit')}</button>
</fieldset></form>`
    : ''
}
${
  grants(rights, 'cards.issue')
    ? html`<form method="post" action="/members/${customerId}/report-lost" class="action">
<fieldset><legend>${w.t('action.reportLost')}</legend>
<label for="lost-card">${w.t('action.card')}</label>
<select id="lost-card" name="number">${activeCards.map(
        (c) => html`<option value="${c.number}">${c.number}</option>`,
      )}</select>
<label for="lost-reason">${w.t('action.reason')}</label>
<input id="lost-reason" name="reason" required maxlength="200">
<button type="submit">${w.t('action.submit')}</button>
</fieldset></form>`
    : ''
}
</section>`;
  return { title: member.displayName, body };
}

/** The frame of every page: the language, the navigation, who is signed in, and the page's own parts. */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Words } from '../i18n.js';

/** What a page renders to. */
export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Who is signed in, for the header. */
export interface Viewer {
  name: string;
  role: string;
}

/** A JSON value for a script tag: `<` is escaped so no text in it can close the tag. */
export function jsonScript(id: string, value: unknown): Markup {
  const json = JSON.stringify(value).replaceAll('<', '\\u003c');
  return html`<script type="application/json" id="${id}">${raw(json)}</script>`;
}

/** A whole page. `path` is where the language links come back to. */
export function page(w: Words, title: string, viewer: Viewer | null, path: string, body: Markup): Markup {
  const back = encodeURIComponent(path);
  const other = w.locale === 'en' ? { code: 'zh-CN', label: '中文' } : { code: 'en', label: 'English' };
  return html`<!doctype html>
<html lang="${w.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${w.t('app.title')}</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/htmx.js" defer></script>
<script src="/assets/echarts.js" defer></script>
<script src="/assets/charts.js" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="/members">${w.t('app.title')}</a>
${
  viewer
    ? html`<nav aria-label="${w.t('app.title')}">
<a href="/members">${w.t('nav.members')}</a>
<a href="/complaints">${w.t('nav.complaints')}</a>
<a href="/segments">${w.t('nav.segments')}</a>
</nav>
<span class="who">${w.t('nav.signedInAs', { name: viewer.name, role: viewer.role })}</span>
<form method="post" action="/sign-out" class="inline"><button type="submit">${w.t('nav.signOut')}</button></form>`
    : ''
}
<a class="lang" href="/language/${other.code}?back=${back}" lang="${other.code}">${other.label}</a>
</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** A table with a header row; `rows` already rendered cells. */
export function table(caption: string, head: readonly string[], rows: ReadonlyArray<readonly unknown[]>): Markup {
  return html`<table>
<caption>${caption}</caption>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
</table>`;
}

/** A notice: a refusal in words, or what was done. */
export function notice(kind: 'refusal' | 'done', text: string | null | undefined): Markup {
  if (!text) return html``;
  return html`<p class="notice ${kind}" role="${kind === 'refusal' ? 'alert' : 'status'}">${text}</p>`;
}

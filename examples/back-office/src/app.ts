/**
 * The back office as one Hono app: Clientele's HTTP API at `/api`, acting as the member of staff the
 * session cookie names, and server-rendered pages that call that API through its typed client. Every
 * action is therefore the SDK's command, with its permission, authority limit and audit entry.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Clientele, Clock } from '@clientele/core';
import { clienteleApi } from '@clientele/http';
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import { apiFor, type Api } from './api.js';
import { isLocale, wordsFor, type Words } from './i18n.js';
import type { Locale } from './messages.js';
import { casePage, type DeskFilters, deskPage } from './pages/complaints.js';
import { page, type Markup, type Viewer } from './pages/layout.js';
import { findMembers, findPage, memberPage, memberResults } from './pages/members.js';
import { segmentsPage } from './pages/segments.js';
import { refusalWords } from './refusal.js';
import { LANGUAGE_COOKIE, SESSION_COOKIE, cookieValue, openSession, sealSession } from './session.js';
import type { StaffRights } from './staff-rights.js';
import { signIn, type StaffSignIn } from './staff-sign-in.js';

/** Options of {@link backOffice}. */
export interface BackOfficeOptions {
  /** The Clientele instance (its modules: loyalty, complaints, segments). */
  crm: Clientele;
  /** Who may sign in, as which member of staff. */
  signIns: readonly StaffSignIn[];
  /** The key sessions are signed with. */
  secret: string;
  /** The time the pages count clocks from (the instance's clock). */
  clock: Clock;
  /** The chain's currency, as the instance was created with (default `CNY`). */
  currency?: string;
  /** The chain's time zone for dates (default `Asia/Shanghai`). */
  timeZone?: string;
  /** The language before anyone chooses (default `zh-CN`). */
  defaultLocale?: Locale;
  /** The complaint causes to offer when closing. */
  causes?: readonly string[];
}

const SESSION_HOURS = 10;
const require = createRequire(import.meta.url);
const here = (file: string) => new URL(file, import.meta.url);

function asset(file: string | URL, type: string): { body: string; type: string } {
  return { body: readFileSync(file, 'utf8'), type };
}

/** The back office's Hono app. */
export function backOffice(options: BackOfficeOptions): Hono {
  const { crm, signIns, secret, clock } = options;
  const settings = { currency: options.currency ?? 'CNY', timeZone: options.timeZone ?? 'Asia/Shanghai' };
  const app = new Hono();
  const assets: Record<string, { body: string; type: string }> = {
    'echarts.js': asset(require.resolve('echarts/dist/echarts.min.js'), 'text/javascript'),
    'htmx.js': asset(require.resolve('htmx.org/dist/htmx.min.js'), 'text/javascript'),
    'charts.js': asset(here('../assets/charts.js'), 'text/javascript'),
    'app.css': asset(here('../assets/app.css'), 'text/css'),
  };

  const sessionOf = (cookieHeader: string | null | undefined) =>
    openSession(secret, cookieValue(cookieHeader, SESSION_COOKIE), Date.now());
  const localeOf = (c: Context): Locale => {
    const chosen = cookieValue(c.req.header('cookie'), LANGUAGE_COOKIE);
    return isLocale(chosen) ? chosen : (options.defaultLocale ?? 'zh-CN');
  };
  const wordsOf = (c: Context): Words => wordsFor(localeOf(c), settings);

  // The API acts as the signed-in person; without a session it falls back to API keys.
  app.route(
    '/api',
    clienteleApi(crm as never, {
      docs: false,
      authenticate: async (request) => {
        const session = sessionOf(request.headers.get('cookie'));
        return session ? { staffId: session.staffId } : null;
      },
    }),
  );

  app.get('/assets/:file', (c) => {
    const found = assets[c.req.param('file')];
    if (!found) return c.notFound();
    return c.body(found.body, 200, { 'content-type': `${found.type}; charset=utf-8`, 'cache-control': 'max-age=3600' });
  });

  app.get('/language/:locale', (c) => {
    const locale = c.req.param('locale');
    const back = c.req.query('back') ?? '/members';
    if (isLocale(locale))
      c.header('set-cookie', `${LANGUAGE_COOKIE}=${locale}; Path=/; SameSite=Lax; Max-Age=31536000`);
    return c.redirect(back.startsWith('/') && !back.startsWith('//') ? back : '/members', 303);
  });

  const signInForm = (w: Words, failed: boolean) =>
    page(
      w,
      w.t('signIn.title'),
      null,
      '/sign-in',
      html`${failed ? html`<p class="notice refusal" role="alert">${w.t('signIn.failed')}</p>` : ''}
<form method="post" action="/sign-in" class="sign-in">
<label for="login">${w.t('signIn.login')}</label><input id="login" name="login" autocomplete="username" required>
<label for="password">${w.t('signIn.password')}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">${w.t('signIn.submit')}</button>
</form>
<p class="muted">${w.t('signIn.demo', { logins: signIns.map((s) => s.login).join(', ') })}</p>`,
    );

  app.get('/sign-in', (c) => c.html(signInForm(wordsOf(c), false)));
  app.post('/sign-in', async (c) => {
    const form = await c.req.parseBody();
    const found = signIn(signIns, String(form['login'] ?? ''), String(form['password'] ?? ''));
    if (!found) return c.html(signInForm(wordsOf(c), true), 401);
    const value = sealSession(secret, { staffId: found.staffId, expires: Date.now() + SESSION_HOURS * 3_600_000 });
    c.header(
      'set-cookie',
      `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_HOURS * 3600}`,
    );
    return c.redirect('/members', 303);
  });
  app.post('/sign-out', (c) => {
    c.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return c.redirect('/sign-in', 303);
  });

  /** A page for the signed-in; others go to the sign-in form. */
  function staffPage(
    render: (
      c: Context,
      ctx: { w: Words; api: Api; viewer: Viewer; rights: StaffRights },
    ) => Promise<Response | { title: string; body: Markup }>,
  ) {
    return async (c: Context) => {
      const session = sessionOf(c.req.header('cookie'));
      if (!session) return c.redirect('/sign-in', 303);
      const w = wordsOf(c);
      const api = apiFor((url, init) => app.request(url, init), c.req.header('cookie') ?? '');
      const staff = await crm.staff.get(session.staffId).catch(() => null);
      const role = staff ? await crm.roles.get(staff.roleId).catch(() => null) : null;
      const viewer = { name: staff?.name ?? session.staffId, role: role?.name ?? staff?.roleId ?? '' };
      const rights = { permissions: role?.permissions ?? [], limits: role?.limits ?? {} };
      const out = await render(c, { w, api, viewer, rights });
      if (out instanceof Response) return out;
      // The language link comes back here, without the last action's notice (it is in the other language).
      const here = new URL(c.req.url);
      here.searchParams.delete('refused');
      here.searchParams.delete('done');
      return c.html(page(w, out.title, viewer, here.pathname + here.search, out.body));
    };
  }

  app.get('/', (c) => c.redirect('/members', 303));
  app.get(
    '/members',
    staffPage(async (c, { w, api }) => {
      const q = c.req.query('q') ?? '';
      return { title: w.t('find.title'), body: findPage(w, q, memberResults(w, q, await findMembers(api, q))) };
    }),
  );
  app.get('/members/results', async (c) => {
    const session = sessionOf(c.req.header('cookie'));
    if (!session) return c.text('', 401);
    const w = wordsOf(c);
    const api = apiFor((url, init) => app.request(url, init), c.req.header('cookie') ?? '');
    const q = c.req.query('q') ?? '';
    return c.html(memberResults(w, q, await findMembers(api, q)));
  });
  app.get(
    '/members/:id',
    staffPage(async (c, { w, api, rights }) =>
      memberPage(
        w,
        api,
        c.req.param('id')!,
        { refusal: c.req.query('refused'), done: c.req.query('done') },
        clock.now(),
        rights,
      ),
    ),
  );

  /** Runs an action; a refusal shows on the page it came from, in words, with nothing changed. */
  async function act(c: Context, w: Words, back: string, run: () => Promise<string>): Promise<Response> {
    try {
      const done = await run();
      return c.redirect(`${back}?done=${encodeURIComponent(w.t('action.done', { what: done }))}`, 303);
    } catch (error) {
      return c.redirect(`${back}?refused=${encodeURIComponent(refusalWords(w, error))}`, 303);
    }
  }
  const key = () => `bo-${crypto.randomUUID()}`;
  const deskFilters = (c: Context): DeskFilters => {
    const status = c.req.query('status');
    return {
      storeId: c.req.query('storeId') || undefined,
      severity: c.req.query('severity') || undefined,
      status: status === 'closed' || status === 'all' ? status : 'open',
    };
  };

  app.post(
    '/members/:id/:action',
    staffPage(async (c, { w, api }) => {
      const id = c.req.param('id')!;
      const form = await c.req.parseBody();
      const text = (name: string) => String(form[name] ?? '').trim();
      const back = `/members/${id}`;
      switch (c.req.param('action')) {
        case 'adjust-points':
          return act(c, w, back, async () => {
            const points = Number(text('points'));
            await api.loyalty.adjust({ customerId: id, points, reason: text('reason') }, { idempotencyKey: key() });
            return `${w.t('action.adjust')} ${points > 0 ? '+' : ''}${points}`;
          });
        case 'goodwill-voucher':
          return act(c, w, back, async () => {
            const voucher = await api.loyalty.vouchers.issue(
              { templateId: text('templateId'), customerId: id, reason: text('reason') },
              { idempotencyKey: key() },
            );
            return `${w.t('action.goodwill')} ${voucher.display}`;
          });
        case 'report-lost':
          return act(c, w, back, async () => {
            await api.cards.reportLost({ number: text('number'), reason: text('reason') }, { idempotencyKey: key() });
            return `${w.t('action.reportLost')} ${text('number')}`;
          });
        default:
          return c.notFound();
      }
    }),
  );

  app.get(
    '/complaints',
    staffPage(async (c, { w, api }) => {
      const desk = await deskPage(w, api, deskFilters(c), clock.now());
      return { title: w.t('desk.title'), body: html`${desk.filters}${desk.queue}` };
    }),
  );
  app.get(
    '/complaints/queue',
    staffPage(async (c, { w, api }) => c.html((await deskPage(w, api, deskFilters(c), clock.now())).queue)),
  );
  app.get(
    '/complaints/:id',
    staffPage(async (c, { w, api }) =>
      casePage(
        w,
        api,
        c.req.param('id')!,
        clock.now(),
        { refusal: c.req.query('refused'), done: c.req.query('done') },
        options.causes ?? [],
      ),
    ),
  );
  app.post(
    '/complaints/:id/:step',
    staffPage(async (c, { w, api }) => {
      const caseId = c.req.param('id')!;
      const step = c.req.param('step')!;
      const form = await c.req.parseBody();
      const text = (name: string) => String(form[name] ?? '').trim();
      const opt = (name: string) => (text(name) ? { [name]: text(name) } : {});
      const note = opt('note');
      const minor = (name: string) => Math.round(Number(text(name) || '0') * 100);
      const k = { idempotencyKey: key() };
      const cx = api.complaints;
      return act(c, w, `/complaints/${caseId}`, async () => {
        switch (step) {
          case 'acknowledge':
            await cx.acknowledge({ caseId, ...note }, k);
            break;
          case 'investigate':
            await cx.investigate({ caseId, ...note }, k);
            break;
          case 'mediate':
            await cx.mediate({ caseId, ...note }, k);
            break;
          case 'approve':
            await cx.approve({ caseId, ...note }, k);
            break;
          case 'decline':
            await cx.decline({ caseId, ...note }, k);
            break;
          case 'verify':
            await cx.verify({ caseId, ...note }, k);
            break;
          case 'completeTask':
            await cx.completeTask({ caseId, ...note }, k);
            break;
          case 'resume':
            await cx.resume({ caseId, ...note }, k);
            break;
          case 'explain':
            await cx.explain({ caseId, note: text('note') }, k);
            break;
          case 'appeal':
            await cx.appeal({ caseId, note: text('note') }, k);
            break;
          case 'reopen':
            await cx.reopen({ caseId, note: text('note') }, k);
            break;
          case 'pause':
            await cx.pause({ caseId, note: text('note') }, k);
            break;
          case 'escalate':
            await cx.escalate({ caseId, note: text('note') }, k);
            break;
          case 'accept':
          case 'reject':
            await cx.answer({ caseId, accepted: step === 'accept', ...note }, k);
            break;
          case 'propose': {
            const type = text('type');
            const remedy =
              type === 'goodwill-points'
                ? { type, points: Math.round(Number(text('amount'))) }
                : { type, amount: minor('amount') };
            await cx.propose({ caseId, remedies: [remedy as never], ...note }, k);
            break;
          }
          case 'rule':
            await cx.rule(
              {
                caseId,
                decision: text('decision') as never,
                ...(text('amount') ? { amount: minor('amount') } : {}),
                ...opt('reason'),
              },
              k,
            );
            break;
          case 'execute':
            await cx.execute(
              {
                caseId,
                ...(text('ownerStaffId')
                  ? {
                      task: {
                        ownerStaffId: text('ownerStaffId'),
                        description: text('task') || 'task',
                        dueInMinutes: 480,
                      },
                    }
                  : {}),
                ...note,
              },
              k,
            );
            break;
          case 'close':
            await cx.close({ caseId, ...opt('rootCause'), ...opt('outcome'), ...opt('reason') }, k);
            break;
          default:
            throw new Error(`unknown step ${step}`);
        }
        return w.t(`step.${step}` as never);
      });
    }),
  );

  app.get(
    '/segments',
    staffPage(async (_c, { w, api }) => ({ title: w.t('seg.title'), body: await segmentsPage(w, api) })),
  );
  return app;
}

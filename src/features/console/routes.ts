import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { normalizeLocale, tFor, type Locale } from '../../core/i18n.js';
import { accounts } from '../../db/schema/index.js';
import type { Role } from '../../http/auth.js';
import type { RouteModule } from '../../http/app.js';
import { htmlDocument, pageLocale } from '../../http/page-shell.js';
import { scriptNonce } from '../../http/security.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import { escapeMarkup } from '../../render/escape.js';
import { FOLLOWUP_STATUSES } from '../followup/store.js';
import { ACCESS, OFFICIAL_ROLES } from '../officials/roles.js';
import { TRANSPORT_KINDS, VENUE_KINDS } from '../venues/kinds.js';
import { CONSOLE_CSS, CONSOLE_SCRIPT } from './assets.js';
import {
  CONSOLE_COOKIE,
  CONSOLE_SESSION_HOURS,
  apiTokenIdOf,
  consumeLoginLink,
  loginLinkUsable,
  createSession,
  csrfMatches,
  revokeSession,
  sessionOf,
  sessionsLike,
  type SignedIn,
} from './sessions.js';

/** The console's pages, the areas of ACCESS that open each (admin opens all), in the order of the menu. */
const PAGES = [
  { id: 'overview', path: '/console', roles: ACCESS.stats },
  { id: 'followups', path: '/console/followups', roles: ACCESS.followups },
  { id: 'coverage', path: '/console/coverage', roles: ACCESS.reports },
  { id: 'cases', path: '/console/cases', roles: ACCESS.cases },
  { id: 'broadcasts', path: '/console/broadcasts', roles: ACCESS.broadcasts },
  { id: 'venues', path: '/console/venues', roles: ACCESS.cases },
  // The trips and passenger lists API is the `health` role's (src/features/transport/routes.ts).
  { id: 'trips', path: '/console/trips', roles: ACCESS.cases },
  { id: 'officials', path: '/console/officials', roles: ACCESS.officials },
  { id: 'sessions', path: '/console/sessions', roles: null },
] as const;
type PageId = (typeof PAGES)[number]['id'];

const mayOpen = (roles: Role[], page: (typeof PAGES)[number]) =>
  page.roles === null || roles.includes('admin') || page.roles.some((r) => roles.includes(r));

const FOLLOWUP_REASONS = ['active-case', 'symptoms', 'contact-declared', 'exposure'] as const;

/** The Vietnam calendar day (UTC+7) of an instant, yyyy-mm-dd. */
const vnDay = (d: Date) => new Date(d.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);

let uplotJs: Buffer | undefined;
let uplotCss: Buffer | undefined;
const uplotFile = (name: string) => readFileSync(path.join(PACKAGE_ROOT, 'node_modules', 'uplot', 'dist', name));

export const consoleRoutes: RouteModule = (app, deps) => {
  const db = deps.database.db;
  const secure = deps.config.publicUrl.startsWith('https://');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  const cookie = (value: string, maxAge: number) =>
    `${CONSOLE_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

  async function localeOf(req: FastifyRequest, signed?: SignedIn): Promise<Locale> {
    const asked = (req.query as { lang?: string } | undefined)?.lang;
    if (asked === 'en' || asked === 'vi') return asked;
    if (signed?.principal.accountId) {
      const a = await db.query.accounts.findFirst({ where: eq(accounts.id, signed.principal.accountId) });
      if (a) return normalizeLocale(a.locale);
    }
    return pageLocale(req);
  }

  function send(reply: FastifyReply, status: number, lang: Locale, title: string, body: string, head = '') {
    return reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(htmlDocument({ lang, title, css: CONSOLE_CSS, body, head }));
  }

  /** A console page: the menu (only the pages the official's roles open), the CSRF token, the script. */
  function shell(
    reply: FastifyReply,
    lang: Locale,
    signed: SignedIn,
    page: PageId,
    main: string,
    opts: { chart?: boolean } = {},
  ) {
    const t = tFor(lang);
    const nonce = scriptNonce(reply);
    const strings: Record<string, unknown> = {
      ...(t('console:js', { returnObjects: true }) as Record<string, string>),
      status: Object.fromEntries(FOLLOWUP_STATUSES.map((k) => [k, t(`followup:status_${k}`)])),
      reason: Object.fromEntries(FOLLOWUP_REASONS.map((k) => [k, t(`followup:reason_${k}`)])),
      mayRecordCases: mayOpen(
        signed.principal.roles,
        PAGES.find((p) => p.id === 'cases')!,
      ),
      kind: Object.fromEntries(VENUE_KINDS.map((k) => [k.id, t(`venues:kind.${k.id}`)])),
      role: Object.fromEntries(OFFICIAL_ROLES.map((r) => [r, t(`officials:role_${r}`)])),
    };
    const nav = PAGES.filter((p) => mayOpen(signed.principal.roles, p))
      .map(
        (p) =>
          `<a href="${p.path}"${p.id === page ? ' aria-current="page"' : ''}>${escapeMarkup(t(`console:nav.${p.id}`))}</a>`,
      )
      .join('');
    const other = lang === 'vi' ? 'en' : 'vi';
    const head =
      `<meta name="csrf-token" content="${escapeMarkup(signed.session.csrfToken)}">\n` +
      (opts.chart ? '<link rel="stylesheet" href="/console/assets/uplot.min.css">\n' : '') +
      `<script type="application/json" id="console-strings">${JSON.stringify(strings).replace(/</g, '\\u003c')}</script>\n` +
      (opts.chart ? `<script nonce="${nonce}" src="/console/assets/uplot.iife.min.js" defer></script>\n` : '') +
      `<script nonce="${nonce}" src="/console/assets/console.js" defer></script>\n`;
    const title = t(`console:nav.${page}`);
    const body = `<header><a class="brand" href="/console">${escapeMarkup(t('console:title'))}</a>
<nav aria-label="${escapeMarkup(t('console:menu'))}">${nav}</nav>
<div class="tools"><a href="?lang=${other}" lang="${other}">${other === 'en' ? 'English' : 'Tiếng Việt'}</a>
<form method="post" action="/console/logout"><input type="hidden" name="_csrf" value="${escapeMarkup(signed.session.csrfToken)}"><button type="submit">${escapeMarkup(t('console:sign_out'))}</button></form></div></header>
<main data-page="${page}"><h1>${escapeMarkup(title)}</h1>${main}</main>`;
    return send(reply, 200, lang, `${title} · ${t('console:title')}`, body, head);
  }

  /** The signed-in official, or a redirect to the sign-in page. */
  async function signedIn(req: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
    const signed = await sessionOf(db, req, deps.clock.now());
    if (!signed) {
      void reply.redirect('/console/login', 303);
      return undefined;
    }
    return signed;
  }

  function loginPage(reply: FastifyReply, lang: Locale, status: number, error?: string) {
    const t = tFor(lang);
    const body = `<main class="narrow"><h1>${escapeMarkup(t('console:title'))}</h1>
${error ? `<p class="error" role="alert">${escapeMarkup(error)}</p>` : ''}
<p>${escapeMarkup(t('console:login_intro'))}</p>
<form method="post" action="/console/login" class="card">
<label for="token">${escapeMarkup(t('console:login_token'))}</label>
<input id="token" name="token" type="password" autocomplete="off" required maxlength="200">
<button type="submit">${escapeMarkup(t('console:login_submit'))}</button></form></main>`;
    return send(reply, status, lang, t('console:title'), body);
  }

  /** A sign-in link opened: one button that uses it up. */
  function linkPage(reply: FastifyReply, lang: Locale, code: string) {
    const t = tFor(lang);
    const body = `<main class="narrow"><h1>${escapeMarkup(t('console:title'))}</h1>
<p>${escapeMarkup(t('console:link_confirm'))}</p>
<form method="post" action="/console/login" class="card">
<input type="hidden" name="link" value="${escapeMarkup(code)}">
<button type="submit">${escapeMarkup(t('console:login_submit'))}</button></form></main>`;
    return send(reply, 200, lang, t('console:title'), body);
  }

  app.get<{ Querystring: { t?: string; lang?: string } }>(
    '/console/login',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { t: { type: 'string', maxLength: 100 }, lang: { type: 'string', enum: ['vi', 'en'] } },
        },
      },
    },
    async (req, reply) => {
      const lang = await localeOf(req);
      if (!req.query.t) return loginPage(reply, lang, 200);
      // Opening the link does not use it up: a chat app's link preview or a link scanner fetches it too. The
      // page's button (a POST, which they do not send) signs in.
      if (!(await loginLinkUsable(db, req.query.t, deps.clock.now())))
        return loginPage(reply, lang, 410, tFor(lang)('console:link_invalid'));
      return linkPage(reply, lang, req.query.t);
    },
  );

  app.post<{ Body: { token?: string; link?: string } }>('/console/login', async (req, reply) => {
    const lang = await localeOf(req);
    const now = deps.clock.now();
    if (typeof req.body?.link === 'string') {
      const accountId = await consumeLoginLink(db, req.body.link, now);
      if (!accountId) return loginPage(reply, lang, 410, tFor(lang)('console:link_invalid'));
      const secret = await createSession(db, { accountId, userAgent: req.headers['user-agent'], now });
      req.log.info('console session started by link');
      return reply.header('set-cookie', cookie(secret, CONSOLE_SESSION_HOURS * 3600)).redirect('/console', 303);
    }
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const apiTokenId = token ? await apiTokenIdOf(db, token) : undefined;
    if (!apiTokenId) return loginPage(reply, lang, 401, tFor(lang)('console:token_invalid'));
    const secret = await createSession(db, { apiTokenId, userAgent: req.headers['user-agent'], now });
    req.log.info('console session started by token');
    return reply.header('set-cookie', cookie(secret, CONSOLE_SESSION_HOURS * 3600)).redirect('/console', 303);
  });

  /** A form POST of the console: the session and its CSRF token in `_csrf`, or 403. */
  async function formPost(req: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
    const signed = await sessionOf(db, req, deps.clock.now());
    if (!signed) {
      void reply.redirect('/console/login', 303);
      return undefined;
    }
    if (!csrfMatches(signed.session, (req.body as { _csrf?: unknown } | undefined)?._csrf)) {
      void reply
        .status(403)
        .send({ error: { code: 'CSRF_TOKEN_MISSING', message: 'This change needs the console’s CSRF token.' } });
      return undefined;
    }
    return signed;
  }

  app.post('/console/logout', async (req, reply) => {
    const signed = await formPost(req, reply);
    if (!signed) return reply;
    await revokeSession(db, signed.session, signed.session.id, deps.clock.now());
    return reply.header('set-cookie', cookie('', 0)).redirect('/console/login', 303);
  });

  app.post<{ Params: { id: string } }>(
    '/console/sessions/:id/revoke',
    { schema: { params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } } } },
    async (req, reply) => {
      const signed = await formPost(req, reply);
      if (!signed) return reply;
      await revokeSession(db, signed.session, req.params.id, deps.clock.now());
      return reply.redirect(req.params.id === signed.session.id ? '/console/login' : '/console/sessions', 303);
    },
  );

  app.get('/console/sessions', async (req, reply) => {
    const signed = await signedIn(req, reply);
    if (!signed) return reply;
    const lang = await localeOf(req, signed);
    const t = tFor(lang);
    const fmt = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'vi-VN', {
      dateStyle: 'short',
      timeStyle: 'short',
      timeZone: 'Asia/Ho_Chi_Minh',
    });
    const rows = (await sessionsLike(db, signed.session, deps.clock.now()))
      .map(
        (
          s,
        ) => `<tr><td>${escapeMarkup(s.userAgent ?? '—')}${s.id === signed.session.id ? ` <strong>(${escapeMarkup(t('console:this_session'))})</strong>` : ''}</td>
<td>${fmt.format(s.createdAt)}</td><td>${fmt.format(s.lastSeenAt)}</td><td>${fmt.format(s.expiresAt)}</td>
<td><form method="post" action="/console/sessions/${s.id}/revoke"><input type="hidden" name="_csrf" value="${escapeMarkup(signed.session.csrfToken)}"><button type="submit">${escapeMarkup(t('console:revoke'))}</button></form></td></tr>`,
      )
      .join('');
    return shell(
      reply,
      lang,
      signed,
      'sessions',
      `<div class="scroll"><table class="wrap"><thead><tr><th>${escapeMarkup(t('console:session_device'))}</th><th>${escapeMarkup(t('console:session_created'))}</th><th>${escapeMarkup(t('console:session_seen'))}</th><th>${escapeMarkup(t('console:session_expires'))}</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`,
    );
  });

  app.get<{ Querystring: { from?: string; to?: string; lang?: string } }>(
    '/console',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            to: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            lang: { type: 'string', enum: ['vi', 'en'] },
          },
        },
      },
    },
    async (req, reply) => {
      const signed = await signedIn(req, reply);
      if (!signed) return reply;
      const lang = await localeOf(req, signed);
      const t = tFor(lang);
      if (!mayOpen(signed.principal.roles, PAGES[0])) {
        const first = PAGES.find((p) => mayOpen(signed.principal.roles, p))!;
        return reply.redirect(first.path, 303);
      }
      // Days in Vietnam's time: today and the 13 days before it, unless the official picked a range.
      const vnToday = vnDay(deps.clock.now());
      const to = req.query.to ?? vnToday;
      const from =
        req.query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 13 * 86_400_000).toISOString().slice(0, 10);
      const main = `<form class="range" method="get" action="/console">
<label>${escapeMarkup(t('console:from'))} <input type="date" name="from" value="${from}" required></label>
<label>${escapeMarkup(t('console:to'))} <input type="date" name="to" value="${to}" required></label>
<button type="submit">${escapeMarkup(t('console:show'))}</button></form>
<div id="overview" data-from="${from}" data-to="${to}">
<section class="cards" aria-live="polite"><div class="card"><span>${escapeMarkup(t('console:js.declarations'))}</span><b id="n-declarations">…</b></div>
<div class="card"><span>${escapeMarkup(t('console:js.symptomatic'))}</span><b id="n-symptomatic">…</b></div>
<div class="card"><span>${escapeMarkup(t('console:js.checkins'))}</span><b id="n-checkins">…</b></div>
<div class="card"><span>${escapeMarkup(t('console:js.alerts_sent'))}</span><b id="n-alerts-sent">…</b></div>
<div class="card"><span>${escapeMarkup(t('console:js.alerts_acknowledged'))}</span><b id="n-alerts-ack">…</b></div></section>
<section class="pair"><div><h2>${escapeMarkup(t('console:chart_daily'))}</h2><div class="chart" id="chart-daily"></div></div>
<div class="scroll"><table id="table-daily"></table></div></section>
<section class="pair"><div><h2>${escapeMarkup(t('console:chart_wards'))}</h2><div class="chart" id="chart-wards"></div></div>
<div class="scroll"><table id="table-wards"></table></div></section></div>`;
      return shell(reply, lang, signed, 'overview', main, { chart: true });
    },
  );

  /** A page whose content the script fills from the API; refused (in the shell) when the roles do not open it. */
  const apiPage = (id: PageId, html: (t: ReturnType<typeof tFor>, req: FastifyRequest) => string) =>
    app.get(PAGES.find((p) => p.id === id)!.path, async (req, reply) => {
      const signed = await signedIn(req, reply);
      if (!signed) return reply;
      const lang = await localeOf(req, signed);
      const t = tFor(lang);
      if (
        !mayOpen(
          signed.principal.roles,
          PAGES.find((p) => p.id === id)!,
        )
      ) {
        reply.status(403);
        return shell(
          reply,
          lang,
          signed,
          id,
          `<p class="error" role="alert">${escapeMarkup(t('console:js.forbidden'))}</p>`,
        );
      }
      return shell(reply, lang, signed, id, html(t, req));
    });
  const e = (t: ReturnType<typeof tFor>, key: string) => escapeMarkup(t(`console:${key}`));

  apiPage(
    'followups',
    (t) => `<form id="fu-filter" class="range">
<label>${e(t, 'js.ward')} <select name="wardCode"><option value="">${e(t, 'all')}</option></select></label>
<label>${e(t, 'status')} <select name="status"><option value="">${e(t, 'all')}</option>${FOLLOWUP_STATUSES.map((s) => `<option value="${s}">${escapeMarkup(t(`followup:status_${s}`))}</option>`).join('')}</select></label>
<button type="submit">${e(t, 'filter')}</button></form>
<p id="fu-count" class="muted" aria-live="polite"></p>
<div class="scroll tall"><table id="fu-table" class="cards-sm"></table></div>`,
  );

  apiPage('cases', (t, req) => {
    const personId = (req.query as { personId?: string }).personId;
    const pid = personId && /^[0-9a-f-]{36}$/i.test(personId) ? personId : '';
    return `<form id="case-form" class="card form-grid">
${pid ? `<input type="hidden" name="personId" value="${pid}"><p>${e(t, 'case_for_person')}</p>` : `<label>${e(t, 'phone')} <input name="phone" type="tel" inputmode="tel" maxlength="30" required></label>`}
<label>${e(t, 'onset')} <input name="onsetAt" type="datetime-local"></label>
<label>${e(t, 'tested')} <input name="testedAt" type="datetime-local"></label>
<label>${e(t, 'note')} <textarea name="note" maxlength="2000" rows="2"></textarea></label>
<div><button type="submit">${e(t, 'preview')}</button></div></form>
<section id="case-preview" hidden><h2>${e(t, 'preview_title')}</h2><p id="case-summary" aria-live="polite"></p>
<div class="scroll"><table id="case-windows"></table></div>
<p><button type="button" id="case-send">${e(t, 'send_case')}</button></p></section>
<section id="case-result" hidden><h2>${e(t, 'result_title')}</h2><p id="case-result-summary" aria-live="polite"></p>
<div class="scroll"><table id="case-contacts"></table></div></section>`;
  });

  apiPage(
    'broadcasts',
    (t) => `<form id="bc-form" class="card">
<label for="bc-text">${e(t, 'bc_text')}</label><textarea id="bc-text" name="text" maxlength="4096" rows="4" required></textarea>
<fieldset><legend>${e(t, 'bc_audience')}</legend>
<div class="opt"><input type="radio" id="aud-all" name="aud" value="all" checked><label for="aud-all">${e(t, 'bc_all')}</label></div>
<div class="opt"><input type="radio" id="aud-district" name="aud" value="district"><label for="aud-district">${e(t, 'bc_district')}</label> <select name="district" aria-label="${e(t, 'bc_district')}"></select></div>
<div class="opt"><input type="radio" id="aud-wards" name="aud" value="wards"><label for="aud-wards">${e(t, 'bc_wards')}</label> <select name="wards" multiple size="5" aria-label="${e(t, 'bc_wards')}"></select></div>
</fieldset>
<label for="bc-at">${e(t, 'bc_schedule')}</label><input id="bc-at" name="scheduledAt" type="datetime-local">
<p id="bc-count" aria-live="polite"></p>
<button type="submit">${e(t, 'bc_send')}</button></form>
<section id="bc-progress" class="card" hidden><h2>${e(t, 'bc_progress')}</h2>
<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div></div></div>
<p id="bc-progress-text" aria-live="polite"></p><button type="button" id="bc-cancel" class="secondary">${e(t, 'bc_cancel')}</button></section>
<h2>${e(t, 'bc_recent')}</h2><div class="scroll"><table id="bc-list"></table></div>`,
  );

  apiPage(
    'venues',
    (t) => `<form id="vn-filter" class="range">
<label>${e(t, 'vn_search')} <input type="search" name="q" maxlength="100"></label>
<label>${e(t, 'js.ward')} <select name="wardCode"><option value="">${e(t, 'all')}</option></select></label>
<label>${e(t, 'from')} <input type="date" name="from" required></label>
<label>${e(t, 'to')} <input type="date" name="to" required></label>
<button type="submit">${e(t, 'filter')}</button></form>
<p id="vn-count" class="muted" aria-live="polite"></p>
<div class="scroll tall"><table id="vn-table" class="cards-sm"></table></div>`,
  );

  apiPage(
    'coverage',
    (t) => `<form id="cv-filter" class="range">
<label>${e(t, 'cv_district')} <select name="districtCode"><option value="">${e(t, 'all')}</option></select></label>
<label class="inline"><input type="checkbox" name="withFigures"> ${e(t, 'cv_with_figures')}</label>
<button type="submit">${e(t, 'filter')}</button>
<a id="cv-csv" href="/api/v1/reports/coverage.csv" download>${e(t, 'cv_csv')}</a></form>
<section class="cards" aria-live="polite"><div class="card"><span>${e(t, 'cv_wards')}</span><b id="cv-n-wards">…</b></div>
<div class="card"><span>${e(t, 'cv_venues')}</span><b id="cv-n-venues">…</b></div>
<div class="card"><span>${e(t, 'cv_active')}</span><b id="cv-n-active">…</b></div>
<div class="card"><span>${e(t, 'cv_declared_7d')}</span><b id="cv-n-declared">…</b></div>
<div class="card"><span>${e(t, 'cv_required')}</span><b id="cv-n-required">…</b></div></section>
<div class="scroll tall"><table id="cv-table" class="cards-sm"></table></div>
<h2>${e(t, 'cv_missing')}</h2><p class="muted">${e(t, 'cv_missing_hint')}</p>
<div class="scroll tall"><table id="cv-missing" class="cards-sm"></table></div>`,
  );

  apiPage(
    'trips',
    (t) => `<form id="tr-filter" class="range">
<label>${e(t, 'tr_vehicle')} <select name="venueId" required></select></label>
<label>${e(t, 'from')} <input type="date" name="from" required></label>
<label>${e(t, 'to')} <input type="date" name="to" required></label>
<button type="submit">${e(t, 'filter')}</button></form>
<p id="tr-vehicle" class="muted" aria-live="polite"></p>
<div class="scroll tall"><table id="tr-table" class="cards-sm" data-kinds="${TRANSPORT_KINDS.join(',')}" data-today="${vnDay(deps.clock.now())}"></table></div>`,
  );

  apiPage(
    'officials',
    (t) => `<form id="of-invite" class="card form-grid">
<label>${e(t, 'of_role')} <select name="role">${OFFICIAL_ROLES.map((r) => `<option value="${r}">${escapeMarkup(t(`officials:role_${r}`))}</option>`).join('')}</select></label>
<label>${e(t, 'of_wards')} <input name="wardCodes" inputmode="numeric" pattern="[0-9, ]*" maxlength="2000"></label>
<label>${e(t, 'of_district')} <input name="districtCode" inputmode="numeric" pattern="[0-9]{3}" maxlength="3"></label>
<div><button type="submit">${e(t, 'of_invite')}</button></div></form>
<p id="of-invite-result" aria-live="polite"></p>
<h2>${e(t, 'of_officials')}</h2><div class="scroll"><table id="of-officials" class="cards-sm"></table></div>
<h2>${e(t, 'of_invites')}</h2><div class="scroll"><table id="of-invites"></table></div>
<h2>${e(t, 'of_tokens')}</h2><div class="scroll"><table id="of-tokens"></table></div>`,
  );

  const asset = (reply: FastifyReply, type: string, body: string | Buffer) =>
    reply.header('content-type', type).header('cache-control', 'public, max-age=3600').send(body);
  app.get('/console/assets/console.js', async (_req, reply) =>
    asset(reply, 'text/javascript; charset=utf-8', CONSOLE_SCRIPT),
  );
  app.get('/console/assets/uplot.iife.min.js', async (_req, reply) =>
    asset(reply, 'text/javascript; charset=utf-8', (uplotJs ??= uplotFile('uPlot.iife.min.js'))),
  );
  app.get('/console/assets/uplot.min.css', async (_req, reply) =>
    asset(reply, 'text/css; charset=utf-8', (uplotCss ??= uplotFile('uPlot.min.css'))),
  );
};

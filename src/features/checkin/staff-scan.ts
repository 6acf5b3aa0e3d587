import { and, eq, gt, isNull } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../core/dialog.js';
import { formatDateTime, tFor, type Locale } from '../../core/i18n.js';
import type { ChannelName } from '../../core/messages.js';
import type { DbOrTx } from '../../db/client.js';
import { accounts, staffLoginLinks, type Venue } from '../../db/schema/index.js';
import type { RouteModule } from '../../http/app.js';
import { readCookie } from '../../http/auth.js';
import { enqueue } from '../../outbox/enqueue.js';
import { personById } from '../people/store.js';
import { htmlPage, pageLocale } from '../../http/page-shell.js';
import { escapeMarkup } from '../../render/escape.js';
import { maskName } from '../pass/verify-page.js';
import { readSignedToken, signedToken } from '../venues/signing.js';
import { staffRole, venueById } from '../venues/store.js';
import type { CurrentStatus } from '../pass/status.js';
import { entryPolicyOf } from '../venues/kinds.js';
import { decideEntry, entryAt, recordRefusedEntry, recordWarnedEntry, type EntryDecision } from './entry.js';
import { recordCheckins } from './store.js';
import { transportSettings } from '../transport/store.js';
import { hashLoginCode as hash, STAFF_SESSION_HOURS } from '../venues/staff-login.js';

// Where venues' chat menu finds them; the login link is the venues feature's (its owners hand it out).
export { createStaffLoginLink, STAFF_LOGIN_MINUTES, STAFF_SESSION_HOURS } from '../venues/staff-login.js';

/**
 * How venue staff prove who they are on the pass verify page (GET /v/:token, opened by the phone camera):
 *
 * 1. In chat, `/diadiem` → "Quét thẻ" creates a single-use login link (15 minutes; only its hash is stored).
 * 2. Opened in the phone's browser, the link shows a "Start scanning" button; the POST consumes the link and
 *    sets `kb_staff`, an HMAC-signed, httpOnly, SameSite=Lax cookie naming (staff account, venue, expiry).
 *    Consuming on POST, not GET, keeps link-preview fetchers from using the link up.
 * 3. The verify page asks `staffCheckinPanel` for extra HTML. With a valid cookie whose account is still staff
 *    of an open venue, it shows "Ghi nhận vào <venue>": a form carrying a ticket signed for exactly
 *    (person, venue, staff account), valid 10 minutes.
 * 4. POST /staff/checkins checks cookie, ticket and the staff row again, then records the visit (source
 *    'staff') and tells the resident in chat.
 * A stranger holding someone's pass has no cookie, so sees no button and cannot forge a ticket; a cookie for
 * another venue does not match the ticket; removing someone from venue_staff ends their power at once.
 */
export const STAFF_COOKIE = 'kb_staff';
export const STAFF_TICKET_MINUTES = 10;

export interface StaffSession {
  accountId: string;
  venueId: string;
  expiresAt: Date;
}

/** The signed staff session in the request's cookie, if any (signature and expiry checked, not the staff row). */
export function staffSession(
  req: Pick<FastifyRequest, 'headers'>,
  deps: Pick<Deps, 'secrets' | 'clock'>,
): StaffSession | undefined {
  const raw = readCookie(req, STAFF_COOKIE);
  if (!raw) return undefined;
  const parts = readSignedToken(deps, 'staff-session', raw, deps.clock.now(), 2);
  if (!parts) return undefined;
  const exp = Number(raw.split('.')[2]) * 1000;
  return { accountId: parts[0]!, venueId: parts[1]!, expiresAt: new Date(exp) };
}

/** The venue a session may record for right now: still staff there, and the venue open. */
export async function activeVenue(db: DbOrTx, session: StaffSession): Promise<Venue | undefined> {
  const venue = await venueById(db, session.venueId);
  if (!venue || venue.closedAt) return undefined;
  return (await staffRole(db, venue.id, session.accountId)) ? venue : undefined;
}

export function ticketFor(deps: Pick<Deps, 'secrets'>, personId: string, session: StaffSession, now: Date): string {
  return signedToken(
    deps,
    'staff-ticket',
    [personId, session.venueId, session.accountId],
    new Date(now.getTime() + STAFF_TICKET_MINUTES * 60_000),
  );
}

/**
 * Extra HTML for the pass verify page (registered in the pass feature's `verifyPageExtensions`):
 * the "record entry" button for signed-in staff of an open venue; nothing for anyone else.
 */
export async function staffCheckinPanel(
  req: Pick<FastifyRequest, 'headers'> & { query?: unknown },
  ctx: { personId: string; token?: string; deps: Deps; current?: CurrentStatus },
): Promise<string | undefined> {
  const { deps } = ctx;
  const session = staffSession(req, deps);
  if (!session) return undefined;
  const venue = await activeVenue(deps.database.db, session);
  if (!venue) return undefined;
  const lang = pageLocale(req);
  const t = tFor(lang);
  const now = deps.clock.now();
  const entry = ctx.current
    ? { ...decideEntry(ctx.current, entryPolicyOf(venue)), current: ctx.current }
    : await entryAt(deps.database.db, ctx.personId, venue, now, deps.config);
  const vars = { name: venue.name, hotline: deps.config.hotline, hours: deps.config.passValidHours };
  if (entry.verdict === 'refuse') {
    // The scan is the attempt: audited, and for red the health officials are told (repeats within a minute,
    // a reload, are one notice). Nothing to record: no form, no ticket.
    await noteRefusalAtDoor(deps, session, venue, ctx.personId, entry, now);
    const key = entry.status === 'red' ? 'verdict_red' : 'verdict_yellow_refuse';
    return verdictBlock(
      'refuse',
      '#b91c1c',
      '#ffffff',
      `⛔ ${t(`checkin:staff_page.${key}_title`)}`,
      t(`checkin:staff_page.${key}_body`, vars),
    );
  }
  if (entry.verdict === 'declare-first') {
    return verdictBlock(
      'declare-first',
      '#374151',
      '#ffffff',
      t('checkin:staff_page.verdict_grey_title'),
      t('checkin:staff_page.verdict_grey_body', vars),
    );
  }
  const ticket = ticketFor(deps, ctx.personId, session, now);
  let warning = '';
  if (entry.status === 'yellow') {
    const key = entry.verdict === 'warn' ? 'verdict_yellow_warn' : 'verdict_yellow_admit';
    warning = `<p id="entry-verdict" data-verdict="${entry.verdict}" style="margin:0 0 12px;padding:12px 14px;border:3px solid #92400e;border-radius:10px;background:#fef3c7;color:#1f1f1f;font-size:17px;font-weight:600">⚠ ${escapeMarkup(t(`checkin:staff_page.${key}`, vars))}</p>`;
  }
  // Inline styles: this fragment lives inside the pass page, whose stylesheet knows nothing of it.
  return `${warning}<form method="post" action="/staff/checkins${lang === 'en' ? '?lang=en' : ''}" id="staff-checkin" style="margin:0;padding:14px;border:2px solid #0b6b3a;border-radius:12px;background:#f0f8f3">
<p style="margin:0 0 10px;font-size:15px;color:#333">${escapeMarkup(t('checkin:staff_page.panel_note', { name: venue.name }))}</p>
<input type="hidden" name="ticket" value="${escapeMarkup(ticket)}">
<button type="submit" style="display:block;width:100%;padding:16px;border:0;border-radius:10px;background:#0b6b3a;color:#fff;font-size:18px;font-weight:600">${escapeMarkup(t('checkin:staff_page.panel_button', { name: venue.name }))}</button>
</form>`;
}

/**
 * A staff scan that the door refuses: the scan is the attempt, so it is audited and, for red, the health
 * officials are told (repeats within a minute are one notice: entry.ts).
 */
export async function noteRefusalAtDoor(
  deps: Deps,
  session: StaffSession,
  venue: Venue,
  personId: string,
  entry: EntryDecision,
  now: Date,
): Promise<void> {
  const person = await personById(deps.database.db, personId);
  if (!person) return;
  const queued = await deps.database.db.transaction((tx) =>
    recordRefusedEntry(tx, { person, venue, decision: entry, source: 'staff', actorAccountId: session.accountId, now }),
  );
  if (queued > 0) deps.wakeOutbox();
}

/** A verdict that offers nothing to record: full width of the page (out of the panel's margin), in words. */
function verdictBlock(
  verdict: 'refuse' | 'declare-first',
  background: string,
  colour: string,
  title: string,
  body: string,
): string {
  return `<section id="entry-verdict" data-verdict="${verdict}" role="alert" style="margin:0 -16px;padding:22px 20px;background:${background};color:${colour};text-align:center">
<p style="margin:0 0 8px;font-size:30px;font-weight:800;letter-spacing:.02em">${escapeMarkup(title)}</p>
<p style="margin:0;font-size:17px">${escapeMarkup(body)}</p>
</section>`;
}

export type StaffEntryOutcome =
  | { denied: 'not_staff' | 'person_gone' }
  | { denied: 'refused'; venue: Venue; status: string; notified: number }
  | { denied: 'declare_first'; venue: Venue }
  | {
      denied?: undefined;
      venue: Venue;
      person: NonNullable<Awaited<ReturnType<typeof personById>>>;
      outcome: Awaited<ReturnType<typeof recordCheckins>>[number];
      warn: boolean;
    };

/**
 * Records a staff member's entry of a person at the session's venue, deciding again (entry.ts) inside the
 * transaction: a red pass is refused (audited, officials told), a grey one must declare first, otherwise the
 * visit is recorded (source 'staff') and the person's owner, if they have a chat account, is told. Used by the
 * verify page's panel (POST /staff/checkins) and the scanner page (POST /staff/scan/record, checkin/scanner.ts).
 * The caller wakes the outbox after it.
 */
export async function recordStaffEntry(
  deps: Deps,
  session: StaffSession,
  personId: string,
  now: Date,
): Promise<StaffEntryOutcome> {
  return deps.database.db.transaction(async (tx): Promise<StaffEntryOutcome> => {
    const venue = await activeVenue(tx, session);
    if (!venue) return { denied: 'not_staff' };
    const person = await personById(tx, personId);
    if (!person) return { denied: 'person_gone' };
    // The page's verdict is checked again here: a ticket is no pass for a person who turned red (or whose
    // venue now refuses yellow) since the page was opened, nor for a forged form.
    const entry = await entryAt(tx, person.id, venue, now, deps.config);
    if (entry.verdict === 'refuse') {
      const notified = await recordRefusedEntry(tx, {
        person,
        venue,
        decision: entry,
        source: 'staff',
        actorAccountId: session.accountId,
        now,
      });
      return { denied: 'refused', venue, status: entry.status, notified };
    }
    if (entry.verdict === 'declare-first') return { denied: 'declare_first', venue };
    const [outcome] = await recordCheckins(tx, {
      venueId: venue.id,
      personIds: [person.id],
      accountId: person.ownerAccountId,
      source: 'staff',
      channel: 'web',
      now,
      recordedByAccountId: session.accountId,
      boardingMinutes: transportSettings(deps.config).boardingMinutes,
      venueKind: venue.kind,
    });
    if (outcome!.status === 'created' && entry.verdict === 'warn') {
      await recordWarnedEntry(tx, {
        personId: person.id,
        venue,
        decision: entry,
        source: 'staff',
        actorAccountId: session.accountId,
        now,
      });
    }
    if (outcome!.status === 'created') {
      // Tell the resident in their chat, with the leave button, as if they had scanned the poster.
      const owner = person.ownerAccountId
        ? await tx.query.accounts.findFirst({ where: eq(accounts.id, person.ownerAccountId) })
        : undefined;
      if (owner && !owner.unreachableAt) {
        const ot = tFor(owner.locale);
        const time = formatDateTime(now, owner.locale);
        await enqueue(tx, [
          {
            channel: owner.channel as ChannelName,
            accountId: owner.id,
            kind: 'checkin',
            refId: outcome!.visit.id,
            dedupeKey: `checkin:${outcome!.visit.id}`,
            messages: [
              {
                text: person.isSelf
                  ? ot('checkin:staff_notice', { venue: venue.name, time })
                  : ot('checkin:staff_notice_family', { venue: venue.name, name: person.fullName, time }),
                buttons: [[{ label: ot('checkin:btn_leave'), payload: `leave:${venue.id}` }]],
              },
            ],
          },
        ]);
      }
    }
    return { venue, person, outcome: outcome!, warn: entry.verdict === 'warn' };
  });
}

function page(reply: FastifyReply, status: number, lang: Locale, title: string, body: string) {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(htmlPage(lang, title, `<h1>${escapeMarkup(title)}</h1>${body}`));
}

export const staffScanRoutes: RouteModule = (app, deps) => {
  // Scoped to this plugin: the staff pages post ordinary HTML forms.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  const secure = deps.config.publicUrl.startsWith('https://');

  const validLink = async (db: DbOrTx, code: string, now: Date) =>
    db.query.staffLoginLinks.findFirst({
      where: and(
        eq(staffLoginLinks.codeHash, hash(code)),
        isNull(staffLoginLinks.usedAt),
        gt(staffLoginLinks.expiresAt, now),
      ),
    });

  app.get('/staff/login/:code', async (req, reply) => {
    const lang = pageLocale(req);
    const t = tFor(lang);
    const { code } = req.params as { code: string };
    const link = await validLink(deps.database.db, code, deps.clock.now());
    const venue = link ? await venueById(deps.database.db, link.venueId) : undefined;
    if (!link || !venue) {
      return page(
        reply,
        410,
        lang,
        t('checkin:staff_page.login_invalid_title'),
        `<p>${escapeMarkup(t('checkin:staff_page.login_invalid_body'))}</p>`,
      );
    }
    return page(
      reply,
      200,
      lang,
      t('checkin:staff_page.login_title', { name: venue.name }),
      `<p>${escapeMarkup(t('checkin:staff_page.login_body', { hours: STAFF_SESSION_HOURS }))}</p>
<form method="post" action="/staff/login/${escapeMarkup(encodeURIComponent(code))}"><button class="btn" type="submit">${escapeMarkup(t('checkin:staff_page.login_button'))}</button></form>`,
    );
  });

  app.post('/staff/login/:code', async (req, reply) => {
    const lang = pageLocale(req);
    const t = tFor(lang);
    const { code } = req.params as { code: string };
    const now = deps.clock.now();
    // Consume in one statement: two taps (or two phones) cannot both get a session from one link.
    const [link] = await deps.database.db
      .update(staffLoginLinks)
      .set({ usedAt: now })
      .where(
        and(
          eq(staffLoginLinks.codeHash, hash(code)),
          isNull(staffLoginLinks.usedAt),
          gt(staffLoginLinks.expiresAt, now),
        ),
      )
      .returning();
    const expiresAt = new Date(now.getTime() + STAFF_SESSION_HOURS * 3_600_000);
    const session = link ? { accountId: link.accountId, venueId: link.venueId, expiresAt } : undefined;
    const venue = session ? await activeVenue(deps.database.db, session) : undefined;
    if (!session || !venue) {
      return page(
        reply,
        410,
        lang,
        t('checkin:staff_page.login_invalid_title'),
        `<p>${escapeMarkup(t('checkin:staff_page.login_invalid_body'))}</p>`,
      );
    }
    const value = signedToken(deps, 'staff-session', [session.accountId, session.venueId], expiresAt);
    reply.header(
      'set-cookie',
      `${STAFF_COOKIE}=${value}; Path=/; Max-Age=${STAFF_SESSION_HOURS * 3600}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
    );
    req.log.info({ venueId: venue.id, accountId: session.accountId }, 'staff scanning session started');
    return page(
      reply,
      200,
      lang,
      t('checkin:staff_page.ready_title'),
      `<p>${escapeMarkup(t('checkin:staff_page.ready_body', { name: venue.name, until: formatDateTime(expiresAt, lang) }))}</p>
<a class="btn" id="open-scanner" href="/staff/scan${lang === 'en' ? '?lang=en' : ''}">${escapeMarkup(t('checkin:scanner.open_scanner'))}</a>`,
    );
  });

  app.post('/staff/checkins', async (req, reply) => {
    const lang = pageLocale(req);
    const t = tFor(lang);
    const deny = (status: number, key: string) =>
      page(
        reply,
        status,
        lang,
        t('checkin:staff_page.denied_title'),
        `<p>${escapeMarkup(t(`checkin:staff_page.${key}`))}</p>`,
      );
    const session = staffSession(req, deps);
    if (!session) return deny(401, 'no_session');
    const now = deps.clock.now();
    const ticket = String((req.body as { ticket?: unknown } | undefined)?.ticket ?? '');
    const parts = readSignedToken(deps, 'staff-ticket', ticket, now, 3);
    if (!parts || parts[1] !== session.venueId || parts[2] !== session.accountId) return deny(403, 'bad_ticket');
    const personId = parts[0]!;
    const result = await recordStaffEntry(deps, session, personId, now);
    if (result.denied === 'refused' || result.denied === 'declare_first') {
      if (result.denied === 'refused' && result.notified > 0) deps.wakeOutbox();
      req.log.info(
        { venueId: result.venue.id, staff: session.accountId, verdict: result.denied },
        'staff check-in refused',
      );
      const vars = { name: result.venue.name, hotline: deps.config.hotline, hours: deps.config.passValidHours };
      const key =
        result.denied === 'declare_first'
          ? 'verdict_grey'
          : result.status === 'red'
            ? 'verdict_red'
            : 'verdict_yellow_refuse';
      const verdict = result.denied === 'declare_first' ? 'declare-first' : 'refuse';
      return page(
        reply,
        403,
        lang,
        t('checkin:staff_page.refused_title'),
        verdictBlock(
          verdict,
          verdict === 'refuse' ? '#b91c1c' : '#374151',
          '#ffffff',
          t(`checkin:staff_page.${key}_title`),
          t(`checkin:staff_page.${key}_body`, vars),
        ),
      );
    }
    if (result.denied) return deny(result.denied === 'not_staff' ? 403 : 404, result.denied);
    deps.wakeOutbox?.();
    req.log.info(
      { venueId: result.venue.id, visitId: result.outcome.visit.id, staff: session.accountId },
      'staff check-in',
    );
    const vars = {
      person: maskName(result.person.fullName),
      venue: result.venue.name,
      time: formatDateTime(result.outcome.visit.enteredAt, lang),
    };
    const key = result.outcome.status === 'created' ? 'recorded_body' : 'already_body';
    const warning = result.warn
      ? `<p id="entry-verdict" data-verdict="warn">⚠ ${escapeMarkup(t('checkin:staff_page.recorded_warning'))}</p>`
      : '';
    return page(
      reply,
      200,
      lang,
      t('checkin:staff_page.recorded_title'),
      `<p id="result" data-status="${result.outcome.status}">${escapeMarkup(t(`checkin:staff_page.${key}`, vars))}</p>${warning}`,
    );
  });
};

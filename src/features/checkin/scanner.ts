import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { desc, eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit/audit-log.js';
import { parsePhone } from '../../core/answer-parsing.js';
import type { Deps } from '../../core/dialog.js';
import type { DbOrTx } from '../../db/client.js';
import { formatDateTime, tFor, type Locale, type T } from '../../core/i18n.js';
import { persons, type Person, type Venue } from '../../db/schema/index.js';
import type { RouteModule } from '../../http/app.js';
import { htmlDocument, htmlPage, pageLocale } from '../../http/page-shell.js';
import { escapeMarkup } from '../../render/escape.js';
import { HEALTH_QUESTIONS } from '../health-form/questions.js';
import { parseName } from '../health-form/validators.js';
import { passTokenIn, personOfPassToken } from '../pass/scan.js';
import { maskName } from '../pass/verify-page.js';
import { encryptNationalId, nationalIdLookupHash, parseCccdQr, type CccdCard } from '../people/national-id.js';
import { addDeclaration, personById, savePerson, type HealthInput } from '../people/store.js';
import { homeWards, wardByCode } from '../wards/store.js';
import { entryAt, type EntryDecision } from './entry.js';
import {
  activeVenue,
  noteRefusalAtDoor,
  recordStaffEntry,
  staffSession,
  ticketFor,
  type StaffEntryOutcome,
  type StaffSession,
} from './staff-scan.js';
import { readSignedToken } from '../venues/signing.js';
import { setAutoRecordGreen } from '../venues/store.js';

/**
 * The staff scanner page (issue 13): GET /staff/scan, for a phone signed in as venue staff (the same cookie
 * as the verify page's panel: the bot's login link). The page scans continuously with the camera — the
 * browser's BarcodeDetector where it has one, else jsQR served from this service — and posts each text to
 * POST /staff/scan/verdict, which reads:
 * - a pass or printed-card QR (the verify page's URL or the bare token): that person's verdict now;
 * - a CCCD QR (`number|old|name|ddmmyyyy|gender|address|issued`): the person whose ID number's keyed hash
 *   matches, else the offer of a quick declaration (POST /staff/scan/declare) for someone without a phone.
 * The verdict is entry.ts's (never decided here). A verdict that admits carries a ticket; one tap (POST
 * /staff/scan/record) records the entry, or the verdict records it at once when it is green and the venue's
 * owner turned on `auto_record_green`.
 *
 * Who owns a person declared at the door: no account (persons.owner_account_id null). Owning them by the staff
 * member's account would put a stranger in that member's family menu, send them the stranger's alerts, and make
 * every walk-in at the venue one "household" for exposure tracing. Without an owner they reach nobody in chat
 * (they have no phone, or gave a number the platform has not vouched for); officials see them in cases and
 * contacts like anyone; retention deletes them once nothing of theirs is left. The declaration row names the
 * staff account that made it (declarations.declared_by_account_id).
 */

type Colour = 'green' | 'yellow' | 'red' | 'grey' | 'invalid';

export interface ScanVerdict {
  /** what was read */
  kind: 'pass' | 'card' | 'cccd' | 'other';
  /** entry.ts's verdict, or why there is none */
  verdict: 'admit' | 'warn' | 'refuse' | 'declare-first' | 'invalid' | 'unknown-card' | 'unreadable';
  colour: Colour;
  title: string;
  body: string;
  name?: string;
  birthYear?: number;
  /** a signed ticket for POST /staff/scan/record: present only when the door admits */
  ticket?: string;
  recorded?: { status: 'created' | 'already'; text: string };
  /** an unknown CCCD: the quick declaration's prefill (the number itself is not sent back) */
  prefill?: { fullName: string; birthDate: string; birthYear: number; gender: string };
}

const jsqrSource = (() => {
  let cached: string | undefined;
  return () => (cached ??= readFileSync(createRequire(import.meta.url).resolve('jsqr'), 'utf8'));
})();

const SCRIPT_PATH = '/staff/scan/app.js';

function noSession(reply: FastifyReply, lang: Locale, key: 'no_session' | 'not_staff' = 'no_session') {
  const t = tFor(lang);
  return reply
    .status(401)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      htmlPage(
        lang,
        t('checkin:scanner.title'),
        `<h1>${escapeMarkup(t('checkin:scanner.title'))}</h1><p>${escapeMarkup(t(`checkin:staff_page.${key}`))}</p>`,
      ),
    );
}

/** The verdict's words for an entry decision at this venue. */
function entryWords(t: T, e: EntryDecision, vars: Record<string, unknown>): Pick<ScanVerdict, 'title' | 'body'> {
  if (e.verdict === 'refuse') {
    const key = e.status === 'red' ? 'verdict_red' : 'verdict_yellow_refuse';
    return { title: t(`checkin:staff_page.${key}_title`), body: t(`checkin:staff_page.${key}_body`, vars) };
  }
  if (e.verdict === 'declare-first')
    return { title: t('checkin:staff_page.verdict_grey_title'), body: t('checkin:staff_page.verdict_grey_body', vars) };
  if (e.verdict === 'warn')
    return { title: t('checkin:scanner.warn_title'), body: t('checkin:staff_page.verdict_yellow_warn', vars) };
  return e.status === 'yellow'
    ? { title: t('checkin:scanner.admit_title'), body: t('checkin:staff_page.verdict_yellow_admit', vars) }
    : { title: t('checkin:scanner.admit_title'), body: t('checkin:scanner.admit_body', vars) };
}

function recordedWords(t: T, lang: Locale, r: Extract<StaffEntryOutcome, { outcome: unknown }>) {
  const vars = {
    person: maskName(r.person.fullName),
    venue: r.venue.name,
    time: formatDateTime(r.outcome.visit.enteredAt, lang),
  };
  return {
    status: r.outcome.status,
    text: t(`checkin:staff_page.${r.outcome.status === 'created' ? 'recorded_body' : 'already_body'}`, vars),
  };
}

/** A person's verdict at the session's venue: refusals noted, green recorded at once when the venue says so. */
async function verdictForPerson(
  deps: Deps,
  lang: Locale,
  session: StaffSession,
  venue: Venue,
  person: Person,
  kind: ScanVerdict['kind'],
): Promise<ScanVerdict> {
  const t = tFor(lang);
  const now = deps.clock.now();
  const entry = await entryAt(deps.database.db, person.id, venue, now, deps.config);
  const vars = { name: venue.name, hotline: deps.config.hotline, hours: deps.config.passValidHours };
  const base: ScanVerdict = {
    kind,
    verdict: entry.verdict,
    colour: entry.status,
    ...entryWords(t, entry, vars),
    name: maskName(person.fullName),
    birthYear: person.birthYear,
  };
  if (entry.verdict === 'refuse') {
    await noteRefusalAtDoor(deps, session, venue, person.id, entry, now);
    return base;
  }
  if (entry.verdict === 'declare-first') return base;
  if (entry.status === 'green' && venue.autoRecordGreen) {
    const r = await recordStaffEntry(deps, session, person.id, now);
    deps.wakeOutbox();
    if (!r.denied) return { ...base, recorded: recordedWords(t, lang, r) };
  }
  return { ...base, ticket: ticketFor(deps, person.id, session, now) };
}

/** The person a CCCD's number belongs to: their own record first, then the most recently updated. */
async function personOfCard(db: DbOrTx, keys: { idLookupKey: Buffer }, card: CccdCard): Promise<Person | undefined> {
  const hash = nationalIdLookupHash(keys.idLookupKey, card.number);
  return db.query.persons.findFirst({
    where: eq(persons.idNumberHash, hash),
    orderBy: [desc(persons.isSelf), desc(persons.updatedAt)],
  });
}

const pad = (n: number) => String(n).padStart(2, '0');

async function scanVerdict(
  deps: Deps,
  lang: Locale,
  session: StaffSession,
  venue: Venue,
  text: string,
): Promise<ScanVerdict> {
  const t = tFor(lang);
  const now = deps.clock.now();
  const token = passTokenIn(text);
  if (token) {
    const found = await personOfPassToken(deps, token, now);
    const kind = found.card ? 'card' : 'pass';
    const person = found.ok ? await personById(deps.database.db, found.personId) : undefined;
    if (!person) {
      const reason = found.ok ? 'gone' : found.reason;
      return {
        kind,
        verdict: 'invalid',
        colour: 'invalid',
        title: t('checkin:scanner.invalid_title'),
        body: t(`checkin:scanner.invalid_${reason}`),
      };
    }
    return verdictForPerson(deps, lang, session, venue, person, kind);
  }
  const card = parseCccdQr(text);
  if (card) {
    const person = await personOfCard(deps.database.db, deps.secrets(), card);
    if (person) {
      await recordAudit(deps.database.db, {
        actor: `account:${session.accountId}`,
        action: 'person.id_card_lookup',
        subjectType: 'person',
        subjectId: person.id,
        details: { venueId: venue.id },
        at: now,
      });
      return verdictForPerson(deps, lang, session, venue, person, 'cccd');
    }
    const { day, month, year } = card.birthDate;
    const name = parseName(card.fullName);
    return {
      kind: 'cccd',
      verdict: 'unknown-card',
      colour: 'grey',
      title: t('checkin:scanner.unknown_card_title'),
      body: t('checkin:scanner.unknown_card_body'),
      birthYear: year,
      prefill: {
        fullName: name.ok ? name.value : card.fullName,
        birthDate: `${pad(day)}/${pad(month)}/${year}`,
        birthYear: year,
        gender: card.gender,
      },
    };
  }
  return {
    kind: 'other',
    verdict: 'unreadable',
    colour: 'invalid',
    title: t('checkin:scanner.unreadable_title'),
    body: t('checkin:scanner.unreadable_body'),
  };
}

function quickFormHtml(t: T, wards: { code: string; name: string; district: string }[], venue: Venue): string {
  const d = (k: string) => escapeMarkup(t(`declaration:${k}`));
  const s = (k: string) => escapeMarkup(t(`checkin:scanner.${k}`));
  const fields = HEALTH_QUESTIONS.map((q) => {
    if (q.kind === 'yes-no') {
      const follow = q.followUp
        ? `<input type="text" name="${q.followUp.column}" maxlength="200" placeholder="${d(q.followUp.ask)}" class="follow">`
        : '';
      return `<fieldset class="yn" data-column="${q.column}"><legend>${d(q.label)}</legend>
<label><input type="radio" name="${q.column}" value="no" required> ${d('no')}</label>
<label><input type="radio" name="${q.column}" value="yes"> ${d('yes')}</label>${follow}</fieldset>`;
    }
    if (q.kind === 'multi-choice') {
      const boxes = (q.options ?? [])
        .map(
          (o) =>
            `<label><input type="checkbox" name="${q.column}" value="${escapeMarkup(o.value)}"> ${d(o.label ?? o.value)}</label>`,
        )
        .join('');
      return `<fieldset class="multi" data-column="${q.column}"><legend>${d(q.label)}</legend>${boxes}</fieldset>`;
    }
    return '';
  }).join('\n');
  const options = wards
    .map(
      (w) =>
        `<option value="${escapeMarkup(w.code)}"${w.code === venue.wardCode ? ' selected' : ''}>${escapeMarkup(`${w.name}, ${w.district}`)}</option>`,
    )
    .join('');
  return `<form id="quick-declare" hidden>
<h2>${s('quick_title')}</h2>
<p class="muted">${s('quick_note')}</p>
<label>${d('field_name')}<input type="text" name="fullName" required maxlength="80"></label>
<label>${s('birth_date')}<input type="text" name="birthDate" readonly></label>
<label>${d('field_phone')} (${s('optional')})<input type="tel" name="phone" maxlength="20"></label>
<label>${d('field_ward')}<select name="wardCode" required><option value="">—</option>${options}</select></label>
${fields}
<button type="submit" class="btn">${s('quick_submit')}</button>
<button type="button" class="btn secondary" data-action="next">${s('next')}</button>
</form>`;
}

const SCANNER_CSS = `
[hidden]{display:none!important}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#111;color:#111}
main{max-width:520px;margin:0 auto;background:#f4f7f5;min-height:100vh}
header{padding:10px 14px;background:#0b6b3a;color:#fff;font-size:15px}
.cam{position:relative;background:#000}
video{display:block;width:100%;max-height:42vh;object-fit:cover}
#cam-status{position:absolute;left:8px;bottom:8px;margin:0;padding:4px 8px;border-radius:6px;background:rgba(0,0,0,.6);color:#fff;font-size:13px}
#verdict{padding:22px 18px;text-align:center}
#verdict[data-colour="green"]{background:#15803d;color:#fff}
#verdict[data-colour="yellow"]{background:#facc15;color:#1f1f1f}
#verdict[data-colour="red"]{background:#b91c1c;color:#fff}
#verdict[data-colour="grey"]{background:#6b7280;color:#fff}
#verdict[data-colour="invalid"]{background:#1f2937;color:#fff}
#verdict h2{margin:0 0 6px;font-size:34px;font-weight:800;letter-spacing:.02em}
#verdict .who{margin:0 0 8px;font-size:24px;font-weight:700}
#verdict .words{margin:0;font-size:17px;line-height:1.4}
#verdict .done{margin:12px 0 0;font-size:19px;font-weight:700}
.actions{padding:0 14px}
.btn{display:block;width:100%;box-sizing:border-box;padding:18px;margin:12px 0;border-radius:12px;border:0;background:#0b6b3a;color:#fff;font-size:1.2rem;font-weight:700}
.btn.secondary{background:#fff;color:#0b6b3a;border:2px solid #0b6b3a}
form{padding:8px 14px 24px}
form label{display:block;margin:10px 0;font-size:16px}
form input[type=text],form input[type=tel],form select{display:block;width:100%;box-sizing:border-box;padding:10px;font-size:17px;margin-top:4px}
fieldset{margin:10px 0;border:1px solid #ccc;border-radius:8px}
fieldset label{display:inline-block;margin:6px 14px 6px 0}
.muted{color:#555;font-size:14px}
#settings{padding:6px 14px 20px;font-size:15px;color:#333}
`;

function scannerPage(t: T, lang: Locale, venue: Venue, isOwner: boolean, form: string): string {
  const s = (k: string, v?: Record<string, unknown>) => escapeMarkup(t(`checkin:scanner.${k}`, v));
  const settings = isOwner
    ? `<p id="settings"><label><input type="checkbox" id="auto-green"${venue.autoRecordGreen ? ' checked' : ''}> ${s('auto_green')}</label></p>`
    : '';
  const strings = {
    camera_starting: t('checkin:scanner.camera_starting'),
    camera_on: t('checkin:scanner.camera_on'),
    camera_failed: t('checkin:scanner.camera_failed'),
    record: t('checkin:staff_page.panel_button', { name: venue.name }),
    next: t('checkin:scanner.next'),
    born: t('checkin:scanner.born'),
    error: t('checkin:scanner.error'),
  };
  return `<main id="scanner" data-lang="${lang}" data-auto-green="${venue.autoRecordGreen}">
<header>${s('header', { name: venue.name })}</header>
<div class="cam"><video id="camera" autoplay muted playsinline></video><p id="cam-status">${s('camera_starting')}</p></div>
<section id="verdict" data-colour="none" data-verdict="none" aria-live="assertive"><p class="words">${s('waiting')}</p></section>
<div class="actions"><button type="button" class="btn" id="record" hidden></button>
<button type="button" class="btn secondary" id="next" hidden>${s('next')}</button></div>
${form}
${settings}
<script type="application/json" id="scan-strings">${JSON.stringify(strings).replace(/</g, '\\u003c')}</script>
<script src="${SCRIPT_PATH}"></script>
</main>`;
}

/** POST bodies the page sends. */
interface DeclareBody {
  text?: unknown;
  fullName?: unknown;
  phone?: unknown;
  wardCode?: unknown;
  answers?: Record<string, unknown>;
}

/** The health answers of the quick form, checked against the question table; undefined when one is missing. */
function healthAnswers(answers: Record<string, unknown> | undefined): HealthInput | undefined {
  const a = answers ?? {};
  const out: Record<string, unknown> = {};
  for (const q of HEALTH_QUESTIONS) {
    const v = a[q.column];
    if (q.kind === 'yes-no') {
      if (typeof v !== 'boolean') return undefined;
      out[q.column] = v;
      if (q.followUp) {
        const f = a[q.followUp.column];
        out[q.followUp.column] = v && typeof f === 'string' && f.trim() ? f.trim().slice(0, 200) : null;
      }
    } else if (q.kind === 'multi-choice') {
      const allowed = new Set((q.options ?? []).map((o) => o.value));
      out[q.column] = Array.isArray(v) ? [...new Set(v.filter((x): x is string => allowed.has(String(x))))] : [];
    }
  }
  return out as HealthInput;
}

export const scannerRoutes: RouteModule = (app, deps) => {
  /** The session and its venue, or a JSON 401/403 already sent. */
  async function staffContext(req: FastifyRequest, reply: FastifyReply) {
    const session = staffSession(req, deps);
    const t = tFor(pageLocale(req));
    if (!session) {
      void reply.status(401).send({ error: { code: 'NO_STAFF_SESSION', message: t('checkin:staff_page.no_session') } });
      return undefined;
    }
    const venue = await activeVenue(deps.database.db, session);
    if (!venue) {
      void reply.status(403).send({ error: { code: 'NOT_STAFF', message: t('checkin:staff_page.not_staff') } });
      return undefined;
    }
    return { session, venue };
  }

  app.get('/staff/scan', async (req, reply) => {
    const lang = pageLocale(req);
    const session = staffSession(req, deps);
    if (!session) return noSession(reply, lang);
    const venue = await activeVenue(deps.database.db, session);
    if (!venue) return noSession(reply, lang, 'not_staff');
    const t = tFor(lang);
    const wards = await homeWards(deps.database.db);
    return (
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        // The page's own camera; nobody else's frames.
        .header('permissions-policy', 'camera=(self), microphone=()')
        .send(
          // Its own look (a full-width verdict), not htmlPage's card layout.
          htmlDocument({
            lang,
            title: t('checkin:scanner.title'),
            css: SCANNER_CSS,
            body: scannerPage(
              t,
              lang,
              venue,
              venue.ownerAccountId === session.accountId,
              quickFormHtml(t, wards, venue),
            ),
          }),
        )
    );
  });

  app.get(SCRIPT_PATH, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(SCANNER_SCRIPT),
  );

  // jsQR's browser build (UMD, sets window.jsQR), for browsers without BarcodeDetector: served from the
  // service's own node_modules, no CDN.
  app.get('/staff/scan/jsqr.js', async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(jsqrSource()),
  );

  app.post(
    '/staff/scan/verdict',
    {
      schema: {
        body: {
          type: 'object',
          required: ['text'],
          additionalProperties: false,
          properties: { text: { type: 'string', minLength: 1, maxLength: 2000 } },
        },
      },
    },
    async (req, reply) => {
      const ctx = await staffContext(req, reply);
      if (!ctx) return reply;
      const { text } = req.body as { text: string };
      const verdict = await scanVerdict(deps, pageLocale(req), ctx.session, ctx.venue, text);
      // What was read, never the text (a CCCD's number and address).
      req.log.info(
        { venueId: ctx.venue.id, staff: ctx.session.accountId, kind: verdict.kind, verdict: verdict.verdict },
        'staff scanner verdict',
      );
      return reply.header('cache-control', 'no-store').send(verdict);
    },
  );

  app.post(
    '/staff/scan/record',
    {
      schema: {
        body: {
          type: 'object',
          required: ['ticket'],
          additionalProperties: false,
          properties: {
            ticket: { type: 'string', maxLength: 500 },
            /** what was scanned, echoed in the answer (the page shows it) */
            kind: { type: 'string', enum: ['pass', 'card', 'cccd'] },
          },
        },
      },
    },
    async (req, reply) => {
      const ctx = await staffContext(req, reply);
      if (!ctx) return reply;
      const lang = pageLocale(req);
      const t = tFor(lang);
      const now = deps.clock.now();
      const body = req.body as { ticket: string; kind?: ScanVerdict['kind'] };
      const parts = readSignedToken(deps, 'staff-ticket', body.ticket, now, 3);
      if (!parts || parts[1] !== ctx.session.venueId || parts[2] !== ctx.session.accountId) {
        return reply.status(403).send({ error: { code: 'BAD_TICKET', message: t('checkin:staff_page.bad_ticket') } });
      }
      return reply.send({
        ...(await recordAndAnswer(req, lang, ctx.session, parts[0]!, now)),
        kind: body.kind ?? 'pass',
      });
    },
  );

  /** Records the entry (staff-scan.ts decides again) and answers with the verdict as it stands. */
  async function recordAndAnswer(
    req: FastifyRequest,
    lang: Locale,
    session: StaffSession,
    personId: string,
    now: Date,
  ): Promise<ScanVerdict> {
    const t = tFor(lang);
    const r = await recordStaffEntry(deps, session, personId, now);
    deps.wakeOutbox();
    if (r.denied === 'not_staff' || r.denied === 'person_gone' || !('venue' in r)) {
      return {
        kind: 'pass',
        verdict: 'invalid',
        colour: 'invalid',
        title: t('checkin:staff_page.denied_title'),
        body: t(`checkin:staff_page.${r.denied}`),
      };
    }
    const person = await personById(deps.database.db, personId);
    const vars = { name: r.venue.name, hotline: deps.config.hotline, hours: deps.config.passValidHours };
    const entry = await entryAt(deps.database.db, personId, r.venue, now, deps.config);
    const base: ScanVerdict = {
      kind: 'pass',
      verdict: entry.verdict,
      colour: entry.status,
      ...entryWords(t, entry, vars),
      ...(person ? { name: maskName(person.fullName), birthYear: person.birthYear } : {}),
    };
    if (r.denied) return base;
    req.log.info({ venueId: r.venue.id, visitId: r.outcome.visit.id, staff: session.accountId }, 'staff check-in');
    return { ...base, recorded: recordedWords(t, lang, r) };
  }

  app.post(
    '/staff/scan/declare',
    {
      schema: {
        body: {
          type: 'object',
          required: ['text', 'fullName', 'wardCode', 'answers'],
          additionalProperties: false,
          properties: {
            text: { type: 'string', maxLength: 2000 },
            fullName: { type: 'string', maxLength: 80 },
            phone: { type: 'string', maxLength: 20 },
            wardCode: { type: 'string', maxLength: 10 },
            answers: { type: 'object', maxProperties: 20 },
          },
        },
      },
    },
    async (req, reply) => {
      const ctx = await staffContext(req, reply);
      if (!ctx) return reply;
      const lang = pageLocale(req);
      const t = tFor(lang);
      const b = req.body as DeclareBody;
      const bad = (key: string) =>
        reply.status(400).send({ error: { code: 'INVALID_DECLARATION', message: t(`checkin:scanner.${key}`) } });
      const card = parseCccdQr(String(b.text));
      if (!card) return bad('err_card');
      const name = parseName(String(b.fullName));
      if (!name.ok) return bad('err_name');
      const phoneText = typeof b.phone === 'string' ? b.phone.trim() : '';
      const phone = phoneText ? parsePhone(phoneText) : undefined;
      if (phone && !phone.ok) return bad('err_phone');
      const ward = await wardByCode(deps.database.db, String(b.wardCode));
      if (!ward) return bad('err_ward');
      const health = healthAnswers(b.answers);
      if (!health) return bad('err_answers');
      const now = deps.clock.now();
      const secrets = deps.secrets();
      const personId = await deps.database.db.transaction(async (tx) => {
        // Declared meanwhile (a second tap, another phone): that record gets this declaration.
        const known = await personOfCard(tx, secrets, card);
        const id =
          known?.id ??
          (
            await savePerson(
              tx,
              null,
              {
                fullName: name.value,
                birthYear: card.birthDate.year,
                gender: card.gender,
                phone: phone?.ok ? phone.value : null,
                phoneSource: phone?.ok ? 'typed' : null,
                wardCode: ward.code,
                idNumber: { ...encryptNationalId(secrets, card.number), kind: 'cccd' },
              },
              { isSelf: false, now },
            )
          ).id;
        await addDeclaration(tx, id, ctx.session.accountId, health, now);
        await recordAudit(tx, {
          actor: `account:${ctx.session.accountId}`,
          action: 'person.declared_at_door',
          subjectType: 'person',
          subjectId: id,
          details: { venueId: ctx.venue.id, existing: !!known },
          at: now,
        });
        return id;
      });
      req.log.info({ venueId: ctx.venue.id, staff: ctx.session.accountId }, 'quick declaration at the door');
      return reply.send({ ...(await recordAndAnswer(req, lang, ctx.session, personId, now)), kind: 'cccd' });
    },
  );

  app.post(
    '/staff/scan/settings',
    {
      schema: {
        body: {
          type: 'object',
          required: ['autoRecordGreen'],
          additionalProperties: false,
          properties: { autoRecordGreen: { type: 'boolean' } },
        },
      },
    },
    async (req, reply) => {
      const ctx = await staffContext(req, reply);
      if (!ctx) return reply;
      const t = tFor(pageLocale(req));
      if (ctx.venue.ownerAccountId !== ctx.session.accountId) {
        return reply.status(403).send({ error: { code: 'NOT_OWNER', message: t('checkin:scanner.not_owner') } });
      }
      const { autoRecordGreen } = req.body as { autoRecordGreen: boolean };
      await deps.database.db.transaction(async (tx) => {
        await setAutoRecordGreen(tx, ctx.venue.id, autoRecordGreen);
        await recordAudit(tx, {
          actor: `account:${ctx.session.accountId}`,
          action: 'venue.auto_record_green.set',
          subjectType: 'venue',
          subjectId: ctx.venue.id,
          details: { from: ctx.venue.autoRecordGreen, to: autoRecordGreen, via: 'scanner' },
          at: deps.clock.now(),
        });
      });
      return reply.send({ autoRecordGreen });
    },
  );
};

/**
 * The page's script (served as /staff/scan/app.js: the CSP admits scripts from the service, not inline ones).
 * Plain ES2017 so any phone browser of the last years runs it. Timings are kept in window.kbScan for tests.
 */
const SCANNER_SCRIPT = String.raw`(function () {
  'use strict';
  var root = document.getElementById('scanner');
  var S = JSON.parse(document.getElementById('scan-strings').textContent);
  var lang = root.getAttribute('data-lang');
  var q = lang === 'en' ? '?lang=en' : '';
  var video = document.getElementById('camera');
  var camStatus = document.getElementById('cam-status');
  var box = document.getElementById('verdict');
  var recordBtn = document.getElementById('record');
  var nextBtn = document.getElementById('next');
  var form = document.getElementById('quick-declare');
  var canvas = document.createElement('canvas');
  var ctx2d = canvas.getContext('2d', { willReadFrequently: true });
  var kb = (window.kbScan = { decoder: null, firstFrameAt: null, results: [] });
  var detector = null;
  var busy = false;
  var lastText = '';
  var lastAt = 0;
  var current = null;
  var audio = null;

  function beep(colour) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
      var tones = { green: [[880, 0.12]], yellow: [[660, 0.12], [660, 0.12]], red: [[220, 0.5]], grey: [[440, 0.25]] }[colour] || [[330, 0.2]];
      var t = audio.currentTime;
      tones.forEach(function (tone) {
        var o = audio.createOscillator();
        var g = audio.createGain();
        o.frequency.value = tone[0];
        o.type = colour === 'red' ? 'square' : 'sine';
        g.gain.value = 0.2;
        o.connect(g);
        g.connect(audio.destination);
        o.start(t);
        o.stop(t + tone[1]);
        t += tone[1] + 0.08;
      });
    } catch (e) {}
    if (navigator.vibrate) {
      navigator.vibrate({ green: [80], yellow: [80, 60, 80], red: [400, 100, 400], grey: [200] }[colour] || [150]);
    }
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(v, started) {
    current = v;
    box.setAttribute('data-colour', v.colour);
    box.setAttribute('data-verdict', v.verdict);
    box.setAttribute('data-kind', v.kind);
    box.setAttribute('data-recorded', v.recorded ? v.recorded.status : '');
    box.textContent = '';
    box.appendChild(el('h2', '', v.title));
    if (v.name) box.appendChild(el('p', 'who', v.name + ' · ' + S.born + ' ' + v.birthYear));
    box.appendChild(el('p', 'words', v.body));
    if (v.recorded) box.appendChild(el('p', 'done', '✓ ' + v.recorded.text));
    recordBtn.hidden = !(v.ticket && !v.recorded);
    recordBtn.textContent = S.record;
    nextBtn.hidden = v.verdict === 'unknown-card';
    form.hidden = v.verdict !== 'unknown-card';
    if (v.prefill) {
      form.elements.fullName.value = v.prefill.fullName;
      form.elements.birthDate.value = v.prefill.birthDate;
    }
    var shownAt = performance.now();
    if (started) {
      kb.results.push({ verdict: v.verdict, colour: v.colour, kind: v.kind, decodedAt: started, shownAt: shownAt, ms: shownAt - started, sinceFirstFrame: kb.firstFrameAt === null ? null : shownAt - kb.firstFrameAt });
      box.setAttribute('data-ms', String(Math.round(shownAt - started)));
    }
    beep(v.colour);
  }

  function post(path, body) {
    return fetch(path + q, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error((j.error && j.error.message) || S.error);
        return j;
      });
    });
  }

  function fail(err) {
    show({ kind: 'other', verdict: 'error', colour: 'invalid', title: S.error, body: String(err.message || err) });
  }

  function handle(text, decodedAt) {
    busy = true;
    lastText = text;
    post('/staff/scan/verdict', { text: text })
      .then(function (v) {
        current = v;
        current.text = text;
        show(v, decodedAt);
      })
      .catch(fail)
      .then(function () {
        busy = false;
        lastAt = performance.now();
      });
  }

  recordBtn.addEventListener('click', function () {
    if (!current || !current.ticket) return;
    recordBtn.disabled = true;
    post('/staff/scan/record', { ticket: current.ticket, kind: current.kind })
      .then(function (v) { show(v); })
      .catch(fail)
      .then(function () { recordBtn.disabled = false; });
  });

  function clear() {
    current = null;
    lastText = '';
    box.setAttribute('data-colour', 'none');
    box.setAttribute('data-verdict', 'none');
    box.textContent = '';
    recordBtn.hidden = true;
    nextBtn.hidden = true;
    form.hidden = true;
    form.reset();
  }
  nextBtn.addEventListener('click', clear);
  form.querySelector('[data-action="next"]').addEventListener('click', clear);

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!current || !current.text) return;
    var answers = {};
    Array.prototype.forEach.call(form.querySelectorAll('fieldset.yn'), function (fs) {
      var col = fs.getAttribute('data-column');
      var checked = fs.querySelector('input[type=radio]:checked');
      answers[col] = checked ? checked.value === 'yes' : null;
      var follow = fs.querySelector('input.follow');
      if (follow) answers[follow.name] = follow.value;
    });
    Array.prototype.forEach.call(form.querySelectorAll('fieldset.multi'), function (fs) {
      var col = fs.getAttribute('data-column');
      answers[col] = Array.prototype.map.call(fs.querySelectorAll('input:checked'), function (i) { return i.value; });
    });
    var body = { text: current.text, fullName: form.elements.fullName.value, wardCode: form.elements.wardCode.value, answers: answers };
    if (form.elements.phone.value.trim()) body.phone = form.elements.phone.value.trim();
    var started = performance.now();
    post('/staff/scan/declare', body)
      .then(function (v) { form.hidden = true; form.reset(); show(v, started); })
      .catch(fail);
  });

  var auto = document.getElementById('auto-green');
  if (auto) {
    auto.addEventListener('change', function () {
      post('/staff/scan/settings', { autoRecordGreen: auto.checked }).catch(fail);
    });
  }

  function decode() {
    var w = video.videoWidth;
    var h = video.videoHeight;
    if (!w || !h) return Promise.resolve(null);
    if (kb.firstFrameAt === null) kb.firstFrameAt = performance.now();
    if (detector) {
      return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
    }
    var scale = Math.min(1, 800 / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    ctx2d.drawImage(video, 0, 0, canvas.width, canvas.height);
    var img = ctx2d.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
    return Promise.resolve(code ? code.data : null);
  }

  function tick() {
    if (busy || !form.hidden) return setTimeout(tick, 150);
    decode()
      .then(function (text) {
        // The same code held in front of the camera is one scan until another is shown or a few seconds pass.
        if (text && !(text === lastText && performance.now() - lastAt < 8000)) handle(text, performance.now());
      })
      .catch(function () {})
      .then(function () { setTimeout(tick, 100); });
  }

  function loadJsqr() {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = '/staff/scan/jsqr.js';
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function chooseDecoder() {
    if ('BarcodeDetector' in window) {
      return window.BarcodeDetector.getSupportedFormats()
        .then(function (formats) {
          if (formats.indexOf('qr_code') < 0) throw new Error('no qr');
          detector = new window.BarcodeDetector({ formats: ['qr_code'] });
          kb.decoder = 'BarcodeDetector';
        })
        .catch(function () { return loadJsqr().then(function () { kb.decoder = 'jsQR'; }); });
    }
    return loadJsqr().then(function () { kb.decoder = 'jsQR'; });
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      camStatus.textContent = S.camera_failed;
      return;
    }
    Promise.all([
      chooseDecoder(),
      navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 } }, audio: false }),
    ])
      .then(function (r) {
        video.srcObject = r[1];
        return video.play();
      })
      .then(function () {
        camStatus.textContent = S.camera_on;
        root.setAttribute('data-camera', 'on');
        tick();
      })
      .catch(function (e) {
        camStatus.textContent = S.camera_failed + ' (' + (e && e.name ? e.name : e) + ')';
        root.setAttribute('data-camera', 'failed');
      });
  }
  start();
})();
`;

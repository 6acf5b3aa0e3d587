import type { DbOrTx } from '../../db/client.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, notFound } from '../../core/errors.js';
import { tFor } from '../../core/i18n.js';
import { auditLog, type Venue } from '../../db/schema/index.js';
import type { Deps } from '../../core/dialog.js';
import type { AppDeps, RouteModule } from '../../http/app.js';
import { isSensibleTime } from '../../http/time-format.js';
import { normalizeVenueCode } from './codes.js';
import { importVenuesCsv } from './csv-import.js';
import { htmlPage, pageLocale } from '../../http/page-shell.js';
import { escapeMarkup } from '../../render/escape.js';
import { ENTRY_POLICIES, entryPolicyOf, LONGEST_STAY_MINUTES, type EntryPolicy } from './kinds.js';
import { checkinUrl, telegramCheckinUrl, webChatCheckinUrl } from './links.js';
import { posterContent, posterPdf, posterPng } from './poster.js';
import { oneTimeLink, readSignedToken, signedToken } from './signing.js';
import {
  createVenue,
  listVenues,
  setAutoRecordGreen,
  setEntryPolicy,
  venueByCode,
  venueById,
  visitsAtVenue,
} from './store.js';
import { recordAudit } from '../../audit/audit-log.js';
import { and, eq, sql } from 'drizzle-orm';
import { visitsCsv, VISITS_CSV_MAX_ROWS } from './visits-csv.js';
import { staffRole } from './store.js';
import { acceptCsvBodies, csvBody } from '../../http/csv-body.js';

/** The venue as the API shows it (DESIGN.md ◆ contract: id, code, name, kind, checkinUrl, telegramUrl?). */
export function venueJson(deps: AppDeps, v: Venue) {
  const telegramUrl = telegramCheckinUrl(deps, v.code);
  return {
    id: v.id,
    code: v.code,
    name: v.name,
    kind: v.kind,
    address: v.address,
    wardCode: v.wardCode,
    defaultStayMinutes: v.defaultStayMinutes,
    /** what the door does with a yellow pass (red is always refused) */
    entryPolicy: entryPolicyOf(v),
    /** true while the policy is the kind's default (no owner or official has set one) */
    entryPolicyDefault: v.entryPolicy === null,
    /** vehicles (bus, coach, ferry, flight, train): plate or name, and route */
    plate: v.plate,
    route: v.route,
    /** the staff scanner page records a green pass without the tap */
    autoRecordGreen: v.autoRecordGreen,
    closed: v.closedAt !== null,
    /** on a target list (directive §11); `registered` = not on one, or claimed by its owner */
    required: v.requiredAt !== null,
    registered: v.requiredAt === null || v.claimedAt !== null,
    createdAt: v.createdAt.toISOString(),
    checkinUrl: checkinUrl(deps, v.code),
    ...(telegramUrl ? { telegramUrl } : {}),
    posterPngUrl: `${deps.config.publicUrl}/api/v1/venues/${v.id}/poster.png`,
    posterPdfUrl: `${deps.config.publicUrl}/api/v1/venues/${v.id}/poster.pdf`,
  };
}

/** A yellow pass's fate at the door, as the API takes it; null = the default of the venue's kind. */
const ENTRY_POLICY_SCHEMA = {
  type: ['string', 'null'],
  enum: [...ENTRY_POLICIES, null],
  description:
    'yellow pass at the door: admit | warn | refuse (null: default of the kind — clinic and school refuse, others warn)',
} as const;

/** Longest span one visits request may cover. */
const MAX_VISITS_RANGE_DAYS = 31;
/** How long a poster download link sent in chat works. */
export const POSTER_LINK_HOURS = 24;

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function parseIsoParam(name: string, value: unknown): Date {
  if (typeof value !== 'string' || !ISO_WITH_OFFSET.test(value) || !isSensibleTime(value)) {
    throw new AppError(
      'VALIDATION_ERROR',
      `${name} must be an ISO 8601 time with offset, e.g. 2021-08-01T08:00:00+07:00`,
    );
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new AppError('VALIDATION_ERROR', `${name} is not a valid time`);
  return d;
}

async function requireVenue(deps: AppDeps, id: string): Promise<Venue> {
  const v = await venueById(deps.database.db, id);
  if (!v) throw notFound('VENUE_NOT_FOUND', 'No venue with this id.');
  return v;
}

/** A link that downloads the PDF poster without a bearer token, for the owner in chat; expires. */
export function posterPdfLink(deps: Pick<Deps, 'config' | 'secrets'>, venueId: string, now: Date): string {
  const token = signedToken(deps, 'poster', [venueId], new Date(now.getTime() + POSTER_LINK_HOURS * 3_600_000));
  return `${deps.config.publicUrl}/venues/${venueId}/poster.pdf?t=${encodeURIComponent(token)}`;
}

/** How long the visit list link sent to an owner in chat works (once). */
export const VISITS_CSV_LINK_MINUTES = 60;
/** The owner's export in chat covers what is kept: check-ins are deleted after this many days by default. */
const DEFAULT_VISITS_KEPT_DAYS = 21;

/**
 * A one-time link to the venue's visit list as CSV, for its owner in chat (no bearer token on a phone): signed
 * for (venue, owner account, a random nonce), valid VISITS_CSV_LINK_MINUTES, spent by its first download (the
 * audit row of that download records the nonce).
 */
export function visitsCsvLink(
  deps: Pick<Deps, 'config' | 'secrets'>,
  venueId: string,
  accountId: string,
  now: Date,
): string {
  return oneTimeLink(deps, {
    purpose: 'visits-csv',
    subjectId: venueId,
    accountId,
    path: `/venues/${venueId}/visits.csv`,
    validMs: VISITS_CSV_LINK_MINUTES * 60_000,
    now,
  });
}

/** The days an owner's export covers: everything still kept. */
export function visitsKeptDays(deps: Pick<Deps, 'config'>): number {
  return deps.config.retention?.visitsDays ?? DEFAULT_VISITS_KEPT_DAYS;
}

function csvFilename(v: Venue, from: Date, to: Date): string {
  const day = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(d);
  return `visits-${v.code}-${day(from)}-${day(to)}.csv`;
}

function sendCsv(reply: FastifyReply, v: Venue, from: Date, to: Date, csv: Buffer) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${csvFilename(v, from, to)}"`)
    .header('cache-control', 'no-store')
    .send(csv);
}

async function sendPdf(deps: AppDeps, v: Venue, reply: FastifyReply) {
  const pdf = await posterPdf(posterContent(deps, v));
  return reply
    .header('content-type', 'application/pdf')
    .header('content-disposition', `inline; filename="poster-${v.code}.pdf"`)
    .send(pdf);
}

export const venueRoutes: RouteModule = (app, deps) => {
  // Scoped to this plugin: the CSV import takes text/csv bodies.
  acceptCsvBodies(app);

  // onRequest, not preHandler: a caller without a token gets 401 before the body is even parsed or validated.
  const officials = { onRequest: deps.requireRole('health') };

  app.post(
    '/api/v1/venues',
    {
      ...officials,
      schema: {
        body: {
          type: 'object',
          required: ['name', 'kind'],
          // An owner is granted in chat (owner dialog), never through this body: unknown properties are refused.
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 1000 },
            kind: { type: 'string', maxLength: 64 },
            address: { type: ['string', 'null'], maxLength: 2000 },
            wardCode: { type: ['string', 'null'], maxLength: 64 },
            defaultStayMinutes: { type: ['integer', 'null'], minimum: 0, maximum: 1_000_000 },
            entryPolicy: ENTRY_POLICY_SCHEMA,
            plate: { type: ['string', 'null'], maxLength: 1000 },
            route: { type: ['string', 'null'], maxLength: 2000 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as {
        plate?: string | null;
        route?: string | null;
        name: string;
        kind: string;
        address?: string | null;
        wardCode?: string | null;
        defaultStayMinutes?: number | null;
        entryPolicy?: EntryPolicy | null;
      };
      const v = await createVenue(deps.database.db, {
        name: b.name,
        kind: b.kind,
        address: b.address,
        wardCode: b.wardCode,
        defaultStayMinutes: b.defaultStayMinutes,
        entryPolicy: b.entryPolicy,
        plate: b.plate,
        route: b.route,
      });
      req.log.info({ venueId: v.id, by: req.principal?.id }, 'venue created');
      return reply.status(201).send(venueJson(deps, v));
    },
  );

  app.get(
    '/api/v1/venues',
    {
      ...officials,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 },
            wardCode: { type: 'string', maxLength: 64 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { limit: number; offset: number; wardCode?: string };
      const { limit, offset } = q;
      const rows = await listVenues(deps.database.db, { limit, offset, wardCode: q.wardCode || undefined });
      return { venues: rows.map((v) => venueJson(deps, v)), limit, offset };
    },
  );

  app.get('/api/v1/venues/:id', officials, async (req) => {
    return venueJson(deps, await requireVenue(deps, (req.params as { id: string }).id));
  });

  app.patch(
    '/api/v1/venues/:id',
    {
      ...officials,
      schema: {
        description:
          'Change what the venue does with a yellow pass (entryPolicy: admit, warn = admit with a warning, or refuse; null = the default of its kind) and whether the staff scanner page records a green pass without the tap (autoRecordGreen).',
        body: {
          type: 'object',
          minProperties: 1,
          additionalProperties: false,
          properties: { entryPolicy: ENTRY_POLICY_SCHEMA, autoRecordGreen: { type: 'boolean' } },
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { entryPolicy, autoRecordGreen } = req.body as {
        entryPolicy?: EntryPolicy | null;
        autoRecordGreen?: boolean;
      };
      const db = deps.database.db;
      const before = await requireVenue(deps, id);
      // Each setting given: written, and audited with its old and new value.
      const changes = [
        entryPolicy !== undefined && {
          action: 'venue.entry_policy.set',
          from: before.entryPolicy,
          to: entryPolicy,
          write: (tx: DbOrTx) => setEntryPolicy(tx, before.id, entryPolicy),
        },
        autoRecordGreen !== undefined && {
          action: 'venue.auto_record_green.set',
          from: before.autoRecordGreen,
          to: autoRecordGreen,
          write: (tx: DbOrTx) => setAutoRecordGreen(tx, before.id, autoRecordGreen),
        },
      ].filter((c) => c !== false);
      const v = await db.transaction(async (tx) => {
        let row: Venue | undefined = before;
        for (const c of changes) {
          row = await c.write(tx);
          if (!row) throw notFound('VENUE_NOT_FOUND', 'No venue with this id.');
          await recordAudit(tx, {
            actor: req.principal?.id ?? 'unknown',
            action: c.action,
            subjectType: 'venue',
            subjectId: row.id,
            details: { from: c.from, to: c.to, via: 'api' },
            at: deps.clock.now(),
          });
        }
        return row;
      });
      req.log.info({ venueId: v.id, entryPolicy, autoRecordGreen, by: req.principal?.id }, 'venue settings set');
      return venueJson(deps, v);
    },
  );

  app.post('/api/v1/venues/import', officials, async (req, reply) => {
    const result = await importVenuesCsv(deps.database.db, csvBody(req));
    req.log.info({ created: result.created, errors: result.errors.length, by: req.principal?.id }, 'venues imported');
    return reply.status(result.created > 0 ? 201 : 200).send(result);
  });

  app.get('/api/v1/venues/:id/poster.png', officials, async (req, reply) => {
    const v = await requireVenue(deps, (req.params as { id: string }).id);
    return reply
      .header('content-type', 'image/png')
      .header('content-disposition', `inline; filename="poster-${v.code}.png"`)
      .send(posterPng(posterContent(deps, v)));
  });

  app.get('/api/v1/venues/:id/poster.pdf', officials, async (req, reply) => {
    return sendPdf(deps, await requireVenue(deps, (req.params as { id: string }).id), reply);
  });

  app.get(
    '/api/v1/venues/:id/visits',
    {
      ...officials,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: { type: 'string', maxLength: 64 }, to: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (req) => {
      const v = await requireVenue(deps, (req.params as { id: string }).id);
      const q = req.query as { from?: string; to?: string };
      const from = parseIsoParam('from', q.from);
      const to = parseIsoParam('to', q.to);
      if (to.getTime() <= from.getTime()) throw new AppError('VALIDATION_ERROR', 'to must be after from');
      if (to.getTime() - from.getTime() > MAX_VISITS_RANGE_DAYS * 86_400_000) {
        throw new AppError('VALIDATION_ERROR', `the range may span at most ${MAX_VISITS_RANGE_DAYS} days`);
      }
      const rows = await visitsAtVenue(deps.database.db, v.id, from, to, LONGEST_STAY_MINUTES);
      // Officials reading who was where is personal data: every read is audited.
      await deps.database.db.insert(auditLog).values({
        at: deps.clock.now(),
        actor: req.principal?.id ?? 'unknown',
        action: 'venue.visits.read',
        subjectType: 'venue',
        subjectId: v.id,
        details: { from: from.toISOString(), to: to.toISOString(), count: rows.length },
      });
      return {
        venueId: v.id,
        from: from.toISOString(),
        to: to.toISOString(),
        visits: rows.map((r) => ({
          id: r.id,
          personId: r.personId,
          fullName: r.fullName,
          birthYear: r.birthYear,
          phone: r.phone,
          enteredAt: r.enteredAt.toISOString(),
          exitedAt: r.exitedAt?.toISOString() ?? null,
          exitReason: r.exitReason,
          source: r.source,
          channel: r.channel,
        })),
      };
    },
  );

  app.get(
    '/api/v1/venues/:id/visits.csv',
    {
      ...officials,
      schema: {
        description:
          'Visits at the venue in [from, to) as CSV for the authorities (UTF-8 with BOM; columns: Họ và tên, Năm sinh, Số điện thoại, Giờ vào, Giờ ra, Hình thức = self | staff; times in Vietnam time). Audited.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: { type: 'string', maxLength: 64 }, to: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (req, reply) => {
      const v = await requireVenue(deps, (req.params as { id: string }).id);
      const q = req.query as { from?: string; to?: string };
      const from = parseIsoParam('from', q.from);
      const to = parseIsoParam('to', q.to);
      if (to.getTime() <= from.getTime()) throw new AppError('VALIDATION_ERROR', 'to must be after from');
      if (to.getTime() - from.getTime() > MAX_VISITS_RANGE_DAYS * 86_400_000) {
        throw new AppError('VALIDATION_ERROR', `the range may span at most ${MAX_VISITS_RANGE_DAYS} days`);
      }
      const db = deps.database.db;
      const rows = await visitsAtVenue(db, v.id, from, to, LONGEST_STAY_MINUTES, VISITS_CSV_MAX_ROWS);
      await recordAudit(db, {
        actor: req.principal?.id ?? 'unknown',
        action: 'venue.visits.export',
        subjectType: 'venue',
        subjectId: v.id,
        details: { from: from.toISOString(), to: to.toISOString(), count: rows.length, via: 'api' },
        at: deps.clock.now(),
      });
      return sendCsv(reply, v, from, to, visitsCsv(rows));
    },
  );

  // The visit list from a one-time link sent to the owner in chat.
  app.get('/venues/:id/visits.csv', async (req, reply) => {
    const { id } = req.params as { id: string };
    const t = String((req.query as { t?: string }).t ?? '');
    const now = deps.clock.now();
    const parts = readSignedToken(deps, 'visits-csv', t, now, 3);
    const refuse = (key: string) => {
      const lang = pageLocale(req);
      const tr = tFor(lang);
      return reply
        .status(403)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(htmlPage(lang, tr(`venues:${key}`), `<p>${escapeMarkup(tr(`venues:${key}`))}</p>`));
    };
    if (!parts || parts[0] !== id) return refuse('csv_link_expired');
    const [venueId, accountId, nonce] = parts as [string, string, string];
    const from = new Date(now.getTime() - visitsKeptDays(deps) * 86_400_000);
    const result = await deps.database.db.transaction(async (tx) => {
      // One download per link: the nonce is locked, then looked up among earlier downloads' audit rows.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`visits-csv:${nonce}`}))`);
      const used = await tx.query.auditLog.findFirst({
        where: and(
          eq(auditLog.action, 'venue.visits.export'),
          eq(auditLog.subjectId, venueId),
          sql`${auditLog.details}->>'nonce' = ${nonce}`,
        ),
      });
      if (used) return 'used' as const;
      const venue = await venueById(tx, venueId);
      if (!venue || (await staffRole(tx, venueId, accountId)) !== 'owner') return 'not_owner' as const;
      const rows = await visitsAtVenue(tx, venue.id, from, now, LONGEST_STAY_MINUTES, VISITS_CSV_MAX_ROWS);
      await recordAudit(tx, {
        actor: `account:${accountId}`,
        action: 'venue.visits.export',
        subjectType: 'venue',
        subjectId: venue.id,
        details: { from: from.toISOString(), to: now.toISOString(), count: rows.length, via: 'chat', nonce },
        at: now,
      });
      return { venue, csv: visitsCsv(rows) };
    });
    if (result === 'used') return refuse('csv_link_used');
    if (result === 'not_owner') return refuse('csv_link_not_owner');
    return sendCsv(reply, result.venue, from, now, result.csv);
  });

  // The PDF from a signed link sent in chat (no bearer token on a phone).
  app.get('/venues/:id/poster.pdf', async (req, reply) => {
    const { id } = req.params as { id: string };
    const t = String((req.query as { t?: string }).t ?? '');
    const parts = readSignedToken(deps, 'poster', t, deps.clock.now(), 1);
    if (!parts || parts[0] !== id) {
      const lang = pageLocale(req);
      const tr = tFor(lang);
      return reply
        .status(403)
        .type('text/html; charset=utf-8')
        .send(htmlPage(lang, tr('venues:pdf_link_expired'), `<p>${escapeMarkup(tr('venues:pdf_link_expired'))}</p>`));
    }
    return sendPdf(deps, await requireVenue(deps, id), reply);
  });

  app.get('/c/:code', async (req, reply) => landingPage(deps, req, reply));
};

async function landingPage(deps: AppDeps, req: FastifyRequest, reply: FastifyReply) {
  const raw = (req.params as { code: string }).code;
  const lang = pageLocale(req);
  const t = tFor(lang);
  reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
  const code = normalizeVenueCode(raw);
  const venue = code ? await venueByCode(deps.database.db, code) : undefined;
  if (!venue) {
    const title = t('venues:landing.unknown_title');
    return reply
      .status(404)
      .send(
        htmlPage(
          lang,
          title,
          `<h1>${escapeMarkup(title)}</h1><p>${escapeMarkup(t('venues:landing.unknown_body', { code: raw.slice(0, 20) }))}</p>`,
        ),
      );
  }
  if (venue.closedAt) {
    const title = t('venues:landing.closed_title');
    return reply
      .status(410)
      .send(
        htmlPage(
          lang,
          title,
          `<h1>${escapeMarkup(title)}</h1><p>${escapeMarkup(t('venues:landing.closed_body', { name: venue.name }))}</p>`,
        ),
      );
  }
  const tg = telegramCheckinUrl(deps, venue.code);
  const parts: string[] = [`<h1>${escapeMarkup(t('venues:landing.title', { name: venue.name }))}</h1>`];
  if (tg) {
    parts.push(`<p>${escapeMarkup(t('venues:landing.intro', { name: venue.name }))}</p>`);
    parts.push(
      `<a class="btn" id="telegram" href="${escapeMarkup(tg)}">${escapeMarkup(t('venues:landing.telegram_button'))}</a>`,
    );
  }
  parts.push(
    `<div class="card"><p class="muted">${escapeMarkup(t('venues:landing.code_label'))}</p><div class="code" id="code">${escapeMarkup(venue.code)}</div>`,
  );
  if (deps.config.zalo) parts.push(`<p>${escapeMarkup(t('venues:landing.zalo_hint', { code: venue.code }))}</p>`);
  if (deps.config.webChat) {
    parts.push(`<p>${escapeMarkup(t('venues:landing.web_hint', { code: venue.code }))}</p>`);
    parts.push(
      `<a class="btn secondary" id="webchat" href="${escapeMarkup(webChatCheckinUrl(deps, venue.code))}">${escapeMarkup(t('venues:landing.web_button'))}</a>`,
    );
  }
  if (!tg && !deps.config.zalo && !deps.config.webChat)
    parts.push(`<p>${escapeMarkup(t('venues:landing.no_channel', { code: venue.code }))}</p>`);
  parts.push(`</div><p class="muted">${escapeMarkup(t('venues:landing.privacy'))}</p>`);
  return reply.status(200).send(htmlPage(lang, t('venues:landing.title', { name: venue.name }), parts.join('\n')));
}

import type { FastifyRequest } from 'fastify';
import { AppError, badRequest, notFound } from '../../core/errors.js';
import type { RouteModule } from '../../http/app.js';
import { dateTime, errorResponse, idParams, uuid } from '../../http/schemas.js';
import { contactsOfCase } from '../handoff/store.js';
import { audit, caseById } from './store.js';
import { importExposures } from './import.js';
import {
  closeCase,
  confirmCasePerson,
  previewCase,
  recordCase,
  recordManualWindow,
  type CaseResult,
} from './record.js';
import { acceptCsvBodies, csvBody } from '../../http/csv-body.js';

interface CaseBody {
  phone?: string;
  personId?: string;
  onsetAt?: string;
  testedAt?: string;
  infectiousFrom?: string;
  infectiousTo?: string;
  note?: string;
  dryRun?: boolean;
  windows?: { venueId: string; from: string; to: string }[];
  excludeVenueIds?: string[];
}

interface WindowBody {
  venueId: string;
  from: string;
  to: string;
  advice: 'monitor' | 'test';
}

const caseResultSchema = {
  type: 'object',
  properties: {
    id: { type: ['string', 'null'] },
    dryRun: { type: 'boolean' },
    personFound: { type: 'boolean' },
    existing: { type: 'boolean' },
    infectiousFrom: dateTime,
    infectiousTo: dateTime,
    exposureWindows: { type: 'integer' },
    contacts: { type: 'integer' },
    alertsQueued: { type: 'integer' },
    closeContacts: { type: 'integer' },
    casualContacts: { type: 'integer' },
    householdContacts: { type: 'integer' },
    householdNotices: { type: 'integer' },
    windows: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          venueId: uuid,
          venueName: { type: 'string' },
          from: dateTime,
          to: dateTime,
          closeContacts: { type: 'integer' },
          casualContacts: { type: 'integer' },
        },
      },
    },
    possibleMatches: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          personId: uuid,
          fullName: { type: 'string' },
          birthYear: { type: 'integer' },
          channel: { type: 'string' },
          phoneSource: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

function caseResultJson(r: CaseResult) {
  return {
    ...r,
    infectiousFrom: r.infectiousFrom.toISOString(),
    infectiousTo: r.infectiousTo.toISOString(),
    windows: r.windows.map((w) => ({ ...w, from: w.from.toISOString(), to: w.to.toISOString() })),
  };
}

const actor = (req: FastifyRequest) => req.principal?.id ?? 'unknown';
const date = (v: string | undefined) => (v === undefined ? undefined : new Date(v));

/** Admin API for the health department: cases, manual exposure windows, contacts (DESIGN.md ◆ HTTP). */
export const exposureRoutes: RouteModule = (app, deps) => {
  const health = deps.requireRole('health');
  // Scoped to this plugin: the exposure list import takes a text/csv body.
  acceptCsvBodies(app);

  // A national exposure list (Bluezone, PC-Covid): phone, exposed_at, place, source. README «Hand-off files».
  app.post('/api/v1/exposures/import', { onRequest: health, bodyLimit: 8 * 1024 * 1024 }, async (req, reply) => {
    const csv = csvBody(req);
    const report = await deps.database.db.transaction((tx) => importExposures(tx, deps, csv, actor(req)));
    if (report.alertsQueued > 0) deps.wakeOutbox?.();
    req.log.info(
      {
        lines: report.lines,
        matchedLines: report.matchedLines,
        alertsQueued: report.alertsQueued,
        unknownPhones: report.unknownPhones,
        errors: report.errors.length,
      },
      'exposure list imported',
    );
    return reply.status(200).send(report);
  });

  app.post<{ Body: CaseBody }>(
    '/api/v1/cases',
    {
      onRequest: health,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            phone: { type: 'string', maxLength: 30 },
            personId: uuid,
            onsetAt: dateTime,
            testedAt: dateTime,
            infectiousFrom: dateTime,
            infectiousTo: dateTime,
            note: { type: 'string', maxLength: 2000 },
            dryRun: { type: 'boolean' },
            windows: {
              type: 'array',
              maxItems: 500,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['venueId', 'from', 'to'],
                properties: { venueId: uuid, from: dateTime, to: dateTime },
              },
            },
            excludeVenueIds: { type: 'array', maxItems: 500, items: uuid },
          },
        },
        response: {
          200: caseResultSchema,
          201: caseResultSchema,
          '4xx': errorResponse,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (!b.phone === !b.personId) {
        throw badRequest('PHONE_OR_PERSON_REQUIRED', 'Give exactly one of "phone" or "personId".');
      }
      const input = {
        phone: b.phone,
        personId: b.personId,
        onsetAt: date(b.onsetAt),
        testedAt: date(b.testedAt),
        infectiousFrom: date(b.infectiousFrom),
        infectiousTo: date(b.infectiousTo),
        note: b.note,
        windows: b.windows?.map((w) => ({ venueId: w.venueId, from: new Date(w.from), to: new Date(w.to) })),
        excludeVenueIds: b.excludeVenueIds,
      };
      if (b.dryRun) {
        const preview = await previewCase(deps.database.db, deps, input, actor(req));
        return reply.status(200).send({ ...caseResultJson(preview), id: null, dryRun: true });
      }
      if (deps.config.casePreviewRequired && !b.windows) {
        throw new AppError(
          'PREVIEW_REQUIRED',
          'CASE_PREVIEW_REQUIRED is on: preview with "dryRun": true, then send the windows it returned (trimmed as needed) in "windows".',
          409,
        );
      }
      const result = await deps.database.db.transaction((tx) => recordCase(tx, deps, input, actor(req)));
      if (result.alertsQueued + result.householdNotices > 0) deps.wakeOutbox?.();
      req.log.info(
        {
          caseId: result.id,
          windows: result.exposureWindows,
          contacts: result.contacts,
          alertsQueued: result.alertsQueued,
        },
        'case recorded',
      );
      return reply.status(201).send({ ...caseResultJson(result), dryRun: false });
    },
  );

  app.post<{ Params: { id: string }; Body: { personId: string } }>(
    '/api/v1/cases/:id/confirm-person',
    {
      onRequest: health,
      schema: {
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['personId'], properties: { personId: uuid } },
        response: { 200: caseResultSchema, '4xx': errorResponse },
      },
    },
    async (req) => {
      const result = await deps.database.db.transaction((tx) =>
        confirmCasePerson(tx, deps, req.params.id, req.body.personId, actor(req)),
      );
      if (result.alertsQueued + result.householdNotices > 0) deps.wakeOutbox?.();
      return { ...caseResultJson(result), dryRun: false };
    },
  );

  app.post<{ Body: WindowBody }>(
    '/api/v1/exposure-windows',
    {
      onRequest: health,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['venueId', 'from', 'to', 'advice'],
          properties: {
            venueId: uuid,
            from: dateTime,
            to: dateTime,
            advice: { type: 'string', enum: ['monitor', 'test'] },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: { id: uuid, contacts: { type: 'integer' }, alertsQueued: { type: 'integer' } },
          },
          '4xx': errorResponse,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const input = { venueId: b.venueId, from: new Date(b.from), to: new Date(b.to), advice: b.advice };
      const result = await deps.database.db.transaction((tx) => recordManualWindow(tx, deps, input, actor(req)));
      if (result.alertsQueued > 0) deps.wakeOutbox?.();
      req.log.info(
        { windowId: result.id, contacts: result.contacts, alertsQueued: result.alertsQueued },
        'exposure window recorded',
      );
      return reply.status(201).send(result);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/contacts',
    {
      onRequest: health,
      schema: {
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              caseId: uuid,
              closedAt: { type: ['string', 'null'], format: 'date-time' },
              contacts: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    personId: uuid,
                    fullName: { type: 'string' },
                    birthYear: { type: 'integer' },
                    phone: { type: ['string', 'null'] },
                    kind: { type: 'string' },
                    household: { type: 'boolean' },
                    overlapMinutes: { type: 'integer' },
                    exposedAt: dateTime,
                    venueId: { type: ['string', 'null'] },
                    venueName: { type: ['string', 'null'] },
                    alertedAt: { type: ['string', 'null'], format: 'date-time' },
                    acknowledgedAt: { type: ['string', 'null'], format: 'date-time' },
                  },
                },
              },
            },
          },
          '4xx': errorResponse,
        },
      },
    },
    async (req) => {
      const c = await caseById(deps.database.db, req.params.id);
      if (!c) throw notFound('CASE_NOT_FOUND', 'No case has this id.');
      const list = await contactsOfCase(deps.database.db, c.id);
      // An official reading people's data: recorded (ids only).
      await audit(deps.database.db, [
        {
          actor: actor(req),
          action: 'case.contacts.read',
          subjectType: 'case',
          subjectId: c.id,
          details: { contacts: list.length },
        },
      ]);
      return {
        caseId: c.id,
        closedAt: c.closedAt?.toISOString() ?? null,
        contacts: list.map((x) => ({
          ...x,
          exposedAt: x.exposedAt.toISOString(),
          alertedAt: x.alertedAt?.toISOString() ?? null,
          acknowledgedAt: x.acknowledgedAt?.toISOString() ?? null,
        })),
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/cases/:id/close',
    {
      onRequest: health,
      schema: {
        params: idParams,
        response: { 200: { type: 'object', properties: { id: uuid, closedAt: dateTime } }, '4xx': errorResponse },
      },
    },
    async (req) => {
      const c = await deps.database.db.transaction((tx) => closeCase(tx, deps, req.params.id, actor(req)));
      return { id: c.id, closedAt: c.closedAt!.toISOString() };
    },
  );
};

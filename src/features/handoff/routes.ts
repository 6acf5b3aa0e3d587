import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit/audit-log.js';
import { AppError, notFound } from '../../core/errors.js';
import { cases, trips, venues } from '../../db/schema/index.js';
import type { RouteModule } from '../../http/app.js';
import { idParams } from '../../http/schemas.js';
import { eq } from 'drizzle-orm';
import { handoffCsv, isoVn, type HandoffRow } from './format.js';
import {
  CONTACT_COLUMNS,
  caseContactRows,
  DECLARATION_COLUMNS,
  riskDeclarationRows,
  VISIT_COLUMNS,
  visitRows,
} from './store.js';

/** Longest period one visits or declarations export may cover. */
const MAX_RANGE_DAYS = 31;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function range(q: { from?: string; to?: string }): { from: Date; to: Date } {
  const parse = (name: string, v: string | undefined) => {
    const d = v && ISO_WITH_OFFSET.test(v) ? new Date(v) : undefined;
    if (!d || Number.isNaN(d.getTime()))
      throw new AppError(
        'VALIDATION_ERROR',
        `${name} must be an ISO 8601 time with offset, e.g. 2021-08-01T00:00:00+07:00`,
      );
    return d;
  };
  const from = parse('from', q.from);
  const to = parse('to', q.to);
  if (to.getTime() <= from.getTime()) throw new AppError('VALIDATION_ERROR', 'to must be after from');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000)
    throw new AppError('VALIDATION_ERROR', `the range may span at most ${MAX_RANGE_DAYS} days`);
  return { from, to };
}

const rangeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { from: { type: 'string', maxLength: 64 }, to: { type: 'string', maxLength: 64 } },
} as const;

/**
 * Hand-off files for the national tracing centre (README «Hand-off files»): each in CSV (UTF-8 with BOM) and
 * JSON with the same column names; times ISO 8601 with +07:00. Every export is audited (what, how many rows).
 */
export const handoffRoutes: RouteModule = (app, deps) => {
  const health = deps.requireRole('health');
  const actor = (req: FastifyRequest) => req.principal?.id ?? 'unknown';

  async function send(
    req: FastifyRequest,
    reply: FastifyReply,
    format: 'csv' | 'json',
    file: { name: string; columns: readonly string[]; rows: HandoffRow[]; meta: Record<string, unknown> },
    audit: { action: string; subjectType: string; subjectId: string; details?: Record<string, unknown> },
  ) {
    await recordAudit(deps.database.db, {
      actor: actor(req),
      ...audit,
      details: { ...audit.details, count: file.rows.length, format },
      at: deps.clock.now(),
    });
    reply.header('cache-control', 'no-store');
    if (format === 'json') return reply.send({ ...file.meta, columns: file.columns, rows: file.rows });
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${file.name}.csv"`)
      .send(handoffCsv(file.columns, file.rows));
  }

  for (const format of ['csv', 'json'] as const) {
    app.get<{ Params: { id: string } }>(
      `/api/v1/cases/:id/contacts.${format}`,
      { onRequest: health, schema: { params: idParams } },
      async (req, reply) => {
        const c = await deps.database.db.query.cases.findFirst({ where: eq(cases.id, req.params.id) });
        if (!c) throw notFound('CASE_NOT_FOUND', 'No case has this id.');
        const rows = await caseContactRows(deps.database.db, c.id);
        return send(
          req,
          reply,
          format,
          { name: `contacts-${c.id}`, columns: CONTACT_COLUMNS, rows, meta: { caseId: c.id } },
          { action: 'case.contacts.export', subjectType: 'case', subjectId: c.id },
        );
      },
    );

    app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
      `/api/v1/handoff/venues/:id/visits.${format}`,
      { onRequest: health, schema: { params: idParams, querystring: rangeQuery } },
      async (req, reply) => {
        const v = await deps.database.db.query.venues.findFirst({ where: eq(venues.id, req.params.id) });
        if (!v) throw notFound('VENUE_NOT_FOUND', 'No venue with this id.');
        const { from, to } = range(req.query);
        const rows = await visitRows(deps.database.db, { venueId: v.id, from, to });
        return send(
          req,
          reply,
          format,
          {
            name: `visits-${v.code}`,
            columns: VISIT_COLUMNS,
            rows,
            meta: { venueId: v.id, from: isoVn(from), to: isoVn(to) },
          },
          {
            action: 'venue.visits.handoff',
            subjectType: 'venue',
            subjectId: v.id,
            details: { from: from.toISOString(), to: to.toISOString() },
          },
        );
      },
    );

    app.get<{ Params: { id: string } }>(
      `/api/v1/handoff/trips/:id/visits.${format}`,
      { onRequest: health, schema: { params: idParams } },
      async (req, reply) => {
        const t = await deps.database.db.query.trips.findFirst({ where: eq(trips.id, req.params.id) });
        if (!t) throw notFound('TRIP_NOT_FOUND', 'No trip has this id.');
        const rows = await visitRows(deps.database.db, { tripId: t.id });
        return send(
          req,
          reply,
          format,
          {
            name: `trip-${t.id}`,
            columns: VISIT_COLUMNS,
            rows,
            meta: { tripId: t.id, venueId: t.venueId, departsAt: isoVn(t.departsAt), arrivesAt: isoVn(t.arrivesAt) },
          },
          { action: 'trip.visits.handoff', subjectType: 'trip', subjectId: t.id },
        );
      },
    );

    app.get<{ Querystring: { wardCode?: string; from?: string; to?: string } }>(
      `/api/v1/handoff/declarations.${format}`,
      {
        onRequest: health,
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { ...rangeQuery.properties, wardCode: { type: 'string', maxLength: 64 } },
          },
        },
      },
      async (req, reply) => {
        const { from, to } = range(req.query);
        const wardCode = req.query.wardCode || undefined;
        const rows = await riskDeclarationRows(deps.database.db, { wardCode, from, to });
        return send(
          req,
          reply,
          format,
          {
            name: `declarations-risk-${wardCode ?? 'all'}`,
            columns: DECLARATION_COLUMNS,
            rows,
            meta: { wardCode: wardCode ?? null, from: isoVn(from), to: isoVn(to) },
          },
          {
            action: 'declarations.handoff',
            subjectType: 'ward',
            subjectId: wardCode ?? 'all',
            details: { from: from.toISOString(), to: to.toISOString() },
          },
        );
      },
    );
  }
};

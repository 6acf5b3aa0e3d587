import { and, eq, sql } from 'drizzle-orm';
import type { FastifyReply } from 'fastify';
import { recordAudit } from '../../audit/audit-log.js';
import type { Deps } from '../../core/dialog.js';
import { AppError, notFound } from '../../core/errors.js';
import { formatDateTime, tFor } from '../../core/i18n.js';
import type { ChannelName } from '../../core/messages.js';
import { accounts, auditLog, venues, type Trip } from '../../db/schema/index.js';
import type { RouteModule } from '../../http/app.js';
import { htmlPage, pageLocale } from '../../http/page-shell.js';
import { dateTime, errorResponse, idParams } from '../../http/schemas.js';
import { enqueue } from '../../outbox/enqueue.js';
import { escapeMarkup } from '../../render/escape.js';
import { handoffCsv, isoVn, PASSENGER_COLUMNS, passengerRow } from '../handoff/format.js';
import { oneTimeLink, readSignedToken } from '../venues/signing.js';
import {
  createTimetableTrips,
  createTrip,
  passengersOf,
  requireVehicle,
  saveTimetable,
  transportSettings,
  tripById,
  tripsOfVehicle,
} from './store.js';

export function tripJson(t: Trip) {
  return {
    id: t.id,
    venueId: t.venueId,
    departsAt: isoVn(t.departsAt),
    arrivesAt: isoVn(t.arrivesAt),
    label: t.label,
    fromTimetable: t.timetableId !== null,
  };
}

/** How long the passenger list link sent to a vehicle's owner works (once). */
export const PASSENGERS_LINK_HOURS = 24;

/** A one-time link to a trip's passenger list (CSV) for the vehicle's owner in chat. */
export function passengersCsvLink(
  deps: Pick<Deps, 'config' | 'secrets'>,
  tripId: string,
  accountId: string,
  now: Date,
): string {
  return oneTimeLink(deps, {
    purpose: 'passengers-csv',
    subjectId: tripId,
    accountId,
    path: `/trips/${tripId}/passengers.csv`,
    validMs: PASSENGERS_LINK_HOURS * 3_600_000,
    now,
  });
}

function sendPassengersCsv(reply: FastifyReply, trip: Trip, csv: Buffer) {
  const day = isoVn(trip.departsAt)!.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="passengers-${day}-${trip.id.slice(0, 8)}.csv"`)
    .header('cache-control', 'no-store')
    .send(csv);
}

const tripSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    venueId: { type: 'string' },
    departsAt: { type: 'string' },
    arrivesAt: { type: 'string' },
    label: { type: ['string', 'null'] },
    fromTimetable: { type: 'boolean' },
  },
} as const;

/** Vehicles' trips, timetables and passenger lists (officials; DESIGN.md ◆ HTTP, README «Vehicles and trips»). */
export const transportRoutes: RouteModule = (app, deps) => {
  const officials = deps.requireRole('health');
  const actor = (req: { principal?: { id: string } }) => req.principal?.id ?? 'unknown';
  const settings = () => transportSettings(deps.config);

  app.post<{ Params: { id: string }; Body: { departsAt: string; arrivesAt: string; label?: string | null } }>(
    '/api/v1/venues/:id/trips',
    {
      onRequest: officials,
      schema: {
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['departsAt', 'arrivesAt'],
          properties: { departsAt: dateTime, arrivesAt: dateTime, label: { type: ['string', 'null'], maxLength: 200 } },
        },
        response: { 201: tripSchema, '4xx': errorResponse },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const trip = await createTrip(deps.database.db, req.params.id, {
        departsAt: new Date(b.departsAt),
        arrivesAt: new Date(b.arrivesAt),
        label: b.label,
      });
      return reply.status(201).send(tripJson(trip));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
    '/api/v1/venues/:id/trips',
    {
      onRequest: officials,
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: dateTime, to: dateTime },
        },
      },
    },
    async (req) => {
      const venue = await requireVehicle(deps.database.db, req.params.id);
      const now = deps.clock.now();
      const from = req.query.from ? new Date(req.query.from) : new Date(now.getTime() - 86_400_000);
      const to = req.query.to
        ? new Date(req.query.to)
        : new Date(now.getTime() + settings().timetableDays * 86_400_000);
      const rows = await tripsOfVehicle(deps.database.db, venue.id, from, to);
      return { venueId: venue.id, from: isoVn(from), to: isoVn(to), trips: rows.map(tripJson) };
    },
  );

  app.post<{
    Params: { id: string };
    Body: { entries: { weekday: number; departs: string; durationMinutes: number; label?: string | null }[] };
  }>(
    '/api/v1/venues/:id/timetable',
    {
      onRequest: officials,
      schema: {
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['entries'],
          properties: {
            entries: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['weekday', 'departs', 'durationMinutes'],
                properties: {
                  weekday: { type: 'integer' },
                  departs: { type: 'string', maxLength: 5 },
                  durationMinutes: { type: 'integer' },
                  label: { type: ['string', 'null'], maxLength: 200 },
                },
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const db = deps.database.db;
      const result = await db.transaction(async (tx) => {
        const lines = await saveTimetable(tx, req.params.id, req.body.entries);
        // The same step the timetable job runs every hour: the first trips exist at once.
        const created = await createTimetableTrips(tx, deps.clock.now(), settings().timetableDays, req.params.id);
        return { lines, created };
      });
      return reply.status(201).send({
        venueId: req.params.id,
        daysAhead: settings().timetableDays,
        tripsCreated: result.created,
        entries: result.lines.map((l) => ({
          id: l.id,
          weekday: l.weekday,
          departs: l.departs,
          durationMinutes: l.durationMinutes,
          label: l.label,
        })),
      });
    },
  );

  async function passengerList(tripId: string, by: string, format: 'json' | 'csv') {
    const db = deps.database.db;
    const trip = await tripById(db, tripId);
    if (!trip) throw notFound('TRIP_NOT_FOUND', 'No trip has this id.');
    const rows = await passengersOf(db, trip.id);
    // Officials reading who travelled with whom: every read is audited (ids and counts only).
    await recordAudit(db, {
      actor: by,
      action: 'trip.passengers.read',
      subjectType: 'trip',
      subjectId: trip.id,
      details: { venueId: trip.venueId, count: rows.length, format },
      at: deps.clock.now(),
    });
    return { trip, rows };
  }

  app.get<{ Params: { id: string } }>(
    '/api/v1/trips/:id/passengers',
    { onRequest: officials, schema: { params: idParams } },
    async (req) => {
      const { trip, rows } = await passengerList(req.params.id, actor(req), 'json');
      const vehicle = await deps.database.db.query.venues.findFirst({ where: eq(venues.id, trip.venueId) });
      return {
        trip: tripJson(trip),
        vehicle: vehicle
          ? { id: vehicle.id, name: vehicle.name, kind: vehicle.kind, plate: vehicle.plate, route: vehicle.route }
          : null,
        passengers: rows.map((p) => ({ personId: p.personId, ...passengerRow(p) })),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/trips/:id/passengers.csv',
    { onRequest: officials, schema: { params: idParams } },
    async (req, reply) => {
      const { trip, rows } = await passengerList(req.params.id, actor(req), 'csv');
      return sendPassengersCsv(reply, trip, handoffCsv(PASSENGER_COLUMNS, rows.map(passengerRow)));
    },
  );

  // An official asks the vehicle's owner for the list: the owner gets it in chat (a one-time download link).
  app.post<{ Params: { id: string } }>(
    '/api/v1/trips/:id/passengers/request-owner',
    { onRequest: officials, schema: { params: idParams } },
    async (req, reply) => {
      const db = deps.database.db;
      const now = deps.clock.now();
      const trip = await tripById(db, req.params.id);
      if (!trip) throw notFound('TRIP_NOT_FOUND', 'No trip has this id.');
      const vehicle = await db.query.venues.findFirst({ where: eq(venues.id, trip.venueId) });
      const owner = vehicle?.ownerAccountId
        ? await db.query.accounts.findFirst({ where: eq(accounts.id, vehicle.ownerAccountId) })
        : undefined;
      if (!vehicle || !owner) throw new AppError('NO_OWNER', 'The vehicle has no owner registered in chat.', 409);
      const count = (await passengersOf(db, trip.id)).length;
      const t = tFor(owner.locale);
      const queued = await db.transaction(async (tx) => {
        await recordAudit(tx, {
          actor: actor(req),
          action: 'trip.passengers.request_owner',
          subjectType: 'trip',
          subjectId: trip.id,
          details: { venueId: vehicle.id, ownerAccountId: owner.id, count },
          at: now,
        });
        return enqueue(tx, [
          {
            channel: owner.channel as ChannelName,
            accountId: owner.id,
            kind: 'trip-passengers',
            refId: trip.id,
            dedupeKey: `trip-passengers:${trip.id}:${owner.id}:${now.getTime()}`,
            messages: [
              {
                text: t('transport:owner_list_requested', {
                  vehicle: vehicle.name,
                  departs: formatDateTime(trip.departsAt, owner.locale),
                  count,
                  hours: PASSENGERS_LINK_HOURS,
                }),
                link: { label: t('transport:owner_list_button'), url: passengersCsvLink(deps, trip.id, owner.id, now) },
              },
            ],
          },
        ]);
      });
      if (queued > 0) deps.wakeOutbox?.();
      return reply.status(202).send({ tripId: trip.id, ownerAccountId: owner.id, passengers: count, queued });
    },
  );

  // The owner's copy, from the one-time link sent in chat.
  app.get<{ Params: { id: string }; Querystring: { t?: string } }>('/trips/:id/passengers.csv', async (req, reply) => {
    const now = deps.clock.now();
    const parts = readSignedToken(deps, 'passengers-csv', String(req.query.t ?? ''), now, 3);
    const refuse = (key: string) => {
      const lang = pageLocale(req);
      const tr = tFor(lang);
      return reply
        .status(403)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(htmlPage(lang, tr(`transport:${key}`), `<p>${escapeMarkup(tr(`transport:${key}`))}</p>`));
    };
    if (!parts || parts[0] !== req.params.id) return refuse('link_expired');
    const [tripId, accountId, nonce] = parts as [string, string, string];
    const result = await deps.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`passengers-csv:${nonce}`}))`);
      const used = await tx.query.auditLog.findFirst({
        where: and(
          eq(auditLog.action, 'trip.passengers.export'),
          eq(auditLog.subjectId, tripId),
          sql`${auditLog.details}->>'nonce' = ${nonce}`,
        ),
      });
      if (used) return 'used' as const;
      const trip = await tripById(tx, tripId);
      const vehicle = trip ? await tx.query.venues.findFirst({ where: eq(venues.id, trip.venueId) }) : undefined;
      if (!trip || !vehicle || vehicle.ownerAccountId !== accountId) return 'not_owner' as const;
      const rows = await passengersOf(tx, trip.id);
      await recordAudit(tx, {
        actor: `account:${accountId}`,
        action: 'trip.passengers.export',
        subjectType: 'trip',
        subjectId: trip.id,
        details: { venueId: vehicle.id, count: rows.length, via: 'chat', nonce },
        at: now,
      });
      return { trip, csv: handoffCsv(PASSENGER_COLUMNS, rows.map(passengerRow)) };
    });
    if (result === 'used') return refuse('link_used');
    if (result === 'not_owner') return refuse('link_not_owner');
    return sendPassengersCsv(reply, result.trip, result.csv);
  });
};

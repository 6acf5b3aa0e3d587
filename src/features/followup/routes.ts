import { notFound } from '../../core/errors.js';
import type { RouteModule } from '../../http/app.js';
import { errorResponse, uuid } from '../../http/schemas.js';
import { ACCESS } from '../officials/roles.js';
import type { Principal } from '../../http/auth.js';
import { scopeOfPrincipal } from '../officials/scope.js';
import {
  CASE_STATUSES,
  FOLLOWUP_STATUSES,
  auditFollowupRead,
  listFollowups,
  setFollowup,
  type FollowupEntry,
  type FollowupStatus,
} from './store.js';

const entrySchema = {
  type: 'object',
  properties: {
    personId: { type: 'string' },
    name: { type: 'string' },
    phone: { type: 'string', nullable: true },
    address: { type: 'string', nullable: true },
    wardCode: { type: 'string', nullable: true },
    wardName: { type: 'string', nullable: true },
    reasons: {
      type: 'array',
      items: { type: 'string', enum: ['active-case', 'symptoms', 'contact-declared', 'exposure'] },
    },
    since: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: [...FOLLOWUP_STATUSES] },
    note: { type: 'string', nullable: true },
    updatedAt: { type: 'string', format: 'date-time', nullable: true },
  },
} as const;

/** What PATCH answers after isolating or positive: the request that records the case for this person. */
const recordCaseSchema = {
  type: 'object',
  nullable: true,
  properties: {
    method: { type: 'string' },
    path: { type: 'string' },
    body: { type: 'object', properties: { personId: { type: 'string' }, dryRun: { type: 'boolean' } } },
    allowed: { type: 'boolean' },
  },
} as const;

const mayRecordCases = (p: Principal) => p.roles.some((r) => r === 'admin' || ACCESS.cases.includes(r));

const toJson = (e: FollowupEntry) => ({
  ...e,
  since: e.since.toISOString(),
  updatedAt: e.updatedAt?.toISOString() ?? null,
});

/**
 * Ward follow-up (directive §2a): city-wide `health` (and `admin`) see every ward, `ward_health` only its scope.
 * Every read and every change is audited.
 */
export const followupRoutes: RouteModule = (app, deps) => {
  const db = deps.database.db;
  const allowed = deps.requireRole(...ACCESS.followups);

  app.get<{ Querystring: { wardCode?: string; status?: FollowupStatus } }>(
    '/api/v1/followups',
    {
      onRequest: allowed,
      schema: {
        tags: ['followups'],
        summary:
          'Residents to follow up in your wards: symptoms or a risk answer, alerted as a contact (14 days), open cases',
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            wardCode: { type: 'string', maxLength: 10 },
            status: { type: 'string', enum: [...FOLLOWUP_STATUSES] },
          },
        },
        response: { 200: { type: 'array', items: entrySchema }, '4xx': errorResponse },
      },
    },
    async (req) => {
      const now = deps.clock.now();
      const principal = req.principal!;
      return db.transaction(async (tx) => {
        const scope = await scopeOfPrincipal(tx, principal);
        const list = await listFollowups(tx, scope, { now, wardCode: req.query.wardCode, status: req.query.status });
        await auditFollowupRead(tx, {
          actor: principal.id,
          scope,
          wardCode: req.query.wardCode,
          status: req.query.status,
          shown: list,
          at: now,
          via: 'api',
        });
        return list.map(toJson);
      });
    },
  );

  app.patch<{ Params: { personId: string }; Body: { status: FollowupStatus; note?: string } }>(
    '/api/v1/followups/:personId',
    {
      onRequest: allowed,
      schema: {
        tags: ['followups'],
        summary: "Set a resident's follow-up status and note (negative clears an exposure's yellow pass)",
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['personId'], properties: { personId: uuid } },
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...FOLLOWUP_STATUSES] },
            note: { type: 'string', maxLength: 2000 },
          },
        },
        response: {
          200: { ...entrySchema, properties: { ...entrySchema.properties, recordCase: recordCaseSchema } },
          '4xx': errorResponse,
        },
      },
    },
    async (req) => {
      const now = deps.clock.now();
      const principal = req.principal!;
      // isolating / positive point at recording the case: POST /api/v1/cases for this person, previewed first
      // (dryRun: true; send it again without dryRun to alert). allowed = this caller's roles may record cases.
      const recordCase = (CASE_STATUSES as readonly string[]).includes(req.body.status)
        ? {
            method: 'POST',
            path: '/api/v1/cases',
            body: { personId: req.params.personId, dryRun: true },
            allowed: mayRecordCases(principal),
          }
        : null;
      const entry = await db.transaction(async (tx) => {
        const scope = await scopeOfPrincipal(tx, principal);
        const r = await setFollowup(tx, scope, {
          personId: req.params.personId,
          status: req.body.status,
          note: req.body.note,
          actor: principal.id,
          now,
          via: 'api',
        });
        if (!r.ok) throw notFound('PERSON_NOT_FOUND', 'No resident with this id in your wards.');
        const [entry] = await listFollowups(tx, scope, { now, personId: req.params.personId });
        if (entry) return toJson(entry);
        // Set for someone not (or no longer) on the list: answer with what was stored.
        const person = await tx.query.persons.findFirst({ where: (p, { eq }) => eq(p.id, req.params.personId) });
        const f = await tx.query.followups.findFirst({ where: (x, { eq }) => eq(x.personId, req.params.personId) });
        return {
          personId: req.params.personId,
          name: person!.fullName,
          phone: person!.phone,
          address: null,
          wardCode: person!.wardCode,
          wardName: null,
          reasons: [],
          since: now.toISOString(),
          status: r.status,
          note: f?.note ?? null,
          updatedAt: now.toISOString(),
        };
      });
      return { ...entry, recordCase };
    },
  );
};

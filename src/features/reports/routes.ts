import type { RouteModule } from '../../http/app.js';
import type { Principal } from '../../http/auth.js';
import { errorResponse } from '../../http/schemas.js';
import { recordAudit } from '../../audit/audit-log.js';
import type { DbOrTx } from '../../db/client.js';
import { ACCESS } from '../officials/roles.js';
import { scopeOfPrincipal, type WardScope } from '../officials/scope.js';
import { computeCoverage, missingVenues, type CoverageReport } from './coverage.js';
import { coverageCsv } from './coverage-csv.js';
import { importTargets, MAX_TARGET_ROWS, TARGET_COLUMNS } from './targets.js';
import { acceptCsvBodies, csvBody } from '../../http/csv-body.js';

const count = { type: 'integer' } as const;

const querystring = {
  type: 'object',
  additionalProperties: false,
  properties: { districtCode: { type: 'string', pattern: '^[0-9]{1,6}$' } },
} as const;

const missingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string' },
    address: { type: 'string', nullable: true },
    wardCode: { type: 'string' },
    claimCode: { type: 'string' },
  },
} as const;

const reportSchema = {
  type: 'object',
  properties: {
    generatedAt: { type: 'string', format: 'date-time' },
    districtCode: { type: 'string', nullable: true },
    days: { type: 'array', items: { type: 'string' } },
    wards: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          wardCode: { type: 'string' },
          wardName: { type: 'string' },
          districtCode: { type: 'string', nullable: true },
          districtName: { type: 'string' },
          venues: {
            type: 'object',
            properties: { total: count, byKind: { type: 'object', additionalProperties: count } },
          },
          activeVenues7d: count,
          residentsDeclared24h: count,
          residentsDeclared7d: count,
          checkinsDaily: {
            type: 'array',
            items: { type: 'object', properties: { date: { type: 'string' }, checkins: count } },
          },
          targets: {
            type: 'object',
            properties: {
              required: count,
              registered: count,
              coveragePercent: { type: 'number', nullable: true },
              missing: { type: 'array', items: missingSchema },
            },
          },
        },
      },
    },
  },
} as const;

/** City-wide stats roles (admin, health, comms) see every ward; `ward_health` only its scope. */
export async function reportScope(db: DbOrTx, p: Principal): Promise<WardScope> {
  if (p.roles.some((r) => r === 'admin' || ACCESS.stats.includes(r))) return { all: true };
  return scopeOfPrincipal(db, p);
}

/**
 * Deployment progress (directive §11): the coverage report per ward, as JSON and as CSV. Every read is audited
 * with the caller's scope and the wards shown.
 */
export const reportRoutes: RouteModule = (app, deps) => {
  const db = deps.database.db;
  const allowed = deps.requireRole(...ACCESS.reports);
  acceptCsvBodies(app);

  async function load(principal: Principal, districtCode: string | undefined, format: 'json' | 'csv') {
    const now = deps.clock.now();
    return db.transaction(async (tx): Promise<CoverageReport> => {
      const scope = await reportScope(tx, principal);
      const report = await computeCoverage(tx, { now, scope, districtCode });
      await recordAudit(tx, {
        actor: principal.id,
        action: 'report.coverage',
        subjectType: 'wards',
        details: {
          via: 'api',
          format,
          scope: scope.all ? 'all' : scope.wardCodes,
          districtCode: districtCode ?? null,
          wardCodes: report.wards.map((w) => w.wardCode),
        },
        at: now,
      });
      return report;
    });
  }

  app.get<{ Querystring: { districtCode?: string } }>(
    '/api/v1/reports/coverage',
    {
      onRequest: allowed,
      schema: {
        tags: ['reports'],
        summary: 'Deployment progress per ward: venues registered by kind, venues in use, residents declaring',
        description:
          'One entry per ward (of districtCode when given; a ward_health official sees only their wards): open venues registered (total and by kind), venues with a check-in in the last 7 days, residents whose ward it is with a declaration in the last 24 hours and 7 days, check-ins per Vietnam calendar day for the last 7 days (today last). Audited.',
        security: [{ bearer: [] }],
        querystring,
        response: { 200: reportSchema, '4xx': errorResponse },
      },
    },
    async (req) => load(req.principal!, req.query.districtCode, 'json'),
  );

  app.get<{ Querystring: { districtCode?: string } }>(
    '/api/v1/reports/coverage.csv',
    {
      onRequest: allowed,
      schema: {
        tags: ['reports'],
        summary: 'The coverage report as CSV (UTF-8 with BOM, CRLF, Vietnamese headers)',
        description:
          'Columns: Mã phường/xã, Phường/xã, Quận/huyện, Địa điểm đã đăng ký, one "Địa điểm: <kind>" column per venue kind, Địa điểm có lượt quét (7 ngày), Người dân khai báo (24 giờ), Người dân khai báo (7 ngày), then "Lượt quét dd/mm/yyyy" per day, oldest first. Audited.',
        security: [{ bearer: [] }],
        querystring,
      },
    },
    async (req, reply) => {
      const report = await load(req.principal!, req.query.districtCode, 'csv');
      const day = report.days[report.days.length - 1];
      const name = `bao-cao-bao-phu-${req.query.districtCode ? `${req.query.districtCode}-` : ''}${day}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(coverageCsv(report));
    },
  );

  app.get<{ Querystring: { districtCode?: string; wardCode?: string } }>(
    '/api/v1/reports/coverage/missing',
    {
      onRequest: allowed,
      schema: {
        tags: ['reports'],
        summary: 'Required venues (from target lists) not yet registered, with the claim code to hand their owner',
        description:
          'Of one ward or district when given; a ward_health official sees only their wards (another ward gives an empty list). Audited.',
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            districtCode: { type: 'string', pattern: '^[0-9]{1,6}$' },
            wardCode: { type: 'string', pattern: '^[0-9]{1,6}$' },
          },
        },
        response: { 200: { type: 'array', items: missingSchema }, '4xx': errorResponse },
      },
    },
    async (req) => {
      const now = deps.clock.now();
      const principal = req.principal!;
      return db.transaction(async (tx) => {
        const scope = await reportScope(tx, principal);
        const list = await missingVenues(tx, { scope, ...req.query });
        await recordAudit(tx, {
          actor: principal.id,
          action: 'report.targets.missing',
          subjectType: 'venues',
          details: { via: 'api', scope: scope.all ? 'all' : scope.wardCodes, ...req.query, shown: list.length },
          at: now,
        });
        return list;
      });
    },
  );

  app.post(
    '/api/v1/reports/targets/import',
    {
      onRequest: deps.requireRole(...ACCESS.targets),
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        tags: ['reports'],
        summary: 'Import a target list: venues that must register (CSV), each given a claim code for its owner',
        description: `Body: CSV (Content-Type: text/csv, UTF-8 with or without BOM) with the header ${TARGET_COLUMNS.join(',')}; at most ${MAX_TARGET_ROWS} lines. kind: a venue kind id (restaurant, shop…) or its Vietnamese name; ward: a ward code (31117) or a name that names one ward ("Cái Khế", "An Bình, Ninh Kiều"). Each good line becomes a required venue with a claimCode the owner sends in chat (/diadiem <code>) to take it over; a line naming a venue already registered in that ward (same name) marks it required (matched, no code). Bad lines, and lines for wards outside a ward_health official's scope, are listed in errors with their line number; the rest are imported. Audited.`,
        security: [{ bearer: [] }],
        response: {
          '2xx': {
            type: 'object',
            properties: {
              created: count,
              matched: count,
              errors: {
                type: 'array',
                items: { type: 'object', properties: { line: count, message: { type: 'string' } } },
              },
              venues: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    line: count,
                    id: { type: 'string' },
                    name: { type: 'string' },
                    wardCode: { type: 'string' },
                    claimCode: { type: 'string', nullable: true },
                  },
                },
              },
            },
          },
          '4xx': errorResponse,
        },
      },
    },
    async (req, reply) => {
      const text = csvBody(req);
      const now = deps.clock.now();
      const principal = req.principal!;
      const result = await db.transaction(async (tx) => {
        const scope = await reportScope(tx, principal);
        const r = await importTargets(tx, { text, scope, now });
        await recordAudit(tx, {
          actor: principal.id,
          action: 'report.targets.import',
          subjectType: 'venues',
          details: {
            via: 'api',
            scope: scope.all ? 'all' : scope.wardCodes,
            created: r.created,
            matched: r.matched,
            errors: r.errors.length,
          },
          at: now,
        });
        return r;
      });
      req.log.info(
        { created: result.created, matched: result.matched, errors: result.errors.length },
        'targets imported',
      );
      return reply.status(result.created + result.matched > 0 ? 201 : 200).send(result);
    },
  );
};

import { notFound } from '../../core/errors.js';
import type { Role } from '../../http/auth.js';
import type { RouteModule } from '../../http/app.js';
import { errorResponse } from '../../http/schemas.js';
import { recordAudit } from '../../audit/audit-log.js';
import { listWards, setWardHotline } from './store.js';

const wardItem = {
  type: 'object',
  required: ['code', 'name', 'districtCode', 'districtName', 'hotline'],
  properties: {
    code: { type: 'string' },
    name: { type: 'string' },
    districtCode: { type: ['string', 'null'] },
    districtName: { type: 'string' },
    hotline: { type: ['string', 'null'] },
  },
} as const;

/**
 * `GET /api/v1/wards?q&districtCode`: the wards officials pick from (Can Tho's 83 on a fresh install, plus any
 * province loaded by `npm run wards:import`). `roles` = who may read it besides admin (src/features/index.ts).
 * `PATCH /api/v1/wards/:code {hotline}`: the ward health station's phone (`writeRoles` besides admin), given to
 * the ward's residents in exposure alerts and refusals instead of the city hotline; null clears it.
 */
export const wardsRoutes =
  (roles: readonly Role[], writeRoles: readonly Role[]): RouteModule =>
  (app, deps) => {
    app.get<{ Querystring: { q?: string; districtCode?: string } }>(
      '/api/v1/wards',
      {
        onRequest: deps.requireRole(...roles),
        schema: {
          tags: ['wards'],
          summary: 'Wards (phường, xã, thị trấn) with their districts, by GSO code',
          description:
            'q matches the ward name or its district name, diacritics and "phường"/"quận" ignored ("cai khe", "ninh kieu"); ' +
            'districtCode keeps one district (e.g. 916 Quận Ninh Kiều). Ordered by district code, then ward code.',
          security: [{ bearer: [] }],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              q: { type: 'string', minLength: 1, maxLength: 200 },
              districtCode: { type: 'string', pattern: '^[0-9]{1,10}$' },
            },
          },
          response: { 200: { type: 'array', items: wardItem } },
        },
      },
      async (req) => listWards(deps.database.db, { q: req.query.q, districtCode: req.query.districtCode }),
    );

    app.patch<{ Params: { code: string }; Body: { hotline: string | null } }>(
      '/api/v1/wards/:code',
      {
        onRequest: deps.requireRole(...writeRoles),
        schema: {
          tags: ['wards'],
          summary: "Set the ward health station's phone (null: its residents are given the city hotline)",
          security: [{ bearer: [] }],
          params: {
            type: 'object',
            required: ['code'],
            properties: { code: { type: 'string', pattern: '^[0-9]{1,10}$' } },
          },
          body: {
            type: 'object',
            required: ['hotline'],
            additionalProperties: false,
            properties: {
              hotline: { type: ['string', 'null'], minLength: 3, maxLength: 40, pattern: '^[0-9+() .-]+$' },
            },
          },
          response: {
            200: {
              type: 'object',
              required: ['code', 'name', 'hotline'],
              properties: { code: { type: 'string' }, name: { type: 'string' }, hotline: { type: ['string', 'null'] } },
            },
            '4xx': errorResponse,
          },
        },
      },
      async (req) =>
        deps.database.db.transaction(async (tx) => {
          const hotline = req.body.hotline?.replace(/\s+/g, ' ').trim() || null;
          const w = await setWardHotline(tx, req.params.code, hotline);
          if (!w) throw notFound('WARD_NOT_FOUND', 'No ward has this code.');
          await recordAudit(tx, {
            actor: req.principal!.id,
            action: 'ward.hotline',
            subjectType: 'ward',
            subjectId: w.code,
            details: { hotline },
            at: deps.clock.now(),
          });
          return { code: w.code, name: w.name, hotline: w.hotline };
        }),
    );
  };

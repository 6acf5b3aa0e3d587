import type { Role } from '../../http/auth.js';
import type { RouteModule } from '../../http/app.js';
import { listWards } from './store.js';

/**
 * `GET /api/v1/wards?q&districtCode`: the wards officials pick from (Can Tho's 83 on a fresh install, plus any
 * province loaded by `npm run wards:import`). `roles` = who may read it besides admin (src/features/index.ts).
 */
export const wardsRoutes =
  (roles: readonly Role[]): RouteModule =>
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
          response: {
            200: {
              type: 'array',
              items: {
                type: 'object',
                required: ['code', 'name', 'districtCode', 'districtName'],
                properties: {
                  code: { type: 'string' },
                  name: { type: 'string' },
                  districtCode: { type: ['string', 'null'] },
                  districtName: { type: 'string' },
                },
              },
            },
          },
        },
      },
      async (req) => listWards(deps.database.db, { q: req.query.q, districtCode: req.query.districtCode }),
    );
  };

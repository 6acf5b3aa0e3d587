import { AppError } from '../../core/errors.js';
import type { RouteModule } from '../../http/app.js';
import { ACCESS } from '../officials/roles.js';
import { computeStats, vnDayStart } from './stats.js';

const MAX_RANGE_DAYS = 400;
const count = { type: 'integer' } as const;

export const statsRoutes: RouteModule = (app, deps) => {
  app.get<{ Querystring: { from?: string; to?: string } }>(
    '/api/v1/stats',
    {
      onRequest: deps.requireRole(...ACCESS.stats),
      schema: {
        tags: ['stats'],
        summary: 'Declarations, symptomatic declarations by ward, check-ins, venues, alerts over [from, to)',
        description: 'from defaults to the start of today in Asia/Ho_Chi_Minh, to to now.',
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              declarations: count,
              symptomatic: count,
              symptomaticByWard: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    wardCode: { type: 'string', nullable: true },
                    wardName: { type: 'string', nullable: true },
                    count,
                  },
                },
              },
              checkins: count,
              venues: { type: 'object', properties: { total: count, active: count, new: count } },
              alerts: { type: 'object', properties: { sent: count, acknowledged: count } },
              daily: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { date: { type: 'string' }, declarations: count, symptomatic: count, checkins: count },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const now = deps.clock.now();
      const from = req.query.from ? new Date(req.query.from) : vnDayStart(now);
      const to = req.query.to ? new Date(req.query.to) : now;
      if (!(from < to)) throw new AppError('BAD_RANGE', 'from must be before to.', 400);
      if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
        throw new AppError('BAD_RANGE', `The range may span at most ${MAX_RANGE_DAYS} days.`, 400);
      }
      return computeStats(deps.database.db, from, to);
    },
  );
};

import { desc } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.js';
import { broadcasts } from '../../db/schema/index.js';
import type { RouteModule } from '../../http/app.js';
import { errorResponse, idParams } from '../../http/schemas.js';
import { ACCESS } from '../officials/roles.js';
import { countAudience, type Audience } from './audience.js';
import { ALLOWED_TAGS, htmlSubsetProblem } from './html-subset.js';
import { cancelBroadcast } from './cancel.js';
import { broadcastView } from './counts.js';
import { createBroadcast } from './create.js';
import { declaredTextLimits, type BroadcastFormat } from './message.js';

const countsProperties = {
  id: { type: 'string' },
  status: { type: 'string', enum: ['scheduled', 'queuing', 'sending', 'done', 'cancelled'] },
  audience: { type: 'object', additionalProperties: true },
  scheduledAt: { type: 'string', format: 'date-time' },
  startedAt: { type: 'string', format: 'date-time', nullable: true },
  finishedAt: { type: 'string', format: 'date-time', nullable: true },
  total: { type: 'integer', description: 'outbox rows: one per consenting account in the audience' },
  sent: { type: 'integer' },
  failed: { type: 'integer', description: 'refused by the platform or out of attempts' },
  unreachable: { type: 'integer', description: 'blocked the bot / unfollowed: counted, not sent' },
  undeliverable: { type: 'integer' },
  cancelled: { type: 'integer' },
  pending: { type: 'integer' },
} as const;

interface CreateBody {
  text: string;
  format?: BroadcastFormat;
  audience: { all?: true; wardCodes?: string[] };
  scheduledAt?: string;
}

export const broadcastRoutes: RouteModule = (app, deps) => {
  const guard = deps.requireRole(...ACCESS.broadcasts);
  const db = deps.database.db;

  app.post<{ Body: CreateBody }>(
    '/api/v1/broadcasts',
    {
      onRequest: guard,
      schema: {
        tags: ['broadcasts'],
        summary: 'Announce to everyone or to wards, now or at scheduledAt; delivered through the outbox',
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['text', 'audience'],
          additionalProperties: false,
          properties: {
            text: { type: 'string', minLength: 1, maxLength: 4096 },
            format: {
              type: 'string',
              enum: ['plain', 'html'],
              default: 'plain',
              description: 'html: the subset Telegram accepts',
            },
            audience: {
              type: 'object',
              additionalProperties: false,
              properties: {
                all: { type: 'boolean', enum: [true] },
                wardCodes: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', minLength: 1 } },
              },
              anyOf: [{ required: ['all'] }, { required: ['wardCodes'] }],
            },
            scheduledAt: { type: 'string', format: 'date-time' },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              status: { type: 'string' },
              scheduledAt: { type: 'string', format: 'date-time' },
            },
          },
          '4xx': errorResponse,
        },
      },
    },
    async (req, reply) => {
      const { audience: a, text, format, scheduledAt } = req.body;
      if (a.all && a.wardCodes) throw new AppError('BAD_AUDIENCE', 'Give either all or wardCodes, not both.', 400);
      const audience: Audience = a.wardCodes ? { wardCodes: a.wardCodes } : { all: true };
      if (format === 'html') {
        const problem = htmlSubsetProblem(text);
        if (problem) {
          const what =
            problem.reason === 'unescaped'
              ? `"${problem.tag}" (write it as an entity)`
              : `<${problem.tag}> (${problem.reason.replace('_', ' ')})`;
          throw new AppError(
            'BAD_HTML',
            `Not in Telegram's HTML subset (${[...ALLOWED_TAGS].join(', ')}): ${what}.`,
            400,
            problem,
          );
        }
      }
      const b = await createBroadcast(
        db,
        {
          text,
          format,
          audience,
          scheduledAt: scheduledAt ? new Date(scheduledAt) : undefined,
          actor: req.principal?.id ?? 'unknown',
        },
        deps.clock.now(),
        declaredTextLimits(deps.channels),
      );
      req.log.info({ broadcastId: b.id, status: b.status }, 'broadcast created');
      return reply.status(201).send({ id: b.id, status: b.status, scheduledAt: b.scheduledAt.toISOString() });
    },
  );

  app.get<{ Querystring: { wardCodes?: string } }>(
    '/api/v1/broadcasts/recipients',
    {
      onRequest: guard,
      schema: {
        tags: ['broadcasts'],
        summary: 'How many accounts an audience reaches: everyone, or the wards given (comma-separated codes)',
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { wardCodes: { type: 'string', pattern: '^[0-9]{1,10}(,[0-9]{1,10}){0,499}$' } },
        },
        response: {
          200: { type: 'object', properties: { total: { type: 'integer' }, unreachable: { type: 'integer' } } },
          '4xx': errorResponse,
        },
      },
    },
    async (req) => {
      const audience: Audience = req.query.wardCodes ? { wardCodes: req.query.wardCodes.split(',') } : { all: true };
      const c = await countAudience(db, audience);
      return { total: c.total, unreachable: c.unreachable };
    },
  );

  app.get(
    '/api/v1/broadcasts',
    {
      onRequest: guard,
      schema: {
        tags: ['broadcasts'],
        summary: 'The 50 most recent broadcasts',
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              broadcasts: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    status: { type: 'string' },
                    scheduledAt: { type: 'string', format: 'date-time' },
                    total: { type: 'integer', nullable: true },
                    createdBy: { type: 'string' },
                  },
                },
              },
            },
          },
          '4xx': errorResponse,
        },
      },
    },
    async () => {
      const rows = await db.select().from(broadcasts).orderBy(desc(broadcasts.createdAt)).limit(50);
      return {
        broadcasts: rows.map((b) => ({
          id: b.id,
          status: b.status,
          scheduledAt: b.scheduledAt.toISOString(),
          total: b.total,
          createdBy: b.createdBy,
        })),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/broadcasts/:id',
    {
      onRequest: guard,
      schema: {
        tags: ['broadcasts'],
        summary: 'Status and delivery counts (they add up to total)',
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: { type: 'object', properties: countsProperties }, '4xx': errorResponse },
      },
    },
    async (req) => {
      const view = await broadcastView(db, req.params.id);
      if (!view) throw notFound('BROADCAST_NOT_FOUND', 'No broadcast with this id.');
      return view;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/broadcasts/:id/cancel',
    {
      onRequest: guard,
      schema: {
        tags: ['broadcasts'],
        summary: 'Stop a scheduled or sending broadcast: messages not yet sent are cancelled',
        security: [{ bearer: [] }],
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, status: { type: 'string' }, cancelledRows: { type: 'integer' } },
          },
          '4xx': errorResponse,
        },
      },
    },
    async (req) => {
      const r = await db.transaction((tx) =>
        cancelBroadcast(tx, { id: req.params.id, actor: req.principal?.id ?? 'unknown', now: deps.clock.now() }),
      );
      if (!r.ok && r.reason === 'not_found') throw notFound('BROADCAST_NOT_FOUND', 'No broadcast with this id.');
      if (!r.ok) throw new AppError('BROADCAST_FINISHED', 'This broadcast has already finished or was cancelled.', 409);
      return { id: req.params.id, status: 'cancelled', cancelledRows: r.cancelledRows };
    },
  );
};

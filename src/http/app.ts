import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { scrub, type Deps, type DialogRunner } from '../core/dialog.js';
import { AppError, isDatabaseUnavailable } from '../core/errors.js';
import type { ChannelRegistry } from '../core/channel.js';
import type { Metrics } from './metrics.js';
import type { Role, TokenResolver } from './auth.js';
import { requireRole } from './auth.js';
import { registerOpenApi } from './openapi.js';

/** What routes get: the shared dependencies plus HTTP-only pieces. */
export interface AppDeps extends Deps {
  metrics: Metrics;
  runner: DialogRunner;
  channels: ChannelRegistry;
  tokenResolvers: TokenResolver[];
  /** preHandler for admin routes: 401 / 403 per the contract */
  requireRole: (...roles: Role[]) => ReturnType<typeof requireRole>;
  /** true once the database answers and migrations are applied */
  isReady(): boolean;
  /** checks the database now (for /readyz) */
  checkReady(): Promise<boolean>;
}

/** A feature's or channel's HTTP routes. Registered in their own encapsulated context. */
export type RouteModule = (app: FastifyInstance, deps: AppDeps) => void | Promise<void>;

/** Paths that answer while the database is still connecting. */
const ALWAYS_OPEN = new Set(['/healthz', '/readyz', '/metrics']);

export interface BuildAppOptions {
  logger?: boolean | object;
  routes: RouteModule[];
}

/**
 * Builds the Fastify app from its dependencies. Tests call this and use app.inject(); only main.ts listens.
 */
export async function buildApp(deps: AppDeps, opts: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(h) ? h : randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: 2 * 1024 * 1024,
    // Telegram webhooks must answer within 60 s; never keep a request longer than this.
    requestTimeout: 30_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const path = req.url.split('?')[0] ?? '';
    if (!deps.isReady() && !ALWAYS_OPEN.has(path)) {
      throw new AppError('SERVICE_STARTING', 'The service is starting; try again shortly.', 503);
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpDuration.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.warn({ code: err.code }, err.message);
      const body: { error: { code: string; message: string; details?: unknown } } = {
        error: { code: err.code, message: err.message },
      };
      if (err.details !== undefined) body.error.details = err.details;
      return reply.status(err.status).send(body);
    }
    if (err.validation) {
      return reply.status(400).send({ error: { code: 'VALIDATION_ERROR', message: err.message } });
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ code: (err as { code?: string }).code }, 'database unavailable');
      return reply
        .status(503)
        .send({ error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is not reachable right now; try again shortly.' } });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: err.code ?? 'BAD_REQUEST', message: err.message } });
    }
    // A failed query's message lists its parameters (phones, names): scrub keeps them out of the log.
    req.log.error({ err: scrub(err) }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'Something went wrong on our side.' } });
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No route for ${req.method} ${req.url.split('?')[0]}` } });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    // Ready means what the other routes go by (start-up done: migrations, secrets) and a database that answers now.
    const ready = deps.isReady() && (await deps.checkReady());
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', database: deps.database.kind });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  await registerOpenApi(app, deps);
  for (const mod of opts.routes) {
    await app.register(async (scope) => {
      await mod(scope, deps);
    });
  }
  return app;
}

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { scrub, type Deps, type DialogRunner } from '../core/dialog.js';
import { AppError, isDatabaseUnavailable } from '../core/errors.js';
import type { ChannelRegistry } from '../core/channel.js';
import type { Metrics } from './metrics.js';
import type { Role, TokenResolver } from './auth.js';
import { requireRole } from './auth.js';
import { registerOpenApi } from './openapi.js';

const DATABASE_UNAVAILABLE_BODY = {
  error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is not reachable right now; try again shortly.' },
};

/**
 * The handler's outcome, unless the database stops answering first (see DATABASE_STALL_ANSWER_MS): then
 * 503 now, and whatever the handler does later goes nowhere (a Telegram update it still completes is a
 * duplicate when Telegram redelivers it, which the dialog's de-duplication drops).
 */
function boundByDatabase(handled: Promise<unknown>, req: FastifyRequest, reply: FastifyReply, stalledMs: () => number): Promise<unknown> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const watch = setInterval(() => {
      if (Date.now() - started < DATABASE_STALL_ANSWER_MS || stalledMs() < DATABASE_STALL_ANSWER_MS) return;
      clearInterval(watch);
      req.log.warn({ code: 'DATABASE_UNAVAILABLE' }, 'database not answering; answered 503 without waiting for it');
      void reply.code(503).send(DATABASE_UNAVAILABLE_BODY);
      reply.send = () => reply;
      resolve(undefined);
    }, 250);
    watch.unref();
    handled.then(
      (v) => {
        clearInterval(watch);
        resolve(v);
      },
      (err) => {
        clearInterval(watch);
        reject(err as Error); // ignored when the 503 went first
      },
    );
  });
}

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

/**
 * A request unanswered this long while the database has not answered for this long either gets 503 at once
 * rather than waiting for its connection to be given up (statement timeout plus grace) or for a reconnect:
 * a black-holed database answers nothing, not even its timeouts. Telegram redelivers the update.
 */
const DATABASE_STALL_ANSWER_MS = 3_000;

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

  const stalledMs = deps.database.stalledMs;
  if (stalledMs) {
    app.addHook('onRoute', (route) => {
      if (ALWAYS_OPEN.has(route.url)) return;
      const handler = route.handler;
      route.handler = function (this: FastifyInstance, req, reply) {
        const result = handler.call(this, req, reply) as unknown;
        return result instanceof Promise ? boundByDatabase(result, req, reply, stalledMs) : result;
      } as typeof handler;
    });
  }

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
      return reply.status(503).send(DATABASE_UNAVAILABLE_BODY);
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

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { scrub, type Deps } from '../core/dialog.js';
import { AppError, isDatabaseUnavailable } from '../core/errors.js';
import type { ChannelRegistry } from '../core/channel.js';
import type { Metrics } from '../core/metrics.js';
import type { RouteModule as RoutesOf } from '../core/module.js';
import type { Role, TokenResolver } from './auth.js';
import { requireRole } from './auth.js';
import { registerOpenApi } from './openapi.js';
import { hasMetricsToken, registerSecurity } from './security.js';
import { timeFormats } from './time-format.js';

/** A request waiting for its handler: since when, and how to answer it 503 now. */
interface Waiting {
  started: number;
  answer503(): void;
}

const DATABASE_UNAVAILABLE_BODY = {
  error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is not reachable right now; try again shortly.' },
};

/**
 * Requests whose handlers are still running, watched by one timer for the whole app (running only while some are):
 * once the database has stopped answering (DATABASE_STALL_ANSWER_MS) a request waiting that long is answered 503
 * now, and whatever its handler does later goes nowhere (a Telegram update it still completes is a duplicate when
 * Telegram redelivers it, which the dialog's de-duplication drops).
 */
class StallWatch {
  private readonly waiting = new Set<Waiting>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stalledMs: () => number) {}

  /** The handler's outcome, unless the database stops answering first. */
  bound(handled: Promise<unknown>, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const entry: Waiting = {
        started: Date.now(),
        answer503: () => {
          req.log.warn({ code: 'DATABASE_UNAVAILABLE' }, 'database not answering; answered 503 without waiting for it');
          void reply.code(503).send(DATABASE_UNAVAILABLE_BODY);
          reply.send = () => reply;
          resolve(undefined);
        },
      };
      this.add(entry);
      handled.then(
        (v) => {
          this.remove(entry);
          resolve(v);
        },
        (err) => {
          this.remove(entry);
          reject(err as Error); // ignored when the 503 went first
        },
      );
    });
  }

  private add(entry: Waiting): void {
    this.waiting.add(entry);
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), 250);
    this.timer.unref();
  }

  private remove(entry: Waiting): void {
    this.waiting.delete(entry);
    if (this.waiting.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (this.stalledMs() < DATABASE_STALL_ANSWER_MS) return;
    const now = Date.now();
    for (const entry of this.waiting) {
      if (now - entry.started < DATABASE_STALL_ANSWER_MS) continue;
      this.remove(entry);
      entry.answer503();
    }
  }
}

/** What routes get: the shared dependencies plus HTTP-only pieces. Complete before any feature is built. */
export interface AppDeps extends Deps {
  metrics: Metrics;
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
export type RouteModule = RoutesOf<AppDeps>;

/** TRUST_PROXY as Fastify takes it: a hop count becomes "trust the nearest n proxies". */
function trustProxyOption(
  v: boolean | number | string | undefined,
): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof v === 'number') return (_address, hop) => hop < v;
  return v ?? false;
}

/** PostgreSQL's class 22 (data exception): the value, not the service, is wrong. */
function isDataException(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 3 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

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
    trustProxy: trustProxyOption(deps.config.trustProxy),
    // The router's own refusals (a malformed %-escape, a path parameter over its length) in the contract shape.
    frameworkErrors: (err, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      void (reply as FastifyReply)
        .status(status)
        .send({ error: { code: err.code ?? 'BAD_REQUEST', message: err.message } });
    },
    ajv: {
      // Unknown properties are refused (400), never silently dropped: a client's typo or an unexpected
      // field (an owner grant, say) must not pass as a smaller request.
      customOptions: { removeAdditional: false },
      onCreate: timeFormats,
    },
  });

  const stalledMs = deps.database.stalledMs;
  if (stalledMs) {
    const watch = new StallWatch(stalledMs);
    app.addHook('onRoute', (route) => {
      if (ALWAYS_OPEN.has(route.url)) return;
      const handler = route.handler;
      route.handler = function (this: FastifyInstance, req, reply) {
        const result = handler.call(this, req, reply) as unknown;
        return result instanceof Promise ? watch.bound(result, req, reply) : result;
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

  await registerSecurity(app, deps.config);

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
    if (isDataException(err)) {
      // Input the database cannot hold (a value out of range, a bad encoding) that got past validation.
      req.log.warn(
        { code: (err as { code?: string }).code, route: req.routeOptions.url },
        'input refused by the database',
      );
      return reply
        .status(400)
        .send({ error: { code: 'VALIDATION_ERROR', message: 'A value in the request is out of range or malformed.' } });
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
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `No route for ${req.method} ${req.url.split('?')[0]}` } });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    // Ready means what the other routes go by (start-up done: migrations, secrets) and a database that answers now.
    const ready = deps.isReady() && (await deps.checkReady());
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unavailable', database: deps.database.kind });
  });

  // Not public: Prometheus sends METRICS_TOKEN (or the admin token) as a bearer token.
  const admin = deps.requireRole('admin');
  app.get(
    '/metrics',
    { onRequest: async (req, reply) => (hasMetricsToken(req, deps.config) ? undefined : admin(req, reply)) },
    async (_req, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );

  await registerOpenApi(app, deps);
  for (const mod of opts.routes) {
    await app.register(async (scope) => {
      await mod(scope, deps);
    });
  }
  return app;
}

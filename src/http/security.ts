import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import helmet from '@fastify/helmet';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { DEFAULT_RATE_LIMITS, type Config, type RateLimits } from '../config.js';
import { AppError } from '../core/errors.js';
import { sha256 } from './auth.js';

/**
 * The HTTP surface's defences, in one place (issue 12): security headers with a CSP, the Origin check on
 * browser POSTs, rate limits on the anonymous endpoints, and input checks every route gets before its own
 * schema (NUL bytes, nesting, repeated query parameters).
 */

const nonces = new WeakMap<ServerResponse, string>();

/**
 * The CSP nonce of this response: a page's inline <script> must carry it. Only scripts get a nonce; styles
 * stay 'unsafe-inline' because a nonce in style-src would switch off the style="" attributes the pages use.
 */
export function scriptNonce(reply: FastifyReply | ServerResponse): string {
  const res = 'raw' in reply ? reply.raw : reply;
  let nonce = nonces.get(res);
  if (!nonce) {
    nonce = freshNonce();
    nonces.set(res, nonce);
  }
  return nonce;
}

/** Random bytes for nonces, drawn 4 KiB at a time: every response gets a nonce, and one draw each cost ~25 µs. */
let noncePool = Buffer.alloc(0);
let nonceAt = 0;
function freshNonce(): string {
  if (nonceAt + 16 > noncePool.length) {
    noncePool = randomBytes(16 * 256);
    nonceAt = 0;
  }
  nonceAt += 16;
  return noncePool.toString('base64', nonceAt - 16, nonceAt);
}

type Bucket = keyof RateLimits;

/**
 * Which anonymous routes are limited, and by which bucket (limits per minute in config, RATE_LIMIT_*).
 * Keyed by the route as registered. The admin API (bearer tokens) and the platform webhooks (signed; every
 * request comes from the platform's few addresses) are not limited here.
 */
const LIMITED_ROUTES: Record<string, Bucket> = {
  'POST /chat/api/messages': 'chatPerAddress',
  'GET /chat': 'pagesPerAddress',
  'GET /chat/api/inbox': 'pagesPerAddress',
  'POST /chat/api/push': 'chatPerAddress',
  'POST /chat/api/push/delete': 'chatPerAddress',
  'GET /v/*': 'pagesPerAddress',
  'GET /c/:code': 'pagesPerAddress',
  'GET /venues/:id/poster.pdf': 'pagesPerAddress',
  'GET /venues/:id/visits.csv': 'pagesPerAddress',
  'GET /trips/:id/passengers.csv': 'pagesPerAddress',
  'POST /staff/checkins': 'pagesPerAddress',
  'POST /staff/scan/verdict': 'pagesPerAddress',
  'POST /staff/scan/record': 'pagesPerAddress',
  'POST /staff/scan/declare': 'pagesPerAddress',
  'GET /o/:code': 'loginPerAddress',
  'GET /staff/login/:code': 'loginPerAddress',
  'POST /staff/login/:code': 'loginPerAddress',
  'GET /console/login': 'loginPerAddress',
  'POST /console/login': 'loginPerAddress',
};

/** Routes whose requests also count per web chat client id (the body's clientId). */
const PER_CLIENT_ROUTES = new Set(['POST /chat/api/messages', 'POST /chat/api/push', 'POST /chat/api/push/delete']);

const MINUTE = 60_000;
/** Deeper JSON than this is refused before any handler walks it. */
const MAX_NESTING = 32;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function registerSecurity(app: FastifyInstance, config: Config): Promise<void> {
  const https = config.publicUrl.startsWith('https://');
  const publicOrigin = new URL(config.publicUrl).origin;
  const limits = config.rateLimits ?? DEFAULT_RATE_LIMITS;

  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'", (_req, res) => `'nonce-${scriptNonce(res as ServerResponse)}'`],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // the web chat shows the pass as a data: URL
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        // Only behind https: on plain http (a developer's localhost) it would send the page's fetches to https.
        upgradeInsecureRequests: https ? [] : null,
      },
    },
    frameguard: { action: 'deny' },
    hsts: https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    // The pass page sets no-referrer itself; elsewhere links to t.me need no more than the origin.
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });

  await app.register(rateLimit, {
    global: false,
    cache: 50_000,
    // Our own hooks (below) call the limiter and answer in the contract's error shape.
  });
  const limiters = {} as Record<Bucket, ReturnType<FastifyInstance['createRateLimit']>>;
  for (const bucket of Object.keys(limits) as Bucket[]) {
    limiters[bucket] = app.createRateLimit({
      max: limits[bucket],
      timeWindow: MINUTE,
      keyGenerator: (req) =>
        bucket === 'chatPerClient' ? `${bucket}:${clientIdOf(req) ?? '-'}` : `${bucket}:${normalizeIP(req.ip)}`,
    });
  }
  const limitHook = (bucket: Bucket) => async (req: FastifyRequest, reply: FastifyReply) => {
    const r = await limiters[bucket](req);
    if (r.isAllowed || !r.isExceeded) return;
    reply.header('retry-after', String(r.ttlInSeconds));
    req.log.warn({ bucket, route: req.routeOptions.url }, 'rate limit exceeded');
    throw new AppError('RATE_LIMITED', `Too many requests; try again in ${r.ttlInSeconds} s.`, 429);
  };

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const key = `${method} ${route.url}`;
      const bucket = LIMITED_ROUTES[key];
      if (bucket) route.onRequest = [...toArray(route.onRequest), limitHook(bucket)];
      // After validation: the client id is only trusted as a key once it matched its pattern.
      if (PER_CLIENT_ROUTES.has(key)) route.preHandler = [...toArray(route.preHandler), limitHook('chatPerClient')];
    }
  });

  app.addHook('onRequest', async (req) => {
    checkQuery(req);
    if (STATE_CHANGING.has(req.method) && isBrowserRoute(req)) checkOrigin(req, publicOrigin);
  });

  app.addHook('preValidation', async (req) => {
    if (isPlatformWebhook(req)) return;
    checkStrings(req.params, 'path');
    if (req.body !== null && typeof req.body === 'object') checkStrings(req.body, 'body');
  });
}

/** True when `Authorization: Bearer` carries METRICS_TOKEN. */
export function hasMetricsToken(req: FastifyRequest, config: Pick<Config, 'metricsToken'>): boolean {
  if (!config.metricsToken) return false;
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return !!m && timingSafeEqual(sha256(m[1]!), sha256(config.metricsToken));
}

function toArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function clientIdOf(req: FastifyRequest): string | undefined {
  const id = (req.body as { clientId?: unknown } | undefined)?.clientId;
  return typeof id === 'string' ? id : undefined;
}

/** Telegram and Zalo authenticate their calls (secret header, signature) and validate their own payloads. */
function isPlatformWebhook(req: FastifyRequest): boolean {
  return (req.routeOptions.url ?? '').endsWith('/webhook');
}

/**
 * A state-changing request a browser may send with the person's cookies: anything but the bearer-token API
 * (a browser never adds Authorization on its own) and the platform webhooks.
 */
function isBrowserRoute(req: FastifyRequest): boolean {
  const url = req.routeOptions.url;
  if (url === undefined) return false; // no route: the 404 handler answers
  return !url.startsWith('/api/') && !isPlatformWebhook(req);
}

/**
 * Login CSRF and friends: a browser sends Origin on every POST (Fetch standard), so a cross-site form or
 * fetch names another origin and is refused. A request with neither Origin, Referer nor Sec-Fetch-Site is
 * not from a browser (curl, a script, a test); it carries no victim's cookies and is let through.
 */
function checkOrigin(req: FastifyRequest, publicOrigin: string): void {
  const deny = () => {
    throw new AppError('CROSS_SITE_REQUEST', `Requests to this address must come from pages of ${publicOrigin}.`, 403);
  };
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (origin === 'null') {
    // Pages served with Referrer-Policy: no-referrer (the pass page, whose URL is the pass) post with
    // Origin: null; so does a sandboxed frame on any site. Sec-Fetch-Site, which no page can set, tells them apart.
    if (site !== 'same-origin') deny();
    return;
  }
  if (origin !== undefined) {
    if (origin !== publicOrigin) deny();
    return;
  }
  const referer = req.headers.referer;
  if (referer !== undefined) {
    let from: string | undefined;
    try {
      from = new URL(referer).origin;
    } catch {
      from = undefined;
    }
    if (from !== publicOrigin) deny();
    return;
  }
  if (site !== undefined && site !== 'same-origin' && site !== 'none') deny();
}

/**
 * A parameter given twice arrives as an array, which no handler expects: refused unless the route's
 * querystring schema declares it an array.
 */
function checkQuery(req: FastifyRequest): void {
  const query = req.query as Record<string, unknown> | undefined;
  if (!query || typeof query !== 'object') return;
  const declared = (
    req.routeOptions.schema?.querystring as { properties?: Record<string, { type?: unknown }> } | undefined
  )?.properties;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') {
      if (value.includes('\u0000'))
        throw new AppError('VALIDATION_ERROR', `query parameter "${name.slice(0, 40)}" contains a NUL character`);
      continue;
    }
    if (Array.isArray(value)) {
      const type = declared?.[name]?.type;
      const arrayAllowed = type === 'array' || (Array.isArray(type) && type.includes('array'));
      if (!arrayAllowed)
        throw new AppError('VALIDATION_ERROR', `query parameter "${name.slice(0, 40)}" is given more than once`);
      if (value.some((v) => typeof v === 'string' && v.includes('\u0000'))) {
        throw new AppError('VALIDATION_ERROR', `query parameter "${name.slice(0, 40)}" contains a NUL character`);
      }
    }
  }
}

/**
 * PostgreSQL text cannot hold NUL, and no field has a use for it: refused with 400 here rather than failing
 * as a 500 in the database. Walked without recursion, so deep nesting cannot overflow the stack.
 */
function checkStrings(value: unknown, part: string): void {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) throw new AppError('VALIDATION_ERROR', `the ${part} contains a NUL character`);
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_NESTING) throw new AppError('VALIDATION_ERROR', `the ${part} is nested too deeply`);
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) throw new AppError('VALIDATION_ERROR', `the ${part} contains a NUL character`);
        stack.push({ v: child, depth: depth + 1 });
      }
    }
  }
}

import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Config } from './config.js';
import type { ChannelRegistry } from './core/channel.js';
import { presentingSender } from './core/channel-state.js';
import { systemClock, type Clock } from './core/clock.js';
import { DialogRunner, scrub } from './core/dialog.js';
import { AppError } from './core/errors.js';
import { Links } from './core/links.js';
import { createMetrics } from './core/metrics.js';
import type { FeatureModule } from './core/module.js';
import { SecretStore } from './core/secrets.js';
import { openDatabase, type Database } from './db/client.js';
import { migrationsApplied, runMigrations } from './db/migrate.js';
import { channelModules } from './channels/index.js';
import { featureModules as defaultFeatureModules } from './features/index.js';
import { apiTokenResolver } from './features/officials/api-tokens.js';
import { consoleSessionResolver } from './features/console/sessions.js';
import { seedHomeWards } from './features/wards/store.js';
import { buildApp, type AppDeps, type RouteModule } from './http/app.js';
import { bootstrapResolver, requireRoleOrSession, type TokenResolver } from './http/auth.js';
import { OutboxDispatcher } from './outbox/dispatcher.js';
import { SharedSendRate } from './outbox/shared-rate.js';
import { LeaderElection } from './workers/leader.js';
import { WorkerSet } from './workers/worker-set.js';
import { homePageRoutes } from './http/home-page.js';

export interface ServiceOptions {
  /** an already open database (tests); otherwise opened from config */
  database?: Database;
  clock?: Clock;
  logger?: FastifyBaseLogger;
  /** run background workers (default true) */
  workers?: boolean;
  /** skip migrations (tests that migrate themselves) */
  migrate?: boolean;
  /** load the home province's wards after the migrations (default: when migrating; tests on a migrated database) */
  seedWards?: boolean;
  /** replace the feature list (tests of the core with a toy feature), or build it from the dependencies */
  features?: FeatureModule<AppDeps>[] | ((deps: AppDeps) => FeatureModule<AppDeps>[]);
}

export interface Service {
  app: FastifyInstance;
  deps: AppDeps;
  runner: DialogRunner;
  workers: WorkerSet;
  /** delivers what features queued (alerts, announcements, replies that could not go at once) */
  outbox: OutboxDispatcher;
  /** resolves when the database answers, migrations are applied and workers run */
  ready: Promise<void>;
  /** stop workers, close the server and the database */
  stop(): Promise<void>;
}

export function createLogger(config: Pick<Config, 'logLevel'>): FastifyBaseLogger {
  return pino({
    level: config.logLevel,
    // Personal data never reaches logs: these paths are removed wherever they appear.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-telegram-bot-api-secret-token"]',
        'req.headers["x-zevent-signature"]',
        '*.phone',
        '*.fullName',
        '*.idNumber',
        '*.text',
        '*.token',
      ],
      remove: true,
    },
    serializers: {
      // Fastify logs the request URL; pass tokens, login links and signed downloads carry secrets in it.
      req: (req: { method?: string; url?: string; id?: string }) => ({
        method: req.method,
        url: redactUrl(req.url ?? ''),
      }),
    },
  }) as unknown as FastifyBaseLogger;
}

/** Pages whose next path segment is a credential however short: /o/<invite code>, /v/<pass token>. */
const CREDENTIAL_PARENTS = new Set(['o', 'v', 'login']);

/** A URL fit for logs: no query string, and long path segments (tokens, codes) and credentials replaced. */
export function redactUrl(url: string): string {
  const [path] = url.split('?');
  const hadQuery = url.includes('?');
  const segs = (path ?? '').split('/');
  const safe = segs
    .map((seg, i) =>
      seg.length > 16 || (i > 0 && CREDENTIAL_PARENTS.has(segs[i - 1]!) && seg !== '') ? ':redacted' : seg,
    )
    .join('/');
  return hadQuery ? `${safe}?…` : safe;
}

/**
 * The composition root. Infrastructure first — clock, logger, database, secrets, metrics, channel registry,
 * outbox, links, HTTP dependencies — complete before any feature; then the features, each given what it uses;
 * then the dialog runner over them, the channel adapters (which feed the runner and fill the registry the
 * outbox sends through), the app and the workers. Listening is main.ts's job; everything else is here so
 * tests get the real service.
 */
export async function createService(config: Config, opts: ServiceOptions = {}): Promise<Service> {
  const log = opts.logger ?? createLogger(config);
  const database = opts.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const clock = opts.clock ?? systemClock;
  const secrets = new SecretStore();
  const metrics = createMetrics();
  // Several instances may share the database: one leads (polling, periodic jobs), all deliver the outbox.
  const leader = new LeaderElection({ database, log });
  const workers = new WorkerSet(log, clock, leader);
  // Filled by the channel adapters below; the outbox looks senders up at send time.
  const channels: ChannelRegistry = new Map();
  // The outbox is infrastructure: features only enqueue (src/outbox/enqueue.ts) and wake it after commit, so
  // rows committed by a request leave at once rather than at the next poll. On PostgreSQL the wake-up is also a
  // NOTIFY, so an idle instance elsewhere starts a round as well, and every instance takes send slots from the
  // channel's shared rate (src/outbox/shared-rate.ts).
  const outbox = new OutboxDispatcher({
    database,
    channels,
    clock,
    log,
    metrics,
    maxAttempts: config.outboxMaxAttempts,
    leaseMs: config.outboxLeaseSeconds * 1000,
    sendRate:
      database.kind === 'postgres'
        ? (channel, rate) => new SharedSendRate(database.db, channel, rate, clock)
        : undefined,
  });
  workers.add(outbox);
  const wakeups = outboxWakeups(database, outbox, log);
  workers.add(wakeups.worker);
  const links = new Links(config);
  const tokenResolvers: TokenResolver[] = [bootstrapResolver(config.adminToken), apiTokenResolver(database.db, clock)];
  const sessionResolvers = [consoleSessionResolver(database.db, clock)];
  let ready = false;

  const deps: AppDeps = {
    config,
    database,
    clock,
    log,
    secrets: secrets.get,
    links,
    wakeOutbox: wakeups.wake,
    metrics,
    channels,
    tokenResolvers,
    requireRole: (...roles) => requireRoleOrSession(tokenResolvers, sessionResolvers, ...roles),
    isReady: () => ready,
    checkReady: async () => {
      try {
        return await withTimeout(migrationsApplied(database.db), 2000);
      } catch {
        return false;
      }
    },
  };

  const featureModules =
    typeof opts.features === 'function' ? opts.features(deps) : (opts.features ?? defaultFeatureModules(deps));
  const runner = new DialogRunner(
    deps,
    featureModules.flatMap((m) => (m.feature ? [m.feature] : [])),
  );

  // The home page lists the ways in, so it reads the channel configuration (and the bot's name once known).
  const routes: RouteModule[] = [homePageRoutes];
  for (const m of featureModules) {
    if (m.routes) routes.push(m.routes);
    m.workers?.(workers);
  }
  for (const c of channelModules) {
    if (!c.enabled(deps)) continue;
    const created = await c.create(deps, runner, workers);
    // Through the core's presentation: choices numbered (and remembered) where the channel needs it.
    if (created.sender) channels.set(created.sender.name, presentingSender(created.sender, deps));
    if (created.routes) routes.push(created.routes);
  }

  const app = await buildApp(deps, { routes });

  // stop() may come before start-up ends (a signal while the database is down): each step checks it, so
  // start-up ends instead of retrying forever or starting workers on a closing database.
  const abort = new AbortController();
  const unlessStopped = () => {
    if (abort.signal.aborted) throw new AppError('SERVICE_STOPPED', 'the service was stopped before it was ready', 503);
  };
  const readyPromise = (async () => {
    await connectWithRetry(database, log, clock, abort.signal);
    unlessStopped();
    if (opts.migrate !== false) await runMigrations(database, config.databaseUrl);
    unlessStopped();
    if (opts.seedWards ?? opts.migrate !== false) await seedHomeWards(database.db);
    unlessStopped();
    await secrets.load(database.db, config, log);
    unlessStopped();
    ready = true;
    if (opts.workers !== false) {
      await leader.start();
      await workers.start();
    }
  })();
  // Whoever stops without awaiting `ready` must not get an unhandled rejection.
  readyPromise.catch(() => {});

  let stopping: Promise<void> | undefined;
  return {
    app,
    deps,
    runner,
    workers,
    outbox,
    ready: readyPromise,
    stop: () =>
      (stopping ??= (async () => {
        abort.abort();
        await app.close(); // stops accepting, waits for requests in flight
        // Let start-up finish its step in hand (a migration) so workers it starts are stopped below.
        await readyPromise.catch(() => {});
        await workers.stop();
        await leader.stop();
        await database.close();
      })()),
  };
}

/** The channel every instance listens on for "new outbox rows". */
const OUTBOX_CHANNEL = 'khaibao_outbox';

/**
 * wake(): start an outbox round here now, and NOTIFY the other instances (PostgreSQL) so theirs start too; notifies
 * asked for while one is on its way are sent as one more. The worker listens while the workers run.
 */
function outboxWakeups(database: Database, outbox: OutboxDispatcher, log: FastifyBaseLogger) {
  let unlisten: (() => Promise<void>) | undefined;
  let sending = false;
  let again = false;
  const notify = () => {
    if (!database.notify) return;
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    database
      .notify(OUTBOX_CHANNEL)
      .catch((err) => log.warn({ err: scrub(err) }, 'outbox NOTIFY failed; other instances poll'))
      .finally(() => {
        sending = false;
        if (again) {
          again = false;
          notify();
        }
      });
  };
  return {
    wake: () => {
      outbox.wake();
      notify();
    },
    worker: {
      name: 'outbox-wakeups',
      start: async () => {
        if (!database.listen) return;
        try {
          unlisten = await database.listen(OUTBOX_CHANNEL, () => outbox.wake());
        } catch (err) {
          log.warn({ err: scrub(err) }, 'outbox LISTEN failed; rows from other instances wait for the poll');
        }
      },
      stop: async () => {
        await unlisten?.().catch(() => {});
        unlisten = undefined;
      },
    },
  };
}

/** Retries with back-off until the database answers or `signal` aborts (then returns at once). */
async function connectWithRetry(
  database: Database,
  log: FastifyBaseLogger,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  let delay = 250;
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      const probe = database.db.execute(sql`select 1`);
      probe.catch(() => {}); // left behind when aborted; the database closing ends it
      if (!(await untilAborted(probe, signal))) return;
      if (attempt > 1) log.info({ database: database.label }, 'database connected');
      return;
    } catch (err) {
      if (signal.aborted) return;
      log.warn(
        { database: database.label, attempt, err: scrub(err) },
        `database not reachable, retrying in ${delay} ms`,
      );
      await clock.sleep(delay, signal);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/** True when `p` settled first, false when `signal` aborted first; rethrows `p`'s error. */
function untilAborted(p: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

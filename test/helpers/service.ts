import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { ManualClock, type Clock } from '../../src/core/clock.js';
import { createService, type Service } from '../../src/service.js';
import type { FeatureModule } from '../../src/core/module.js';
import type { AppDeps } from '../../src/http/app.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { stampZaloEventsWith } from './fake-zalo.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestService extends Service {
  db: TestDatabase;
  clock: Clock;
  config: Config;
  /** stop the service and drop its database */
  close(): Promise<void>;
}

/** Quiet logger for tests; set TEST_LOG=debug to see everything. */
export function testLogger(): FastifyBaseLogger {
  return pino({ level: process.env.TEST_LOG ?? 'silent' }) as unknown as FastifyBaseLogger;
}

/**
 * The real service on a fresh test database, ready to take app.inject() calls.
 * `env` adds variables on top of a test default (PUBLIC_URL, ADMIN_TOKEN).
 */
export async function startTestService(
  opts: {
    env?: Record<string, string>;
    clock?: Clock;
    workers?: boolean;
    db?: TestDatabase;
    features?: FeatureModule<AppDeps>[] | ((deps: AppDeps) => FeatureModule<AppDeps>[]);
    logger?: FastifyBaseLogger;
  } = {},
): Promise<TestService> {
  const config = loadConfig({
    PUBLIC_URL: 'https://khaibao.test',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DATA_DIR: 'memory://',
    // Every request in a test comes from 127.0.0.1: the anonymous-endpoint limits are tested on their own.
    RATE_LIMIT_CHAT_PER_MINUTE: '1000000',
    RATE_LIMIT_CHAT_CLIENT_PER_MINUTE: '1000000',
    RATE_LIMIT_PAGES_PER_MINUTE: '1000000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
    ...opts.env,
  });
  const db = opts.db ?? (await createTestDatabase());
  const clock = opts.clock ?? new ManualClock();
  if (config.zalo) stampZaloEventsWith(clock);
  const service = await createService(config, {
    database: db,
    clock,
    logger: opts.logger ?? testLogger(),
    workers: opts.workers ?? false,
    migrate: false,
    // As every start does: a fresh install has the home province's wards.
    seedWards: true,
    features: opts.features,
  });
  await service.ready;
  return {
    ...service,
    db,
    clock,
    config,
    close: async () => {
      await service.stop();
      await db.destroy();
    },
  };
}

export const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

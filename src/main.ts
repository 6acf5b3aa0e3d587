import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import v8 from 'node:v8';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, createService, type Service } from './service.js';

/**
 * Between full collections V8 lets the heap grow up to four times what is live; under a steady stream of updates
 * the service's ~50 MB of live objects then sit in a heap of 150–230 MB, and RSS follows (scripts/bench/memory.ts:
 * about 200–300 MiB after 10,000 updates on PostgreSQL). Growing by 30% at a time keeps it near 150 MiB for a few
 * more (short, incremental) collections. It is a heap-sizing rule only: nothing is capped, so a larger working set
 * still fits. An operator's own `--heap-growing-percent` (node flag or NODE_OPTIONS) wins.
 */
const HEAP_GROWING_PERCENT = 30;

/**
 * On PGlite (no DATABASE_URL), PostgreSQL itself is WebAssembly in this process, and a PGlite install is the small
 * one, where memory is the scarcer. Two V8 settings, each unless the operator gave their own:
 * - Liftoff only: V8 first compiles PostgreSQL with its baseline compiler, then recompiles the hot functions with
 *   its optimising one; that second copy costs about 100 MiB of RSS for about 10% more updates per second
 *   (scripts/bench/memory.ts: after 10,000 updates 363 → 334 MiB, peak 459 → 337 MiB, 149 → 133 updates/s). Set
 *   before PGlite compiles.
 * - `--optimize-for-size`: V8 keeps its heap tighter (after 10,000 updates 328–332 → 304–325 MiB, 291–296 MiB
 *   once idle; 147–163 → 135–150 updates per second). With PGlite's 32 MB buffer cache, measured again: 234–241 →
 *   219–228 MiB, 234–241 → 197–200 MiB once idle, 75–76 → 67–71 updates per second.
 */
function preferSmallFootprint(config: Config): void {
  if (config.databaseUrl) return;
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''];
  if (!given.some((a) => /--(no-)?(liftoff|wasm-)/.test(a))) v8.setFlagsFromString('--liftoff-only');
  if (!given.some((a) => a.includes('optimize-for-size'))) v8.setFlagsFromString('--optimize-for-size');
}

/** Shutdown must finish within this, or the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 10_000;

function adminTokenFor(config: Config): { token: string; generated: boolean } {
  if (config.adminToken) return { token: config.adminToken, generated: false };
  const file = path.resolve(config.dataDir, 'admin-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(config.dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

async function main(): Promise<void> {
  if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('heap-growing-percent'))) {
    v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `khaibao: cannot start, the configuration has problems:\n${err.problems.map((p) => `  - ${p}\n`).join('')}`,
      );
      process.exit(1);
    }
    throw err;
  }
  preferSmallFootprint(config);
  const admin = adminTokenFor(config);
  config = { ...config, adminToken: admin.token };
  const log = createLogger(config);
  const started = Date.now();

  // Handlers go in before anything is built: a signal during start-up must also end in a clean stop with
  // exit 0, not in node's default (killed by the signal, exit 143).
  let service: Service | undefined;
  let shuttingDown = false;
  const stopAndExit = (s: Service) =>
    s.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: { message: (err as Error).message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  const shutdown = (signal: string) => {
    if (shuttingDown) return; // Ctrl-C reaches node twice: from the terminal and forwarded by npm
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    if (service) void stopAndExit(service); // else createService is still running: stopped when it returns
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  service = await createService(config, { logger: log });
  if (shuttingDown) return void stopAndExit(service);

  await service.app.listen({ port: config.port, host: config.host });
  try {
    await service.ready;
  } catch (err) {
    if (shuttingDown) return; // a signal came during start-up: shutdown() exits
    throw err;
  }
  log.info({ ms: Date.now() - started, database: service.deps.database.label }, 'ready');

  const lines = [`khaibao is ready on ${config.publicUrl} (database: ${service.deps.database.kind})`];
  if (config.webChat) lines.push(`  web chat:     ${config.publicUrl}/chat`);
  if (config.telegram) lines.push(`  telegram:     ${config.telegram.mode}`);
  if (config.zalo) lines.push(`  zalo webhook: ${config.publicUrl}/zalo/webhook`);
  lines.push(`  health:       ${config.publicUrl}/readyz`);
  if (admin.generated) {
    lines.push(
      `  admin token (shown once, kept in ${path.resolve(config.dataDir, 'admin-token')}):`,
      `    ${admin.token}`,
    );
  } else if (!process.env.ADMIN_TOKEN) {
    lines.push(`  admin token:  in ${path.resolve(config.dataDir, 'admin-token')}`);
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`khaibao: failed to start: ${err.message}\n`);
  process.exit(1);
});

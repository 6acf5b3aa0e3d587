import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecrets, MasterKeyError, rewrapKeys, type Secrets } from '../../src/core/secrets.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { settings } from '../../src/db/schema/index.js';
import { buildIfStale, compiled } from '../helpers/compiled.js';
import { createTestDatabase, testBackend, type TestDatabase } from '../helpers/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const MASTER_A = 'master-key-A-0123456789abcdefghijklmnop';
const MASTER_B = 'master-key-B-0123456789abcdefghijklmnop';
const dirs: string[] = [];
// Compiled once (when stale) before the first process starts, as `prestart` does.
beforeAll(buildIfStale, 300_000);
// Each test opens its own database; a loaded CI machine needs more than the default 30 s for that.
const DB_TEST_MS = 120_000;
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function capturingLogger(): { log: FastifyBaseLogger; lines: () => { level: number; msg: string; raw: string }[] } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink) as unknown as FastifyBaseLogger;
  return { log, lines: () => raw.map((r) => ({ ...(JSON.parse(r) as { level: number; msg: string }), raw: r })) };
}

const keyRows = async (db: Database['db']) =>
  Object.fromEntries((await db.select().from(settings)).map((r) => [r.key, r.value]));
const fingerprint = (s: Secrets) => ({
  pub: s.passPublicKey.export({ format: 'jwk' }),
  data: s.dataKey.toString('hex'),
  vapid: s.vapid,
});

describe('keys in the settings table under KHAIBAO_MASTER_KEY', () => {
  it(
    'dev start keeps them in clear with one warning; a master key wraps them in place; a wrong one stops the start',
    async () => {
      const tdb = await createTestDatabase();
      try {
        const db = tdb.db;
        const dev = capturingLogger();
        const clear = await loadSecrets(db, {}, dev.log);
        expect(
          dev
            .lines()
            .filter((l) => l.level === 40)
            .map((l) => l.msg),
        ).toEqual([expect.stringContaining('KHAIBAO_MASTER_KEY is not set')]);
        expect(typeof (await keyRows(db)).pass_signing_key).toBe('string');

        const a = capturingLogger();
        const wrapped = await loadSecrets(db, { masterKey: MASTER_A }, a.log);
        expect(fingerprint(wrapped)).toEqual(fingerprint(clear));
        const rows = await keyRows(db);
        for (const name of ['pass_signing_key', 'data_key', 'vapid_keys', 'id_lookup_key']) {
          expect(rows[name]).toMatchObject({
            wrapped: 1,
            alg: 'A256GCM',
            kid: expect.stringMatching(/^[0-9a-f]{16}$/),
          });
        }
        const stored = JSON.stringify(rows);
        expect(stored).not.toContain('PRIVATE KEY');
        expect(stored).not.toContain(clear.dataKey.toString('base64'));
        expect(stored).not.toContain(clear.vapid.privateKey);
        // Nothing secret in the logs: not the master key, not the keys.
        const logged =
          a
            .lines()
            .map((l) => l.raw)
            .join('\n') +
          dev
            .lines()
            .map((l) => l.raw)
            .join('\n');
        for (const secret of [MASTER_A, clear.dataKey.toString('base64'), clear.vapid.privateKey, 'PRIVATE KEY'])
          expect(logged).not.toContain(secret);
        expect(a.lines().filter((l) => l.level >= 40)).toEqual([]);

        // The next start with the same master key reads the same keys.
        expect(fingerprint(await loadSecrets(db, { masterKey: MASTER_A }))).toEqual(fingerprint(clear));

        const wrong = loadSecrets(db, { masterKey: MASTER_B });
        await expect(wrong).rejects.toBeInstanceOf(MasterKeyError);
        await expect(wrong).rejects.toThrow(
          /^KHAIBAO_MASTER_KEY does not unwrap the pass_signing_key .*npm run keys:rewrap$/,
        );
        await expect(loadSecrets(db, {})).rejects.toThrow(/wrapped .* but KHAIBAO_MASTER_KEY is not set$/);
        // A wrapped value copied onto the other row does not unwrap there.
        await db
          .update(settings)
          .set({ value: rows.pass_signing_key as object })
          .where(eq(settings.key, 'data_key'));
        await expect(loadSecrets(db, { masterKey: MASTER_A })).rejects.toBeInstanceOf(MasterKeyError);
      } finally {
        await tdb.destroy();
      }
    },
    DB_TEST_MS,
  );

  it(
    'a fresh database gets its keys wrapped from the first start',
    async () => {
      const tdb = await createTestDatabase();
      try {
        const first = await loadSecrets(tdb.db, { masterKey: MASTER_A });
        expect(JSON.stringify(await keyRows(tdb.db))).not.toContain('PRIVATE KEY');
        expect(fingerprint(await loadSecrets(tdb.db, { masterKey: MASTER_A }))).toEqual(fingerprint(first));
      } finally {
        await tdb.destroy();
      }
    },
    DB_TEST_MS,
  );

  it(
    'rewrapKeys moves every key from the old master key to the new one in a transaction; twice is harmless',
    async () => {
      const tdb = await createTestDatabase();
      try {
        const db = tdb.db;
        const before = await loadSecrets(db, { masterKey: MASTER_A });
        // Without the old key nothing changes.
        await expect(db.transaction((tx) => rewrapKeys(tx, undefined, MASTER_B))).rejects.toThrow(
          /KHAIBAO_MASTER_KEY_OLD/,
        );
        await expect(
          db.transaction((tx) => rewrapKeys(tx, 'not-the-old-key-0123456789abcdefghij', MASTER_B)),
        ).rejects.toThrow(/^KHAIBAO_MASTER_KEY_OLD does not unwrap/);
        expect(fingerprint(await loadSecrets(db, { masterKey: MASTER_A }))).toEqual(fingerprint(before));

        expect(await db.transaction((tx) => rewrapKeys(tx, MASTER_A, MASTER_B))).toEqual({
          rewrapped: expect.arrayContaining(['pass_signing_key', 'data_key', 'vapid_keys', 'id_lookup_key']),
          unchanged: [],
        });
        expect(fingerprint(await loadSecrets(db, { masterKey: MASTER_B }))).toEqual(fingerprint(before));
        await expect(loadSecrets(db, { masterKey: MASTER_A })).rejects.toBeInstanceOf(MasterKeyError);
        expect((await db.transaction((tx) => rewrapKeys(tx, MASTER_A, MASTER_B))).unchanged).toHaveLength(4);
      } finally {
        await tdb.destroy();
      }
    },
    DB_TEST_MS,
  );

  it('npm run keys:rewrap re-wraps a database from clear, and the server refuses a wrong master key in one line', async () => {
    // A database another process can open: PostgreSQL when the suite runs on it, else PGlite in a directory.
    let tdb: TestDatabase | undefined;
    let dataDir = '';
    let open: () => Promise<Database>;
    if (testBackend === 'postgres') {
      tdb = await createTestDatabase();
      open = () => openDatabase({ databaseUrl: tdb!.url, maxConnections: 1 });
      await tdb.close();
    } else {
      dataDir = mkdtempSync(path.join(tmpdir(), 'khaibao-keys-'));
      dirs.push(dataDir);
      open = () => openDatabase({ dataDir });
    }
    const dbEnv = tdb ? { DATABASE_URL: tdb.url! } : { DATA_DIR: dataDir };
    let database = await open();
    await runMigrations(database, tdb?.url);
    const clear = fingerprint(await loadSecrets(database.db, {}));
    await database.close();

    const run = (script: string, env: Record<string, string>) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [compiled(script)], {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...dbEnv, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });

    const rewrap = await run('scripts/keys-rewrap.ts', { KHAIBAO_MASTER_KEY: MASTER_A });
    expect(rewrap.stderr).toBe('');
    expect(rewrap.code).toBe(0);
    expect(rewrap.stdout).toMatch(
      /^keys re-wrapped with master key id [0-9a-f]{16} .*: (pass_signing_key|data_key|vapid_keys|id_lookup_key)(, (pass_signing_key|data_key|vapid_keys|id_lookup_key)){3}\n$/,
    );
    expect(rewrap.stdout).not.toContain(MASTER_A);

    const refused = await run('scripts/keys-rewrap.ts', {
      KHAIBAO_MASTER_KEY: MASTER_B,
      KHAIBAO_MASTER_KEY_OLD: 'wrong-old-master-key-0123456789abcdef',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^keys:rewrap: KHAIBAO_MASTER_KEY_OLD does not unwrap [^\n]*\n$/);

    const start = await run('src/main.ts', {
      KHAIBAO_MASTER_KEY: MASTER_B,
      PORT: String(33000 + Math.floor(Math.random() * 2000)),
      ADMIN_TOKEN: 'admin-token-0123456789',
    });
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(/^khaibao: failed to start: KHAIBAO_MASTER_KEY does not unwrap [^\n]*\n$/);
    expect(start.stderr + start.stdout).not.toContain(MASTER_B);

    database = await open();
    try {
      expect(fingerprint(await loadSecrets(database.db, { masterKey: MASTER_A }))).toEqual(clear);
    } finally {
      await database.close();
      if (tdb) await tdb.destroy();
    }
  }, 300_000);
});

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { queryRows } from '../../src/db/client.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { deliveriesByChat, expectCountsAddUp, persistentDatabase, runUntil, untilDone } from './e2e-helpers.js';
import { seedAccounts } from './fixtures.js';

/**
 * Issue 7: "the process stopped mid-broadcast and restarted finishes without duplicates". A service sends through
 * the real Telegram adapter to the fake Bot API and is stopped halfway, either gracefully (service.stop()) or with
 * its dispatcher dying on its claimed rows (stop({release: false}): the rows stay leased, as after a crash); a new
 * service on the same database — a new connection, like a new process — finishes the broadcast.
 */
const SECRET = 'restart-e2e_secret_0123';
const N = 150;
const RATE = 150;

let tg: FakeTelegram;
beforeAll(async () => {
  tg = await startFakeTelegram();
});
afterAll(() => tg?.close());

const env = () => ({
  TELEGRAM_BOT_TOKEN: tg.token,
  TELEGRAM_WEBHOOK_SECRET: SECRET,
  TELEGRAM_API_ROOT: tg.apiRoot,
  TELEGRAM_RATE_PER_SECOND: String(RATE),
});

describe.each([
  { how: 'service.stop()', kill: false },
  { how: 'a dispatcher killed holding its lease', kill: true },
])('a broadcast interrupted by $how', ({ kill }) => {
  it('finishes after a restart on the same database: every reachable chat gets exactly one message', async () => {
    tg.reset();
    const store = await persistentDatabase();
    const clock = new ManualClock('2021-08-12T09:00:00+07:00');
    let a: TestService | undefined;
    let b: TestService | undefined;
    try {
      a = await startTestService({ db: await store.open(), env: env(), clock, workers: true });
      const prefix = kill ? '55' : '44';
      await seedAccounts(a.db.db, { n: N, prefix });
      const chats = [...Array(N).keys()].map((g) => `${prefix}${g}`);
      const blocked = chats.filter((_, g) => g % 40 === 9);
      for (const c of blocked) tg.blocked.add(c);
      const marker = kill ? 'Lịch tiêm bổ sung' : 'Lịch phát gạo';
      const res = await a.app.inject({
        method: 'POST',
        url: '/api/v1/broadcasts',
        headers: adminHeaders,
        payload: { text: `${marker} cho khu vực Ninh Kiều.`, audience: { all: true } },
      });
      expect(res.statusCode).toBe(201);
      const { id } = res.json() as { id: string };

      // The clock moves in small steps (the dispatcher paces itself on it), far from any lease or retry.
      await runUntil(clock, () => deliveriesByChat(tg, marker).size >= N / 3, { stepMs: 20, everyMs: 2 });
      if (kill) await a.outbox.stop({ release: false });
      await a.stop();
      const beforeRestart = deliveriesByChat(tg, marker).size;
      expect(beforeRestart).toBeLessThan(N - blocked.length);

      const store2 = await store.open();
      const leased = await queryRows<{ n: string }>(
        store2.db,
        sql`select count(*) as n from outbox where ref_id = ${id} and status = 'sending'`,
      );
      // Graceful: the claimed rows went back at once. Killed: they wait for their lease to run out.
      if (kill) expect(Number(leased[0]!.n)).toBeGreaterThan(0);
      else expect(Number(leased[0]!.n)).toBe(0);

      b = await startTestService({ db: store2, env: env(), clock, workers: true });
      // The lease is 60 s on the clock: move it along so the killed worker's rows come back.
      const done = await untilDone(b.app, clock, id, { stepMs: 5000, everyMs: 20, timeoutMs: 40_000 });

      const got = deliveriesByChat(tg, marker);
      const reachable = chats.filter((c) => !tg.blocked.has(c));
      expect(reachable.filter((c) => got.get(c)?.length !== 1)).toEqual([]);
      expect(blocked.filter((c) => got.has(c))).toEqual([]);
      expect(done).toMatchObject({
        status: 'done',
        total: N,
        sent: reachable.length,
        unreachable: blocked.length,
        failed: 0,
        pending: 0,
      });
      expectCountsAddUp(done);
      expect(got.size).toBeGreaterThan(beforeRestart);
    } finally {
      await a?.stop();
      await b?.stop();
      await store.destroy();
    }
  }, 120_000);
});

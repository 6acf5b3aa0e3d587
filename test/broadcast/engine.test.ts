import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { broadcasts, outbox } from '../../src/db/schema/index.js';
import { queueDueBroadcasts, trackBroadcasts } from '../../src/features/broadcast/index.js';
import { broadcastCounts } from '../../src/features/broadcast/counts.js';
import { createBroadcast } from '../../src/features/broadcast/create.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { broadcastRows, RecordingSender, seedAccounts, seedWards } from './fixtures.js';

let svc: TestService;
let clock: ManualClock;
/** reachable consenting accounts per ward, and the rest of the population */
const ids = {} as Record<'anHoa' | 'xuanKhanh' | 'noWard' | 'unreachable' | 'noConsent', string[]>;

beforeAll(async () => {
  svc = await startTestService();
  clock = svc.clock as ManualClock;
  // The residents are on Telegram and Zalo: their channels (at the port) declare the text limits.
  for (const name of ['telegram', 'zalo']) svc.deps.channels.set(name, new RecordingSender(name));
  const db = svc.db.db;
  await seedWards(db);
  ids.anHoa = await seedAccounts(db, { n: 700, prefix: 'ah', wardCode: '31120' });
  ids.xuanKhanh = await seedAccounts(db, { n: 500, prefix: 'xk', wardCode: '31144', channel: 'zalo' });
  ids.noWard = await seedAccounts(db, { n: 300, prefix: 'nw', locale: 'en' });
  ids.unreachable = await seedAccounts(db, { n: 40, prefix: 'ur', wardCode: '31120', unreachable: true });
  ids.noConsent = await seedAccounts(db, { n: 60, prefix: 'nc', wardCode: '31120', consented: false });
  // A family member in another ward must not pull the account into that ward's audience.
  await db.execute(sql`insert into persons (owner_account_id, is_self, full_name, birth_year, gender, ward_code)
    values (${ids.noWard[0]!}, false, 'Trần Thị B', 2015, 'female', '31144')`);
});
afterAll(() => svc.close());

const post = (payload: Record<string, unknown>) =>
  svc.app.inject({ method: 'POST', url: '/api/v1/broadcasts', headers: adminHeaders, payload });
const status = async (id: string) =>
  (await svc.app.inject({ url: `/api/v1/broadcasts/${id}`, headers: adminHeaders })).json();
const deps = () => svc.deps;

describe('broadcast queuing', () => {
  it('queues exactly one row per consenting account; unreachable ones are counted, not queued for sending', async () => {
    const res = await post({
      text: 'Từ 0 giờ ngày 2/8, toàn thành phố giãn cách theo Chỉ thị 16.',
      audience: { all: true },
    });
    expect(res.statusCode).toBe(201);
    const { id } = res.json() as { id: string };
    expect(await queueDueBroadcasts(deps(), { chunk: 256 })).toEqual([id]);
    const rows = await broadcastRows(svc.db.db, id);
    const expected = [...ids.anHoa, ...ids.xuanKhanh, ...ids.noWard, ...ids.unreachable];
    expect(rows).toHaveLength(expected.length);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.accountId))).toEqual(new Set(expected));
    const unreachable = new Set(ids.unreachable);
    expect(rows.filter((r) => r.status === 'unreachable').every((r) => unreachable.has(r.accountId))).toBe(true);
    expect(rows.filter((r) => r.status === 'unreachable')).toHaveLength(40);

    const s = await status(id);
    expect(s).toMatchObject({ status: 'sending', total: 1540, pending: 1500, unreachable: 40, sent: 0 });

    // Residents see the announcement in their language, channel taken from the account.
    const en = await svc.db.db.query.outbox.findFirst({
      where: and(eq(outbox.refId, id), eq(outbox.accountId, ids.noWard[0]!)),
    });
    expect((en!.payload as { text: string }[])[0]!.text).toMatch(/^📢 ANNOUNCEMENT\n\nTừ 0 giờ/);
    const zalo = await svc.db.db.query.outbox.findFirst({
      where: and(eq(outbox.refId, id), eq(outbox.accountId, ids.xuanKhanh[0]!)),
    });
    expect(zalo!.channel).toBe('zalo');
    expect(zalo!.dedupeKey).toBe(`broadcast:${id}:${ids.xuanKhanh[0]}`);

    // Re-running the job (as after a crash) adds nothing.
    await svc.db.db.update(broadcasts).set({ status: 'queuing' }).where(eq(broadcasts.id, id));
    await queueDueBroadcasts(deps(), { chunk: 100 });
    expect(await broadcastRows(svc.db.db, id)).toHaveLength(1540);
  });

  it('a crash after some chunks: the rerun fills in exactly the missing accounts', async () => {
    const b = await createBroadcast(
      svc.db.db,
      { text: 'Lịch tiêm vắc xin tuần này', audience: { all: true }, actor: 'test' },
      clock.now(),
    );
    // The first run "dies" after two chunks: simulate by deleting what later chunks would have added.
    await queueDueBroadcasts(deps(), { chunk: 300 });
    const all = await broadcastRows(svc.db.db, b.id);
    const keep = all
      .map((r) => r.accountId)
      .sort()
      .slice(0, 600);
    await svc.db.db.execute(
      sql`delete from outbox where ref_id = ${b.id} and not (account_id::text = any(${`{${keep.join(',')}}`}::text[]))`,
    );
    await svc.db.db.update(broadcasts).set({ status: 'queuing', total: null }).where(eq(broadcasts.id, b.id));
    expect(await broadcastRows(svc.db.db, b.id)).toHaveLength(600);

    await Promise.all([queueDueBroadcasts(deps(), { chunk: 250 }), queueDueBroadcasts(deps(), { chunk: 400 })]);
    const rows = await broadcastRows(svc.db.db, b.id);
    expect(rows).toHaveLength(1540);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect((await status(b.id)).total).toBe(1540);
  });

  it('ward targeting goes by the account holder’s own ward', async () => {
    const res = await post({ text: 'Phong tỏa tạm thời khu vực chợ An Hòa.', audience: { wardCodes: ['31120'] } });
    const { id } = res.json() as { id: string };
    await queueDueBroadcasts(deps());
    const rows = await broadcastRows(svc.db.db, id);
    expect(new Set(rows.map((r) => r.accountId))).toEqual(new Set([...ids.anHoa, ...ids.unreachable]));

    const two = (await post({ text: 'Hai phường', audience: { wardCodes: ['31120', '31144'] } })).json() as {
      id: string;
    };
    await queueDueBroadcasts(deps());
    // the family member in 31120 does not bring noWard[0] in
    expect((await broadcastRows(svc.db.db, two.id)).map((r) => r.accountId)).not.toContain(ids.noWard[0]);
    expect(await broadcastRows(svc.db.db, two.id)).toHaveLength(1240);

    const bad = await post({ text: 'x', audience: { wardCodes: ['99999'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('UNKNOWN_WARD');
    expect((await post({ text: 'x', audience: {} })).statusCode).toBe(400);
    expect((await post({ text: 'x', audience: { all: true, wardCodes: ['31120'] } })).statusCode).toBe(400);
    expect((await post({ text: '', audience: { all: true } })).statusCode).toBe(400);
  });

  it('checks the length against each channel that has recipients', async () => {
    const long = 'a'.repeat(2100);
    // An Hòa is all Telegram: 2,100 characters fit.
    expect((await post({ text: long, audience: { wardCodes: ['31120'] } })).statusCode).toBe(201);
    // Xuân Khánh is on Zalo (2,000).
    const res = await post({ text: long, audience: { wardCodes: ['31144'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BROADCAST_TOO_LONG');
    await svc.db.db.update(broadcasts).set({ status: 'cancelled' }).where(eq(broadcasts.status, 'queuing'));
  });

  it('a scheduled broadcast starts on time, not before', async () => {
    const at = new Date(clock.now().getTime() + 2 * 3_600_000);
    const res = await post({
      text: 'Nhắc lịch xét nghiệm',
      audience: { wardCodes: ['31144'] },
      scheduledAt: at.toISOString(),
    });
    const { id } = res.json() as { id: string };
    expect((await status(id)).status).toBe('scheduled');
    clock.advanceMinutes(119);
    expect(await queueDueBroadcasts(deps())).toEqual([]);
    expect(await broadcastRows(svc.db.db, id)).toHaveLength(0);
    clock.advanceMinutes(1);
    expect(await queueDueBroadcasts(deps())).toEqual([id]);
    expect(await broadcastRows(svc.db.db, id)).toHaveLength(500);
  });

  it('cancel: pending rows become cancelled, the rest stay; counts add up from outbox statuses', async () => {
    const { id } = (await post({ text: 'Sẽ bị hủy', audience: { all: true } })).json() as { id: string };
    await queueDueBroadcasts(deps());
    // Pretend the dispatcher got through some rows with every kind of outcome.
    const rows = await svc.db.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.refId, id), eq(outbox.status, 'pending')))
      .limit(100);
    const set = async (from: number, to: number, st: string) => {
      for (const r of rows.slice(from, to))
        await svc.db.db.update(outbox).set({ status: st }).where(eq(outbox.id, r.id));
    };
    await set(0, 50, 'sent');
    await set(50, 55, 'failed');
    await set(55, 57, 'dead');
    await set(57, 60, 'unreachable');
    await set(60, 61, 'undeliverable');
    await set(61, 63, 'sending');
    const res = await svc.app.inject({ method: 'POST', url: `/api/v1/broadcasts/${id}/cancel`, headers: adminHeaders });
    expect(res.statusCode).toBe(200);
    expect(res.json().cancelledRows).toBe(1500 - 63);
    const s = await status(id);
    expect(s).toMatchObject({
      status: 'cancelled',
      total: 1540,
      sent: 50,
      failed: 7,
      unreachable: 43,
      undeliverable: 1,
      pending: 2,
      cancelled: 1437,
    });
    expect(s.sent + s.failed + s.unreachable + s.undeliverable + s.pending + s.cancelled).toBe(s.total);
    // Queuing again does nothing for a cancelled broadcast; cancelling twice is a 409.
    await queueDueBroadcasts(deps());
    expect((await broadcastCounts(svc.db.db, id)).total).toBe(1540);
    expect(
      (await svc.app.inject({ method: 'POST', url: `/api/v1/broadcasts/${id}/cancel`, headers: adminHeaders }))
        .statusCode,
    ).toBe(409);
  });

  it('GET of an unknown broadcast is a 404', async () => {
    const res = await svc.app.inject({
      url: '/api/v1/broadcasts/00000000-0000-4000-8000-000000000000',
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(404);
  });
});

describe('progress and the final report', () => {
  it('one progress message is sent, then edited in place; done when every row is handled', async () => {
    const sender = new RecordingSender('telegram');
    svc.deps.channels.set('telegram', sender);
    const [official] = await seedAccounts(svc.db.db, { n: 1, prefix: 'official', consented: false });
    const b = await createBroadcast(
      svc.db.db,
      {
        text: 'Thông báo thử',
        audience: { wardCodes: ['31144'] },
        actor: `account:${official}`,
        progressAccountId: official,
      },
      clock.now(),
    );
    await queueDueBroadcasts(deps());
    const pending = await svc.db.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.refId, b.id), eq(outbox.status, 'pending')));
    expect(pending).toHaveLength(500);

    await trackBroadcasts(deps());
    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0]!.to).toBe('official0');
    expect(sender.sent[0]!.messages[0]!.text).toBe('Đã gửi 0/500 · 0% · đang ước tính thời gian');

    // One account blocks the bot during the broadcast; the others receive it.
    const blocker = ids.xuanKhanh[0]!;
    const sendSome = (n: number) =>
      svc.db.db.execute(
        sql`update outbox set status = 'sent' where id in (select id from outbox where ref_id = ${b.id} and status = 'pending' and account_id <> ${blocker} limit ${n})`,
      );
    // 125 sent in 5 minutes: 375 left at that rate is 15 minutes.
    clock.advanceMinutes(5);
    await sendSome(125);
    await trackBroadcasts(deps());
    expect(sender.sent).toHaveLength(1);
    expect(sender.edits.map((e) => e.message.text)).toEqual(['Đã gửi 125/500 · 25% · còn khoảng 15 phút']);
    expect(sender.edits[0]!.ref).toBe('101');

    // Within the edit interval nothing is edited again.
    await sendSome(5);
    clock.advance(1000);
    await trackBroadcasts(deps());
    expect(sender.edits).toHaveLength(1);

    clock.advanceMinutes(1);
    await svc.db.db.execute(
      sql`update outbox set status = 'sent' where ref_id = ${b.id} and status = 'pending' and account_id <> ${blocker}`,
    );
    await svc.db.db.execute(
      sql`update outbox set status = 'unreachable' where ref_id = ${b.id} and status = 'pending'`,
    );
    const { finished } = await trackBroadcasts(deps());
    expect(finished).toEqual([b.id]);
    expect(sender.edits.at(-1)!.message.text).toBe('Đã gửi 500/500 · 100%');
    const report = await svc.db.db.query.outbox.findFirst({ where: eq(outbox.dedupeKey, `broadcast-report:${b.id}`) });
    expect((report!.payload as { text: string }[])[0]!.text).toBe(
      'Thông báo đã gửi xong: 499 người đã nhận, 0 lỗi, 1 không liên lạc được, 0 đã hủy (tổng 500).',
    );
    expect((await status(b.id)).status).toBe('done');
    // Retention deletes finished outbox rows; the report stays.
    await svc.db.db.delete(outbox).where(eq(outbox.refId, b.id));
    expect(await status(b.id)).toMatchObject({ status: 'done', total: 500, sent: 499, unreachable: 1, pending: 0 });
    // Nothing more happens on later ticks.
    const edits = sender.edits.length;
    clock.advanceMinutes(1);
    expect((await trackBroadcasts(deps())).finished).toEqual([]);
    expect(sender.edits).toHaveLength(edits);
  });

  it('on a channel that cannot edit in place, the official gets the first message and the report, no stream', async () => {
    const zalo = new RecordingSender('zalo');
    svc.deps.channels.set('zalo', zalo);
    const [official] = await seedAccounts(svc.db.db, { n: 1, prefix: 'zofficial', channel: 'zalo', consented: false });
    const b = await createBroadcast(
      svc.db.db,
      {
        text: 'Thông báo qua Zalo',
        audience: { wardCodes: ['31120'] },
        actor: `account:${official}`,
        progressAccountId: official,
      },
      clock.now(),
    );
    await queueDueBroadcasts(deps());
    await trackBroadcasts(deps());
    await svc.db.db.execute(
      sql`update outbox set status = 'sent' where id in (select id from outbox where ref_id = ${b.id} and status = 'pending' limit 100)`,
    );
    clock.advanceMinutes(1);
    await trackBroadcasts(deps());
    await svc.db.db.execute(sql`update outbox set status = 'sent' where ref_id = ${b.id} and status = 'pending'`);
    clock.advanceMinutes(1);
    expect((await trackBroadcasts(deps())).finished).toEqual([b.id]);
    expect(zalo.sent).toHaveLength(1);
    expect(zalo.edits).toHaveLength(0);
  });
});

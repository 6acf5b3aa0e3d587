import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError, type ChannelSender, type SendReceipt } from '../../src/core/channel.js';
import { TELEGRAM_CAPABILITIES } from '../../src/channels/telegram/sender.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { Outbound } from '../../src/core/messages.js';
import { queryRows } from '../../src/db/client.js';
import { outbox } from '../../src/db/schema/index.js';
import { OutboxDispatcher } from '../../src/outbox/dispatcher.js';
import { createBroadcast } from '../../src/features/broadcast/create.js';
import { queueDueBroadcasts, trackBroadcasts } from '../../src/features/broadcast/index.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { withClock } from '../helpers/wait.js';
import { RecordingSender, seedAccounts, seedWards } from './fixtures.js';

/**
 * A Telegram-like sender at the port: every 40th chat has blocked the bot (403 → unreachable), every 33rd is
 * answered 429 once (retry_after 1 s), the rest succeed. Counts per chat what was delivered.
 */
class FlakySender implements ChannelSender {
  readonly name = 'telegram' as const;
  readonly label = 'Telegram';
  readonly capabilities = TELEGRAM_CAPABILITIES;
  readonly ratePerSecond = 5000;
  delivered = new Map<string, number>();
  limited = new Set<string>();
  /** the official's progress message: sent once, then edited */
  progress = new RecordingSender('telegram');
  async send(to: string, m: Outbound[]): Promise<SendReceipt> {
    if (to.startsWith('official')) return this.progress.send(to, m);
    const i = Number(to.replace(/\D/g, ''));
    if (i % 40 === 7) throw new DeliveryError('unreachable', '403: Forbidden: bot was blocked by the user');
    if (i % 33 === 5 && !this.limited.has(to)) {
      this.limited.add(to);
      throw new DeliveryError('retry', '429: Too Many Requests: retry after 1', 1000);
    }
    this.delivered.set(to, (this.delivered.get(to) ?? 0) + 1);
    return { messageRef: '1' };
  }
  async edit(to: string, ref: string, m: Outbound): Promise<SendReceipt> {
    return this.progress.edit(to, ref, m);
  }
}

let svc: TestService;
let clock: ManualClock;
beforeAll(async () => {
  svc = await startTestService();
  clock = svc.clock as ManualClock;
  await seedWards(svc.db.db);
});
afterAll(() => svc.close());

const dispatcher = (id: string) =>
  new OutboxDispatcher({
    database: svc.db,
    channels: svc.deps.channels,
    clock,
    log: svc.deps.log,
    maxAttempts: 5,
    perChatIntervalMs: 0,
    batchSize: 200,
    id,
  });

describe('a broadcast delivered through the outbox', () => {
  it('2,000 accounts with 403s and 429s and a worker dying mid-way: everyone reachable gets exactly one message', async () => {
    const tg = new FlakySender();
    const web = tg.progress;
    svc.deps.channels.set('telegram', tg);
    await seedAccounts(svc.db.db, { n: 2000, prefix: 'u', wardCode: '31120' });
    await seedAccounts(svc.db.db, { n: 30, prefix: 'gone', wardCode: '31120', unreachable: true });
    const [official] = await seedAccounts(svc.db.db, { n: 1, prefix: 'official', consented: false });
    const b = await createBroadcast(
      svc.db.db,
      {
        text: 'Thông báo giãn cách',
        audience: { all: true },
        actor: `account:${official}`,
        progressAccountId: official,
      },
      clock.now(),
    );
    await queueDueBroadcasts(svc.deps);
    await trackBroadcasts(svc.deps);
    expect(web.sent).toHaveLength(1);

    // The dispatcher paces its sends (the sender's rate) on the clock: each round runs while the clock moves.
    const a = dispatcher('a');
    await withClock(a.runOnce(), clock);
    await withClock(a.runOnce(), clock);
    // Worker "b" claims a batch and dies before sending anything: its rows stay leased for 60 s.
    const leased = await queryRows<{ id: string }>(
      svc.db.db,
      sql`update outbox set status = 'sending', attempts = attempts + 1, lease_until = ${new Date(clock.now().getTime() + 60_000).toISOString()}::timestamptz,
            next_attempt_at = ${new Date(clock.now().getTime() + 60_000).toISOString()}::timestamptz
          where id in (select id from outbox where ref_id = ${b.id} and status = 'pending' limit 150) returning id`,
    );
    expect(leased).toHaveLength(150);
    clock.advance(3000);
    await trackBroadcasts(svc.deps);

    const c = dispatcher('c');
    for (let round = 0; round < 200; round++) {
      const n = await withClock(c.runOnce(), clock);
      if (n === 0) {
        const [{ left }] = (await queryRows<{ left: string }>(
          svc.db.db,
          sql`select count(*) as left from outbox where ref_id = ${b.id} and status in ('pending', 'sending')`,
        )) as [{ left: string }];
        if (Number(left) === 0) break;
        clock.advance(5000);
        await trackBroadcasts(svc.deps);
      }
    }
    await trackBroadcasts(svc.deps);

    const blocked = [...Array(2000).keys()].filter((i) => i % 40 === 7);
    const reachable = [...Array(2000).keys()].filter((i) => i % 40 !== 7).map((i) => `u${i}`);
    expect(tg.delivered.size).toBe(reachable.length);
    expect([...tg.delivered.values()].every((n) => n === 1)).toBe(true);
    expect(reachable.every((r) => tg.delivered.has(r))).toBe(true);

    const s = (await svc.app.inject({ url: `/api/v1/broadcasts/${b.id}`, headers: adminHeaders })).json();
    expect(s).toMatchObject({
      status: 'done',
      total: 2030,
      sent: reachable.length,
      unreachable: blocked.length + 30,
      failed: 0,
      pending: 0,
    });
    expect(s.sent + s.failed + s.unreachable + s.undeliverable + s.cancelled + s.pending).toBe(s.total);
    // The progress message was sent once and edited in place, ending at 100 %.
    expect(web.sent.map((m) => m.messages[0]!.text)).toEqual(['Đã gửi 30/2.030 · 1% · đang ước tính thời gian']);
    expect(web.edits.length).toBeGreaterThanOrEqual(2);
    expect(web.edits.at(-1)!.message.text).toBe('Đã gửi 2.030/2.030 · 100%');
    const report = await svc.db.db.query.outbox.findFirst({
      where: and(eq(outbox.kind, 'broadcast_report'), eq(outbox.refId, b.id)),
    });
    expect((report!.payload as { text: string }[])[0]!.text).toBe(
      `Thông báo đã gửi xong: 1.950 người đã nhận, 0 lỗi, ${blocked.length + 30} không liên lạc được, 0 đã hủy (tổng 2.030).`,
    );
  });
});

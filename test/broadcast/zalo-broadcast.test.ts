import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts } from '../../src/db/schema/index.js';
import { seedPerson, seedVenue, seedVisit } from '../exposure/fixtures.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';
import { eventually, FakeZalo, postZaloEvent, zaloEvents } from '../helpers/fake-zalo.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import {
  commsOfficial,
  deliveriesByChat,
  draftToEveryone,
  expectCountsAddUp,
  latestBroadcastId,
  runUntil,
  untilDone,
} from './e2e-helpers.js';

/**
 * Issue 8 with issue 7: a Zalo resident inside the interaction window gets an exposure alert and a broadcast
 * through the real Zalo adapter and the fake OA API; one outside the window (no template configured) is counted
 * undeliverable, and the Telegram official who sent the broadcast is told so. The same broadcast, typed with
 * Telegram formatting, reaches Telegram as HTML and Zalo and the web chat as plain text.
 */
const SECRET = 'zalo-broadcast_secret_0123';
const Z_IN = '7100000000000000001';
const Z_OUT = '7100000000000000002';
const WEB = 'web-resident-0123456789';
const TG_RESIDENT = 5301;

let tg: FakeTelegram;
let zalo: FakeZalo;
let svc: TestService;
let clock: ManualClock;
beforeAll(async () => {
  tg = await startFakeTelegram();
  zalo = await new FakeZalo().start();
  clock = new ManualClock('2021-08-20T10:00:00+07:00');
  svc = await startTestService({
    env: {
      ...zalo.env(),
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: tg.apiRoot,
      WEB_CHAT: 'on',
    },
    clock,
    workers: true,
  });
  await tg.waitFor(() => tg.webhook !== undefined);
});
afterAll(async () => {
  await svc?.close();
  await tg?.close();
  await zalo?.stop();
});

async function resident(channel: 'zalo' | 'web' | 'telegram', externalId: string, lastInboundAt?: Date) {
  const [row] = await svc.db.db
    .insert(accounts)
    .values({ channel, externalId, locale: 'vi', consentedAt: clock.now(), lastInboundAt })
    .returning();
  return row!;
}

describe('Zalo residents in a broadcast and an exposure alert', () => {
  it('inside the window: alert and broadcast arrive as plain text; outside: undeliverable, counted and reported', async () => {
    const zIn = await resident('zalo', Z_IN);
    // Writes to the OA through the webhook: that opens the interaction window.
    expect((await postZaloEvent(svc.app, zaloEvents.text(Z_IN, '/trogiup'))).statusCode).toBe(200);
    await eventually(() => expect(zalo.textsTo(Z_IN).length).toBeGreaterThan(0));
    await resident('zalo', Z_OUT, new Date(clock.now().getTime() - 10 * 24 * 3_600_000));
    await resident('web', WEB);
    await resident('telegram', String(TG_RESIDENT));

    // Exposure alert: a visit overlapping a window the health department records.
    const person = await seedPerson(svc.db.db, { accountId: zIn.id, fullName: 'Trần Thị Bích' });
    const venue = await seedVenue(svc.db.db, 'Quán cơm Ba Cường');
    await seedVisit(svc.db.db, {
      personId: person.id,
      venueId: venue.id,
      accountId: zIn.id,
      enteredAt: new Date('2021-08-19T11:00:00+07:00'),
      exitedAt: new Date('2021-08-19T12:00:00+07:00'),
    });
    const w = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/exposure-windows',
      headers: adminHeaders,
      payload: {
        venueId: venue.id,
        from: '2021-08-19T11:30:00+07:00',
        to: '2021-08-19T12:30:00+07:00',
        advice: 'monitor',
      },
    });
    expect(w.json()).toMatchObject({ contacts: 1, alertsQueued: 1 });
    await eventually(() => expect(zalo.textsTo(Z_IN).some((t) => t.includes('Quán cơm Ba Cường'))).toBe(true), 5000);

    // The official writes the announcement on Telegram, with formatting.
    const official = await commsOfficial(svc.app, tg, SECRET, 9200);
    await draftToEveryone(official, 'Tiêm vắc xin mũi 2 tại An Hòa, mang CCCD & sổ tiêm. Chi tiết');
    expect(official.transcript()).toContain('Số người nhận: 4');
    await official.tap('Gửi');
    const done = await untilDone(svc.app, clock, await latestBroadcastId(svc.app));
    expect(done).toMatchObject({
      status: 'done',
      total: 4,
      sent: 3,
      undeliverable: 1,
      failed: 0,
      unreachable: 0,
      pending: 0,
    });
    expectCountsAddUp(done);

    const plain =
      '📢 THÔNG BÁO\n\nTiêm vắc xin mũi 2 tại An Hòa, mang CCCD & sổ tiêm. Chi tiết (https://cantho.gov.vn/tiem?dot=2&nhom=a)';
    expect(zalo.textsTo(Z_IN).at(-1)).toBe(plain);
    expect(zalo.calls.filter((c) => JSON.stringify(c.body ?? {}).includes(Z_OUT))).toEqual([]);
    const inbox = await svc.app.inject({ url: `/chat/api/inbox?clientId=${WEB}` });
    expect((inbox.json() as { replies: unknown[] }).replies).toEqual([{ text: plain }]);
    const onTelegram = deliveriesByChat(tg, 'Tiêm vắc xin').get(String(TG_RESIDENT));
    expect(onTelegram?.map((c) => c.params)).toMatchObject([
      {
        text: '📢 THÔNG BÁO\n\n<b>Tiêm vắc xin</b> mũi 2 tại An Hòa, mang CCCD &amp; sổ tiêm. <a href="https://cantho.gov.vn/tiem?dot=2&amp;nhom=a">Chi tiết</a>',
        parse_mode: 'HTML',
      },
    ]);

    // The official hears about the one Zalo message that could not go out.
    await runUntil(clock, () => tg.sentTo(9200).some((c) => String(c.params.text).startsWith('Thông báo đã gửi xong')));
    expect(tg.sentTo(9200).at(-1)!.params.text).toBe(
      'Thông báo đã gửi xong: 3 người đã nhận, 0 lỗi, 0 không liên lạc được, 0 đã hủy (tổng 4).\n' +
        '1 tin Zalo không gửi được vì người nhận đã lâu không nhắn cho OA (ngoài thời hạn tương tác) và chưa có mẫu tin được duyệt.',
    );
  }, 40_000);
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { accounts, outbox } from '../../src/db/schema/index.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import type { OutboxDispatcher } from '../../src/outbox/dispatcher.js';
import { postUpdate, startFakeTelegram, tgUpdates, tgUser, type FakeTelegram } from '../helpers/fake-telegram.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { toyFeature } from './toy-feature.js';
import { withClock } from '../helpers/wait.js';

/** The outbox delivering through the Telegram sender: queued replies, proactive messages, 429 and 403. */
const SECRET = 'outbox-secret_0123456789';
let tg: FakeTelegram;
let svc: TestService;
let dispatcher: OutboxDispatcher;

beforeAll(async () => {
  tg = await startFakeTelegram();
  svc = await startTestService({
    env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: tg.apiRoot },
    features: [{ feature: toyFeature }],
  });
  dispatcher = svc.outbox;
});
afterAll(async () => {
  await svc?.close();
  await tg?.close();
});
beforeEach(() => tg.reset());

const clock = () => svc.clock as ManualClock;
const accountOf = async (chatId: number) =>
  (
    await svc.db.db
      .select()
      .from(accounts)
      .where(eq(accounts.externalId, String(chatId)))
  )[0]!;

describe('outbox → Telegram', () => {
  it('delivers a reply that Telegram refused with a long 429 once retry_after has passed', async () => {
    tg.fail('sendMessage', { code: 429, retryAfter: 30 });
    const update = tgUpdates.text(tgUser(4001), '/khaibao');
    expect((await postUpdate(svc.app, update, SECRET)).statusCode).toBe(200);
    expect(tg.sentTo(4001)).toHaveLength(0);

    expect(await withClock(dispatcher.runOnce(), clock())).toBe(0); // not due yet
    clock().advance(31_000);
    expect(await withClock(dispatcher.runOnce(), clock())).toBe(1);
    expect(tg.sentTo(4001).map((c) => c.params.text)).toEqual(['Giới tính?']);
    expect(tg.sentTo(4001)[0]!.params.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Nam', callback_data: 'male' },
          { text: 'Nữ', callback_data: 'female' },
        ],
      ],
    });
    const [row] = await svc.db.db
      .select()
      .from(outbox)
      .where(eq(outbox.dedupeKey, `telegram-reply:${update.update_id}`));
    expect(row!.status).toBe('sent');
  });

  it("labels a proactive message in the account's language", async () => {
    expect((await postUpdate(svc.app, tgUpdates.text(tgUser(4003), '/help'), SECRET)).statusCode).toBe(200);
    const account = await accountOf(4003);
    await svc.db.db.update(accounts).set({ locale: 'en' }).where(eq(accounts.id, account.id));
    tg.reset();
    await enqueue(svc.db.db, [
      {
        channel: 'telegram',
        accountId: account.id,
        kind: 'alert',
        dedupeKey: 'alert:test:4003',
        messages: [
          { text: '', buttons: [[{ label: 'OK', payload: 'ack:1' }]] },
          { text: 'Your phone?', requestContact: { label: 'Share' } },
        ],
      },
    ]);
    expect(await withClock(dispatcher.runOnce(), clock())).toBe(1);
    const sent = tg.sentTo(4003);
    expect(sent.map((c) => c.params.text)).toEqual(['Please choose:', 'Your phone?']);
    expect(sent[1]!.params.reply_markup).toMatchObject({
      input_field_placeholder: 'Tap the button below to share your phone number',
    });
  });

  it('reschedules a proactive message on 429 by retry_after, and stops at 403 with the account unreachable', async () => {
    expect((await postUpdate(svc.app, tgUpdates.text(tgUser(4002), '/help'), SECRET)).statusCode).toBe(200);
    const account = await accountOf(4002);
    tg.reset();
    await enqueue(svc.db.db, [
      {
        channel: 'telegram',
        accountId: account.id,
        kind: 'alert',
        dedupeKey: 'alert:test:4002',
        messages: [{ text: 'Cảnh báo tiếp xúc', buttons: [[{ label: 'Đã xem', payload: 'ack:1' }]] }],
      },
    ]);

    tg.fail('sendMessage', { code: 429, retryAfter: 12 });
    expect(await withClock(dispatcher.runOnce(), clock())).toBe(1);
    let [row] = await svc.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'alert:test:4002'));
    expect(row!.status).toBe('pending');
    expect(row!.nextAttemptAt.getTime() - clock().now().getTime()).toBe(12_000);

    clock().advance(12_000);
    tg.fail('sendMessage', { code: 403 });
    expect(await withClock(dispatcher.runOnce(), clock())).toBe(1);
    [row] = await svc.db.db.select().from(outbox).where(eq(outbox.dedupeKey, 'alert:test:4002'));
    expect(row!.status).toBe('unreachable');
    expect((await accountOf(4002)).unreachableAt).not.toBeNull();
    expect(tg.sentTo(4002)).toHaveLength(0);
  });
});

import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accounts, dialogStates, outbox, processedUpdates } from '../../src/db/schema/index.js';
import { queryRows } from '../../src/db/client.js';
import {
  startFakeTelegram,
  postUpdate,
  tgUpdates,
  tgUser,
  type FakeTelegram,
  type UploadedFile,
  webhookEnv,
} from '../helpers/fake-telegram.js';
import { decodeQrPng } from '../helpers/qr.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { toyFeature } from './toy-feature.js';

const SECRET = 'webhook-secret_0123456789';
let tg: FakeTelegram;
let svc: TestService;

beforeAll(async () => {
  tg = await startFakeTelegram();
  svc = await startTestService({
    env: webhookEnv(tg, SECRET),
    features: [{ feature: toyFeature }],
  });
});
afterAll(async () => {
  await svc?.close();
  await tg?.close();
});
beforeEach(() => tg.reset());

const post = async (update: unknown) => {
  const res = await postUpdate(svc.app, update, SECRET, tg);
  expect(res.statusCode).toBe(200);
  return res;
};
const texts = (chatId: number) => tg.sentTo(chatId).map((c) => String(c.params.text ?? c.params.caption ?? ''));
const count = async (table: 'processed_updates' | 'accounts') =>
  Number((await queryRows<{ n: number }>(svc.db.db, `select count(*)::int as n from ${table}`))[0]!.n);

describe('POST /telegram/webhook', () => {
  it('runs a conversation with inline buttons and a shared contact, refusing someone else’s number', async () => {
    const lan = tgUser(1001);
    await post(tgUpdates.text(lan, '/khaibao'));
    const [ask] = tg.sentTo(1001);
    expect(ask!.params.text).toBe('Giới tính?');
    expect(ask!.params.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Nam', callback_data: 'male' },
          { text: 'Nữ', callback_data: 'female' },
        ],
      ],
    });

    tg.reset();
    const press = tgUpdates.button(lan, 'female', 4242);
    const answered = await post(press);
    // The press is answered in the webhook's own answer (no request of its own), and its keyboard removed, so
    // the old choice cannot be pressed twice.
    expect(answered.headers['content-type']).toMatch(/^application\/json/);
    expect(answered.headers['content-security-policy']).toBeUndefined(); // for browsers; this goes to Telegram
    expect(JSON.parse(answered.body)).toEqual({
      method: 'answerCallbackQuery',
      callback_query_id: press.callback_query.id,
    });
    expect(tg.callsOf('answerCallbackQuery')).toEqual([
      expect.objectContaining({ status: 200, viaWebhookReply: true }),
    ]);
    const edit = tg.callsOf('editMessageReplyMarkup');
    expect(edit).toHaveLength(1);
    expect(edit[0]!.params).toMatchObject({ chat_id: 1001, message_id: 4242 });
    expect(edit[0]!.params.reply_markup).toBeUndefined();
    const [phoneAsk, skip] = tg.sentTo(1001);
    expect(phoneAsk!.params.text).toBe('Số điện thoại?');
    expect(phoneAsk!.params.reply_markup).toEqual({
      keyboard: [[{ text: 'Chia sẻ số điện thoại', request_contact: true }]],
      one_time_keyboard: true,
      resize_keyboard: true,
      input_field_placeholder: 'Bấm nút bên dưới để chia sẻ số điện thoại',
    });
    // One message carries one keyboard: the inline "skip" follows in its own message.
    expect(skip!.params.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Bỏ qua', callback_data: 'skip' }]] });

    tg.reset();
    await post(tgUpdates.contact(lan, '84900000002', 5555));
    expect(texts(1001)).toEqual(['Đây không phải số của Anh/Chị.', 'Số điện thoại?', 'Hoặc chọn bên dưới:']);

    tg.reset();
    await post(tgUpdates.contact(lan, '84901234567'));
    expect(texts(1001)).toEqual(['Xong: female +84901234567']);
    // The finished step's reply keyboard is taken away.
    expect(tg.sentTo(1001)[0]!.params.reply_markup).toEqual({ remove_keyboard: true });
    const [acc] = await svc.db.db
      .select()
      .from(accounts)
      .where(and(eq(accounts.channel, 'telegram'), eq(accounts.externalId, '1001')));
    expect(acc?.locale).toBe('vi');
    const [state] = await svc.db.db.select().from(dialogStates).where(eq(dialogStates.accountId, acc!.id));
    expect(state?.flow).toBeNull();
  });

  it('answers a redelivered update 200 and changes nothing', async () => {
    const u = tgUser(1002);
    await post(tgUpdates.text(u, '/khaibao'));
    const press = tgUpdates.button(u, 'male');
    await post(press);
    const [acc] = await svc.db.db.select().from(accounts).where(eq(accounts.externalId, '1002'));
    const before = await svc.db.db.select().from(dialogStates).where(eq(dialogStates.accountId, acc!.id));
    tg.reset();
    await post(press);
    expect(tg.sentTo(1002)).toHaveLength(0);
    const after = await svc.db.db.select().from(dialogStates).where(eq(dialogStates.accountId, acc!.id));
    expect(after).toEqual(before);
    expect(before[0]!.step).toBe('phone');
  });

  it('refuses a wrong or missing secret with 401 and stores nothing', async () => {
    const [updatesBefore, accountsBefore] = [await count('processed_updates'), await count('accounts')];
    for (const secret of ['wrong-secret', null, '', SECRET.slice(0, -1)]) {
      const res = await postUpdate(svc.app, tgUpdates.text(tgUser(1003), '/start'), secret);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'TELEGRAM_SECRET_INVALID', message: expect.any(String) } });
    }
    // Refused before the body is read: even a malformed body gets 401.
    expect((await postUpdate(svc.app, '{not json', 'nope')).statusCode).toBe(401);
    expect(await count('processed_updates')).toBe(updatesBefore);
    expect(await count('accounts')).toBe(accountsBefore);
    expect(tg.calls).toHaveLength(0);
  });

  it('answers a malformed body with 400', async () => {
    for (const body of [
      '{not json',
      '[]',
      '{}',
      '{"update_id":"12"}',
      '{"update_id":-1}',
      '{"update_id":1.5}',
      'null',
    ]) {
      const res = await postUpdate(svc.app, body, SECRET);
      expect(res.statusCode, body).toBe(400);
      expect(res.json().error.code).toEqual(expect.any(String));
    }
    expect(tg.calls).toHaveLength(0);
  });

  it('ignores (200) a well-signed update whose fields have the wrong types: no account, no reply', async () => {
    const accountsBefore = await count('accounts');
    const good = tgUpdates.text(tgUser(1010), 'hello');
    const bad = [
      { ...good, message: { ...good.message, chat: { id: { nested: 1 }, type: 'private' } } },
      { ...good, message: { ...good.message, chat: { id: '1010', type: 'private' } } },
      { ...good, message: { ...good.message, text: 123 } },
      { ...good, message: { ...good.message, from: { id: [1], first_name: 'x' } } },
      { ...good, message: { ...good.message, chat: { id: 1010, type: 'secret' } } },
      { ...good, message: { ...good.message, contact: { phone_number: { n: 1 } }, text: undefined } },
      { ...good, message: { ...good.message, entities: 'bold' } },
      { ...tgUpdates.button(tgUser(1010), 'x'), callback_query: { id: 5, from: { id: 1010 }, data: 'x' } },
      {
        update_id: good.update_id,
        my_chat_member: { chat: { id: 1010, type: 'private' }, from: { id: 1010 }, new_chat_member: {} },
      },
      { ...good, message: 'hello' },
    ];
    for (const update of bad) {
      const res = await postUpdate(svc.app, update, SECRET);
      expect(res.statusCode, JSON.stringify(update)).toBe(200);
    }
    expect(await count('accounts')).toBe(accountsBefore);
    const names = await queryRows<{ n: number }>(
      svc.db.db,
      `select count(*)::int as n from accounts where external_id !~ '^-?[0-9]+$'`,
    );
    expect(names[0]!.n).toBe(0);
    expect(tg.calls).toHaveLength(0);
  });

  it('answers a group message with a hint, never the dialog, and only once per update', async () => {
    const accountsBefore = await count('accounts');
    const update = tgUpdates.groupText(tgUser(1004), -100555, '/khaibao');
    await post(update);
    await post(update);
    expect(texts(-100555)).toEqual([
      'Khai báo y tế Cần Thơ chỉ làm việc trong tin nhắn riêng. Anh/Chị vui lòng nhắn riêng cho bot.',
    ]);
    tg.reset();
    await post(tgUpdates.addedToGroup(tgUser(1004, 'en'), -777));
    expect(texts(-777)).toEqual([
      'The Can Tho health declaration service works in private chats only. Please message the bot directly.',
    ]);
    // Posts in a channel are public: no answer there.
    tg.reset();
    await post(tgUpdates.channelPost(-100999, '/start'));
    expect(tg.calls).toHaveLength(0);
    expect(await count('accounts')).toBe(accountsBefore);
  });

  it('answers a sticker with a hint and ignores an edited message', async () => {
    const u = tgUser(1005, 'en');
    await post(tgUpdates.sticker(u));
    expect(texts(1005)).toEqual(['I can only read text messages and buttons. Please type your answer.']);
    tg.reset();
    const before = await count('processed_updates');
    await post(tgUpdates.edited(u, 'changed my mind'));
    expect(tg.calls).toHaveLength(0);
    expect(await count('processed_updates')).toBe(before);
  });

  it('routes a deep link /start v_ABC to its start handler, and an unknown one to the start menu', async () => {
    const u = tgUser(1006);
    await post(tgUpdates.text(u, '/start v_ABC'));
    expect(texts(1006)).toEqual(['Địa điểm ABC']);
    tg.reset();
    await post(tgUpdates.text(u, '/start zz_nope'));
    expect(texts(1006)).toEqual([
      'Mã này không còn dùng được hoặc không đúng. Anh/Chị vui lòng chọn việc cần làm ở màn hình chính.',
      'Xin chào! Anh/Chị muốn làm gì?',
    ]);
    tg.reset();
    await post(tgUpdates.button(u, 'menu:declare'));
    expect(texts(1006)).toEqual(['Giới tính?']);
  });

  it('sends an image from a buffer as a photo with its caption, and the QR in it decodes', async () => {
    await post(tgUpdates.text(tgUser(1007), '/pass'));
    const [photo] = tg.callsOf('sendPhoto');
    expect(photo!.status).toBe(200);
    expect(photo!.params).toMatchObject({ chat_id: 1007, caption: 'Thẻ của <b>Anh/Chị</b>', parse_mode: 'HTML' });
    const file = photo!.params.photo as UploadedFile;
    expect(file.filename).toBe('pass.png');
    expect(decodeQrPng(file.data)).toBe('https://khaibao.test/v/TOKEN123');
  });

  it('sends a caption too long for a photo as its own message, and splits long texts on lines', async () => {
    await post(tgUpdates.text(tgUser(1008), '/longpass'));
    const sent = tg.sentTo(1008);
    expect(sent.map((c) => c.method)).toEqual(['sendPhoto', 'sendMessage']);
    expect(sent[0]!.params.caption).toBeUndefined();
    expect(sent[1]!.params.text).toBe('x'.repeat(1500));

    tg.reset();
    await post(tgUpdates.text(tgUser(1008), '/long'));
    const parts = texts(1008);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts.join('\n')).toBe(Array.from({ length: 300 }, (_, i) => `dòng ${i} ${'y'.repeat(20)}`).join('\n'));
    for (const p of parts) expect(p.startsWith('dòng ')).toBe(true);
  });

  it('turns a link into a URL button', async () => {
    await post(tgUpdates.text(tgUser(1009), '/link'));
    expect(tg.sentTo(1009)[0]!.params.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'Mở', url: 'https://khaibao.test/c/ABC' }]],
    });
  });

  it('answers 503 when the database is unavailable, so Telegram redelivers; the update is not marked seen', async () => {
    const update = tgUpdates.text(tgUser(1010), '/dbdown');
    const res = await postUpdate(svc.app, update, SECRET);
    expect(res.statusCode).toBe(503);
    const seen = await svc.db.db
      .select()
      .from(processedUpdates)
      .where(eq(processedUpdates.updateId, String(update.update_id)));
    expect(seen).toHaveLength(0);
  });

  it('apologises for a bug, answers 200, and a redelivery is a duplicate', async () => {
    const update = tgUpdates.text(tgUser(1011, 'en'), '/boom');
    await post(update);
    expect(texts(1011)).toEqual(['Sorry, something went wrong on our side. Please try again in a few minutes.']);
    tg.reset();
    await post(update);
    expect(tg.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(0);
  });

  it('marks an account unreachable when the person blocks the bot, and reachable when they come back', async () => {
    const u = tgUser(1012);
    await post(tgUpdates.text(u, '/start'));
    await post(tgUpdates.myChatMember(u, 'kicked'));
    let [acc] = await svc.db.db.select().from(accounts).where(eq(accounts.externalId, '1012'));
    expect(acc!.unreachableAt).not.toBeNull();
    await post(tgUpdates.myChatMember(u, 'member'));
    [acc] = await svc.db.db.select().from(accounts).where(eq(accounts.externalId, '1012'));
    expect(acc!.unreachableAt).toBeNull();
  });

  it('marks the account unreachable when a reply gets 403', async () => {
    const u = tgUser(1013);
    await post(tgUpdates.text(u, '/start'));
    tg.fail('sendMessage', { code: 403 });
    await post(tgUpdates.text(u, 'hello'));
    const [acc] = await svc.db.db.select().from(accounts).where(eq(accounts.externalId, '1013'));
    expect(acc!.unreachableAt).not.toBeNull();
    expect(acc!.unreachableReason).toBe('blocked');
  });

  it('retries a reply after a short 429 and queues it in the outbox when Telegram asks for a long wait', async () => {
    const u = tgUser(1014);
    tg.fail('sendMessage', { code: 429, retryAfter: 1 });
    await post(tgUpdates.text(u, '/start'));
    expect(tg.callsOf('sendMessage').map((c) => c.status)).toEqual([429, 200]);

    tg.reset();
    tg.fail('sendMessage', { code: 429, retryAfter: 30 });
    const update = tgUpdates.text(u, '/khaibao');
    await post(update);
    // Not slept through and retried inside the request (that would outlast the test): one call, then queued.
    expect(tg.callsOf('sendMessage')).toHaveLength(1);
    const [row] = await svc.db.db
      .select()
      .from(outbox)
      .where(eq(outbox.dedupeKey, `telegram-reply:${update.update_id}`));
    expect(row).toMatchObject({ channel: 'telegram', kind: 'reply', status: 'pending' });
    expect((row!.payload as { text?: string }[]).map((m) => m.text)).toEqual(['Giới tính?']);
    const waitMs = row!.nextAttemptAt.getTime() - svc.clock.now().getTime();
    expect(waitMs).toBe(30_000);
  });

  it('answers 503 when the rest of a failed reply cannot be queued, and queues it when Telegram redelivers', async () => {
    const u = tgUser(1015);
    await post(tgUpdates.text(u, '/start'));
    // The database refuses new work between the dialog's commit and the outbox write (errcode cannot_connect_now).
    await svc.db.db.execute(sql`create function refuse_outbox() returns trigger language plpgsql as $$
      begin raise exception 'the database system is starting up' using errcode = '57P03'; end $$`);
    await svc.db.db.execute(
      sql`create trigger refuse_outbox before insert on outbox for each row execute function refuse_outbox()`,
    );
    tg.fail('sendMessage', { code: 429, retryAfter: 30 });
    const update = tgUpdates.text(u, '/khaibao');
    try {
      const res = await postUpdate(svc.app, update, SECRET);
      expect(res.statusCode).toBe(503);
    } finally {
      await svc.db.db.execute(sql`drop trigger refuse_outbox on outbox`);
      await svc.db.db.execute(sql`drop function refuse_outbox()`);
    }
    const queued = () =>
      svc.db.db
        .select()
        .from(outbox)
        .where(eq(outbox.dedupeKey, `telegram-reply:${update.update_id}`));
    expect(await queued()).toHaveLength(0);

    await post(update); // Telegram's redelivery: the dialog does not run again, the reply is queued
    const [row] = await queued();
    expect((row!.payload as { text?: string }[]).map((m) => m.text)).toEqual(['Giới tính?']);
    const [state] = await svc.db.db
      .select()
      .from(dialogStates)
      .innerJoin(accounts, eq(accounts.id, dialogStates.accountId))
      .where(eq(accounts.externalId, '1015'));
    expect(state!.dialog_states.version).toBe(2); // /start and /khaibao each once
    await post(update);
    expect(await queued()).toHaveLength(1);
  });

  it('calls getMe once however many updates arrive', async () => {
    await post(tgUpdates.text(tgUser(1020), '/help'));
    tg.reset();
    await Promise.all([1, 2, 3].map((i) => post(tgUpdates.text(tgUser(1020 + i), '/help'))));
    expect(tg.callsOf('getMe')).toHaveLength(0);
    expect(svc.deps.links.telegramUsername()).toBe(tg.username);
    const rows = await queryRows<{ n: number }>(
      svc.db.db,
      sql`select count(*)::int as n from accounts where external_id in ('1021','1022','1023')`,
    );
    expect(rows[0]!.n).toBe(3);
  });
});

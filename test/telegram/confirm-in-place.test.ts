import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createVenue } from '../../src/features/venues/store.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';
import { startFakeTelegram, TelegramPerson, tgUser, type FakeTelegram } from '../helpers/fake-telegram.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * A button press on Telegram costs the bot as few requests as the answer needs: the callback query is answered in
 * the webhook's own answer, and the answer to the check-in question takes the question's place (one edit, which
 * also takes its buttons away) instead of a keyboard removal plus a new message.
 */
const SECRET = 'in-place-secret_0123456789';
const clock = new ManualClock('2021-08-02T08:00:00+07:00');
let tg: FakeTelegram;
let svc: TestService;

beforeAll(async () => {
  tg = await startFakeTelegram();
  svc = await startTestService({
    clock,
    env: {
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: tg.apiRoot,
      TELEGRAM_MODE: 'webhook',
    },
  });
});
afterAll(async () => {
  await svc?.close();
  await tg?.close();
});

async function resident(chatId: number): Promise<TelegramPerson> {
  await residentWithDeclaration(svc.db.db, {
    channel: 'telegram',
    externalId: String(chatId),
    name: `Cư dân ${chatId}`,
    declaredAt: clock.now(),
  });
  return new TelegramPerson(svc.app, tg, SECRET, tgUser(chatId));
}

describe('the answer to the check-in question in place of the question (Telegram)', () => {
  it('«Xác nhận check-in»: one edit of the question, the callback answered in the webhook answer', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Chợ Xuân Khánh', kind: 'shop' });
    const hoa = await resident(5501);
    const [question] = await hoa.say(`/start v_${venue.code}`);
    const questionId = (question!.result as { message_id: number }).message_id;
    const mark = tg.calls.length;
    const [done] = await hoa.tap('Xác nhận check-in');
    const calls = tg.calls.slice(mark);
    // Telegram makes the webhook answer's call once the answer arrives, after the bot's own.
    expect(calls.map((c) => `${c.method}${c.viaWebhookReply ? ' (webhook answer)' : ''}`)).toEqual([
      'editMessageText',
      'answerCallbackQuery (webhook answer)',
    ]);
    expect(done!.method).toBe('editMessageText');
    expect(done!.params).toMatchObject({ chat_id: 5501, message_id: questionId });
    expect(String(done!.params.text)).toMatch(/^Đã check-in tại Chợ Xuân Khánh/);
    // The question's buttons are gone with it; the answer brings its own.
    expect(hoa.buttons()).toEqual(['🚪 Rời khỏi']);
  });

  it('«Hủy» replaces the question too', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Bến xe Cần Thơ', kind: 'station' });
    const lan = await resident(5502);
    const [question] = await lan.say(`/start v_${venue.code}`);
    const [cancelled] = await lan.tap('Hủy');
    expect(cancelled!.method).toBe('editMessageText');
    expect(cancelled!.params.message_id).toBe((question!.result as { message_id: number }).message_id);
    expect(String(cancelled!.params.text)).toContain('Bến xe Cần Thơ');
  });

  it('a question Telegram will no longer edit gets the answer as a new message', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Nhà văn hóa Tân An', kind: 'office' });
    const minh = await resident(5503);
    await minh.say(`/start v_${venue.code}`);
    tg.fail('editMessageText', { code: 400, description: 'Bad Request: message to edit not found' });
    const shown = await minh.tap('Xác nhận check-in');
    expect(shown.map((c) => c.method)).toEqual(['sendMessage']);
    expect(String(shown[0]!.params.text)).toMatch(/^Đã check-in tại Nhà văn hóa Tân An/);
  });

  it('a press whose answer does not replace the question still takes its keyboard away', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Trường THCS An Hòa', kind: 'school' });
    const tuan = await resident(5504);
    const question = await tuan.say(`/start v_${venue.code}`);
    await tuan.tap('Xác nhận check-in');
    // Pressed again (the keyboard still shown in another of their apps): told it is done, the keyboard removed.
    const mark = tg.calls.length;
    const again = await tuan.send(tuan.pressUpdate('Xác nhận check-in', question));
    expect(again.map((c) => c.method)).toEqual(['sendMessage']);
    expect(tg.calls.slice(mark).map((c) => c.method)).toContain('editMessageReplyMarkup');
  });
});

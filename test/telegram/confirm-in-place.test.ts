import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { visits } from '../../src/db/schema/index.js';
import { createVenue } from '../../src/features/venues/store.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';
import { TelegramPerson, tgUser, type FakeTelegram } from '../helpers/fake-telegram.js';
import type { TestService } from '../helpers/service.js';
import { startTelegramTestService, type TelegramTestService } from '../helpers/telegram-service.js';

/**
 * A button press on Telegram costs the bot as few requests as the answer needs: the callback query is answered in
 * the webhook's own answer, and the answer to the check-in question takes the question's place (one edit, which
 * also takes its buttons away) instead of a keyboard removal plus a new message.
 */
const SECRET = 'in-place-secret_0123456789';
const clock = new ManualClock('2021-08-02T08:00:00+07:00');
let tg: FakeTelegram;
let svc: TestService;

let telegram: TelegramTestService | undefined;

beforeAll(async () => {
  telegram = await startTelegramTestService(SECRET, { clock });
  ({ tg, svc } = telegram);
});
afterAll(() => telegram?.close());

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

describe('«Rời khỏi» just after the check-in', () => {
  it('is asked again, so a second tap on the confirm button (where «Rời khỏi» now is) does not end the visit', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Siêu thị Cái Khế', kind: 'shop' });
    const an = await resident(5505);
    await an.say(`/start v_${venue.code}`);
    await an.tap('Xác nhận check-in');
    const openVisits = async () =>
      (await svc.db.db.select().from(visits).where(eq(visits.venueId, venue.id))).filter((v) => v.exitedAt === null);
    expect(await openVisits()).toHaveLength(1);

    clock.advance(5_000);
    const [asked] = await an.tap('Rời khỏi');
    expect(asked!.method).toBe('sendMessage');
    expect(String(asked!.params.text)).toBe(
      'Anh/Chị vừa check-in tại Siêu thị Cái Khế lúc 08:00 02/08/2021. Nếu Anh/Chị đã ra về, vui lòng bấm «Rời khỏi» bên dưới.',
    );
    expect(await openVisits()).toHaveLength(1);

    // Pressed on that question: they mean it.
    const [left] = await an.tap('Rời khỏi');
    expect(String(left!.params.text)).toMatch(/^Đã ghi nhận Anh\/Chị rời khỏi Siêu thị Cái Khế/);
    expect(await openVisits()).toHaveLength(0);
  });

  it('a minute after the check-in it ends the visit at once', async () => {
    const venue = await createVenue(svc.db.db, { name: 'Bệnh viện Đa khoa Cần Thơ', kind: 'clinic' });
    const binh = await resident(5506);
    await binh.say(`/start v_${venue.code}`);
    await binh.tap('Xác nhận check-in');
    clock.advance(61_000);
    const [left] = await binh.tap('Rời khỏi');
    expect(String(left!.params.text)).toMatch(/^Đã ghi nhận Anh\/Chị rời khỏi Bệnh viện Đa khoa Cần Thơ/);
  });
});

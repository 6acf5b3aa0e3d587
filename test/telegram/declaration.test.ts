import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, declarations, persons } from '../../src/db/schema/index.js';
import {
  startFakeTelegram,
  TelegramPerson,
  tgUser,
  type FakeTelegram,
  type UploadedFile,
  webhookEnv,
} from '../helpers/fake-telegram.js';
import { decodeQrPng } from '../helpers/qr.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { answerHealthQuestions } from '../helpers/declaration-form.js';
import { telegramForm } from './telegram-resident.js';

/** The real features (privacy, declaration, pass) through the Telegram adapter, against the fake Bot API. */
const SECRET = 'declaration-secret_0123456789';
let tg: FakeTelegram;
let svc: TestService;

beforeAll(async () => {
  tg = await startFakeTelegram();
  svc = await startTestService({
    env: webhookEnv(tg, SECRET),
  });
});
afterAll(async () => {
  await svc?.close();
  await tg?.close();
});

let lan: TelegramPerson;

describe('a first declaration over Telegram', () => {
  it('uses buttons and a shared contact, and ends with the pass photo whose QR opens the verify page', async () => {
    lan = new TelegramPerson(svc.app, tg, SECRET, tgUser(7001, 'vi', 'An'));
    await lan.say('/start');
    expect(lan.transcript()).toContain('chọn ngôn ngữ');
    await lan.tap('Tiếng Việt');
    await lan.tap('Đồng ý');
    expect(lan.transcript()).toContain('Họ và tên');
    await lan.say('Nguyễn Văn An');
    await lan.say('1985');
    expect(lan.buttons()).toEqual(['Nam', 'Nữ', 'Khác']);
    await lan.tap('Nam');
    // The pressed keyboard is taken away so the old choice cannot be pressed twice.
    expect(tg.callsOf('editMessageReplyMarkup').length).toBeGreaterThan(0);

    // The phone question offers Telegram's "share my phone number" button.
    const phoneAsk = lan.last.find((c) => (c.params.reply_markup as { keyboard?: unknown } | undefined)?.keyboard);
    expect(phoneAsk?.params.reply_markup).toMatchObject({
      keyboard: [[{ request_contact: true }]],
      one_time_keyboard: true,
      resize_keyboard: true,
    });
    // Someone else's contact is refused; the question comes again and nothing is lost.
    await lan.shareContact('84987654321', 7999);
    expect(lan.transcript()).toContain('chính Anh/Chị');
    await lan.shareContact('84912345678');
    expect(lan.transcript()).toContain('CCCD');

    await lan.tap('Bỏ qua');
    await lan.say('cai khe');
    await lan.tap('Phường Cái Khế');
    await lan.say('12 Trần Văn Khéo');
    await answerHealthQuestions(telegramForm(lan));
    await lan.tap('2');
    for (const s of ['Nguyễn Văn An', '1985', '0912 345 678', 'Phường Cái Khế']) expect(lan.transcript()).toContain(s);
    await lan.tap('Xác nhận');

    expect(lan.transcript()).toContain('Cảm ơn Nguyễn Văn An');
    const photo = lan.last.find((c) => c.method === 'sendPhoto');
    expect(photo, lan.transcript()).toBeDefined();
    const file = photo!.params.photo as UploadedFile;
    const url = decodeQrPng(file.data);
    expect(url).toMatch(/^https:\/\/khaibao\.test\/v\/[A-Za-z0-9_-]+$/);
    const page = await svc.app.inject({ method: 'GET', url: new URL(url).pathname });
    expect(page.statusCode).toBe(200);

    const account = await svc.db.db.query.accounts.findFirst({
      where: and(eq(accounts.channel, 'telegram'), eq(accounts.externalId, '7001')),
    });
    const me = await svc.db.db.query.persons.findFirst({ where: eq(persons.ownerAccountId, account!.id) });
    expect(me).toMatchObject({
      fullName: 'Nguyễn Văn An',
      birthYear: 1985,
      gender: 'male',
      phone: '+84912345678',
      isSelf: true,
    });
    // Shared through Telegram's contact button: the platform vouched for it (issue 15).
    expect(me).toMatchObject({ phoneVerified: true, phoneSource: 'telegram_contact' });
    expect(await svc.db.db.query.declarations.findMany({ where: eq(declarations.personId, me!.id) })).toHaveLength(1);
  });

  it('then checks in at a venue by the deep link the venue API hands out', async () => {
    const created = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/venues',
      headers: adminHeaders,
      payload: { name: 'Cà phê Bến Ninh Kiều', kind: 'restaurant' },
    });
    expect(created.statusCode).toBe(201);
    const telegramUrl = created.json().telegramUrl as string;
    expect(telegramUrl).toMatch(new RegExp(`^https://t\\.me/${tg.username}\\?start=`));
    const param = new URL(telegramUrl).searchParams.get('start')!;
    await lan.say(`/start ${param}`);
    expect(lan.transcript()).toContain('Cà phê Bến Ninh Kiều');
    await lan.tap('Xác nhận check-in');
    expect(lan.transcript()).toContain('Đã check-in tại Cà phê Bến Ninh Kiều');
  });
});

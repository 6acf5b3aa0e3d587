import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, contacts, outbox, persons, type Person } from '../../src/db/schema/index.js';
import { createVenue } from '../../src/features/venues/store.js';
import type { OutboxDispatcher } from '../../src/outbox/dispatcher.js';
import {
  startFakeTelegram,
  TelegramPerson,
  tgUser,
  type FakeTelegram,
  type RecordedCall,
  webhookEnv,
} from '../helpers/fake-telegram.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { declareOverTelegram, type TelegramResident } from './telegram-resident.js';
import { withClock } from '../helpers/wait.js';

/**
 * Issue 6 end to end on Telegram: residents declare and check in through POST /telegram/webhook, a case is
 * recorded through the health API, the outbox dispatcher delivers, and the fake Bot API must receive exactly
 * the two alerts due — right chats, right language, Vietnam times — and nothing else.
 */
const SECRET = 'exposure-secret_0123456789';
const HOTLINE = '0292 3822 118';
const clock = new ManualClock('2021-08-04T07:30:00+07:00');
let tg: FakeTelegram;
let svc: TestService;
let dispatcher: OutboxDispatcher;
let cafe: { id: string; code: string };

type Role = 'case' | 'close' | 'casual' | 'outside';
interface Resident extends TelegramResident {
  chat: TelegramPerson;
  person: Person;
}
const people = {} as Record<Role, Resident>;
let alerts: RecordedCall[] = [];

async function declare(role: Role, chatId: number, r: TelegramResident) {
  const chat = new TelegramPerson(svc.app, tg, SECRET, tgUser(chatId, r.locale, r.name.split(' ').at(-1)));
  await declareOverTelegram(chat, r);
  const acc = await svc.db.db.query.accounts.findFirst({
    where: and(eq(accounts.channel, 'telegram'), eq(accounts.externalId, String(chatId))),
  });
  const person = await svc.db.db.query.persons.findFirst({
    where: and(eq(persons.ownerAccountId, acc!.id), eq(persons.isSelf, true)),
  });
  people[role] = { ...r, chat, person: person! };
}

/** Open the poster's deep link and confirm, at HH:MM on the 4th (Vietnam time). */
async function checkIn(role: Role, at: string) {
  const r = people[role];
  clock.set(`2021-08-04T${at}:00+07:00`);
  await r.chat.say(`/start v_${cafe.code}`);
  await r.chat.tap(r.locale === 'en' ? 'Confirm check-in' : 'Xác nhận check-in');
  expect(r.chat.transcript()).toContain(
    r.locale === 'en' ? `Checked in at Cà phê Hạnh Phúc at ${at}` : `Đã check-in tại Cà phê Hạnh Phúc lúc ${at}`,
  );
}

async function leave(role: Role, at: string) {
  const r = people[role];
  clock.set(`2021-08-04T${at}:00+07:00`);
  await r.chat.tap(r.locale === 'en' ? 'Leave' : 'Rời khỏi');
}

const postCase = (payload: Record<string, unknown>) =>
  svc.app.inject({ method: 'POST', url: '/api/v1/cases', payload, headers: adminHeaders });
const buttonsOf = (c: RecordedCall) =>
  (c.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard;

beforeAll(async () => {
  tg = await startFakeTelegram();
  svc = await startTestService({
    clock,
    env: {
      ...webhookEnv(tg, SECRET),
      HOTLINE,
    },
  });
  dispatcher = svc.outbox;
  cafe = await createVenue(svc.db.db, { name: 'Cà phê Hạnh Phúc', kind: 'restaurant' });

  await declare('case', 7101, { name: 'Trần Văn Ca', phone: '84912345678', locale: 'vi' });
  await declare('close', 7102, { name: 'Minh Pham', phone: '84903111222', locale: 'en' });
  await declare('casual', 7103, { name: 'Nguyễn Thị Lan', phone: '84903333444', locale: 'vi' });
  await declare('outside', 7104, { name: 'Võ Thị Hoa', phone: '84903555666', locale: 'vi' });
  // The case is in the café 09:00–10:00. Minh overlaps 55 minutes (close), Lan 5 minutes (casual), Hoa comes
  // at 11:30, after the window (the case's visit widened by EXPOSURE_BUFFER_MINUTES = 60) has ended.
  await checkIn('case', '09:00');
  await checkIn('close', '09:05');
  await checkIn('casual', '09:40');
  await leave('casual', '09:45');
  await leave('case', '10:00');
  await leave('close', '10:10');
  await checkIn('outside', '11:30');
  await leave('outside', '11:50');
}, 120_000);
afterAll(async () => {
  await svc?.close();
  await tg?.close();
});

describe('exposure alerts through Telegram', () => {
  it('a recorded case sends exactly the two alerts due, in each person’s language, and nothing else', async () => {
    clock.set('2021-08-05T09:00:00+07:00');
    tg.reset();
    const res = await postCase({ phone: '0912 345 678', onsetAt: '2021-08-05T07:00:00+07:00' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ personFound: true, exposureWindows: 1, contacts: 2, alertsQueued: 2 });

    expect(await withClock(dispatcher.runOnce(), clock)).toBe(2);
    expect(tg.calls.map((c) => `${c.method} ${String(c.params.chat_id)} ${c.status}`).sort()).toEqual([
      'sendMessage 7102 200',
      'sendMessage 7103 200',
    ]);
    alerts = [...tg.calls];

    const [close] = tg.sentTo(7102);
    const closeText = String(close!.params.text);
    expect(closeText).toContain('you were at the same place and time as a COVID-19 case');
    // Vietnam time (UTC+7): the visit was 02:05–03:10 UTC.
    expect(closeText).toContain('• Cà phê Hạnh Phúc: 09:05 – 10:10 04/08/2021 (near the case)');
    expect(closeText).toContain('please stay home');
    expect(closeText).not.toContain('(same place)');
    expect(closeText).toContain(`Hotline: ${HOTLINE}`);
    expect(closeText).not.toMatch(/Anh\/Chị|Cảnh báo/);
    expect(
      buttonsOf(close!)
        .flat()
        .map((b) => b.text),
    ).toEqual(['Got it', 'Declare again']);

    const [casual] = tg.sentTo(7103);
    const casualText = String(casual!.params.text);
    expect(casualText).toContain('Cảnh báo: có mặt cùng địa điểm và thời gian với ca bệnh COVID-19');
    expect(casualText).toContain('• Cà phê Hạnh Phúc: 09:40 – 09:45 04/08/2021 (cùng địa điểm)');
    expect(casualText).toContain('theo dõi sức khỏe trong 14 ngày');
    expect(casualText).not.toContain('(ở gần ca bệnh)');
    expect(casualText).toContain(`Đường dây nóng: ${HOTLINE}`);
    expect(
      buttonsOf(casual!)
        .flat()
        .map((b) => b.text),
    ).toEqual(['Tôi đã biết', 'Khai báo lại']);

    const rows = await svc.db.db.select().from(outbox);
    expect(rows.map((r) => `${r.kind} ${r.status}`)).toEqual(['alert sent', 'alert sent']);
  });

  it('"Tôi đã biết" pressed in Telegram records the acknowledgement', async () => {
    const lan = people.casual.chat;
    // Lan scrolls to the alert the outbox delivered and presses its button.
    const lanAlert = alerts.filter((c) => String(c.params.chat_id) === '7103');
    tg.reset();
    await lan.send(lan.pressUpdate('Tôi đã biết', lanAlert));
    expect(lan.transcript()).toContain('Cảm ơn Anh/Chị đã xác nhận');
    expect(tg.callsOf('answerCallbackQuery')).toHaveLength(1);
    const row = await svc.db.db.query.contacts.findFirst({ where: eq(contacts.personId, people.casual.person.id) });
    expect(row).toMatchObject({ kind: 'casual' });
    expect(row!.acknowledgedAt?.toISOString()).toBe(clock.now().toISOString());
    const other = await svc.db.db.query.contacts.findFirst({ where: eq(contacts.personId, people.close.person.id) });
    expect(other).toMatchObject({ kind: 'close', acknowledgedAt: null });
    expect(await svc.db.db.$count(contacts, eq(contacts.personId, people.outside.person.id))).toBe(0);

    // Pressed again (an old alert scrolled back to): thanked, nothing changes.
    await lan.send(lan.pressUpdate('Tôi đã biết', lanAlert));
    expect(lan.transcript()).toContain('đã xác nhận cảnh báo này rồi');
  });

  it('"Declare again" on the English alert starts a re-declaration in English', async () => {
    const minh = people.close.chat;
    await minh.send(
      minh.pressUpdate(
        'Declare again',
        alerts.filter((c) => String(c.params.chat_id) === '7102'),
      ),
    );
    expect(minh.transcript()).toContain('Hello Minh Pham! Your personal details are kept from last time');
    expect(minh.transcript()).toContain('have you travelled to another province or city, or to another country?');
    expect(minh.buttons()).toEqual(expect.arrayContaining(['Yes', 'No']));
    await minh.say('/cancel');
  });

  it('recording the same case again sends nothing new', async () => {
    clock.advanceMinutes(30);
    tg.reset();
    const res = await postCase({ phone: '+84 912 345 678', onsetAt: '2021-08-05T07:00:00+07:00' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ personFound: true, alertsQueued: 0 });
    expect(await withClock(dispatcher.runOnce(), clock)).toBe(0);
    clock.advanceMinutes(10);
    expect(await withClock(dispatcher.runOnce(), clock)).toBe(0);
    expect(tg.calls).toEqual([]);
    expect(await svc.db.db.$count(outbox)).toBe(2);
  });
});

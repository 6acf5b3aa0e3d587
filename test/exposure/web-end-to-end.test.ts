import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, contacts, outbox, persons, type Person } from '../../src/db/schema/index.js';
import { parsePhone } from '../../src/core/answer-parsing.js';
import { currentStatus } from '../../src/features/pass/status.js';
import { createVenue } from '../../src/features/venues/store.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import type { WebReply } from '../../src/channels/web/index.js';
import { answerFirstDeclaration, newResident, type WebChatClient } from '../web/chat-client.js';
import { withClock } from '../helpers/wait.js';

/**
 * The whole chain on the web channel: residents declare and check in through the web chat, a case is recorded
 * through the health API, the outbox dispatcher delivers through the web sender, and each browser collects
 * exactly its own alert from its inbox. Nothing is seeded behind the dialogs' backs.
 */
let svc: TestService;
const clock = new ManualClock('2021-08-04T08:00:00+07:00');
let cafe: { id: string; code: string };

interface Resident {
  chat: WebChatClient;
  person: Person;
  locale: 'vi' | 'en';
}
const people: Record<'case' | 'close' | 'casual' | 'outside', Resident> = {} as never;
/** the alert Lan's browser collected, with its buttons */
let closeAlert: WebReply[] = [];

async function declare(key: keyof typeof people, name: string, phone: string, locale: 'vi' | 'en' = 'vi') {
  const chat = await newResident(svc.app, locale);
  await answerFirstDeclaration(chat, { name, phone, locale });
  const acc = await svc.db.db.query.accounts.findFirst({
    where: and(eq(accounts.channel, 'web'), eq(accounts.externalId, chat.clientId)),
  });
  const person = await svc.db.db.query.persons.findFirst({
    where: and(eq(persons.ownerAccountId, acc!.id), eq(persons.isSelf, true)),
  });
  people[key] = { chat, person: person!, locale };
}

/** Scan the café's poster and confirm, at the clock's current time (HH:MM on the 4th). */
async function checkIn(r: Resident, at: string) {
  clock.set(new Date(`2021-08-04T${at}:00+07:00`));
  await r.chat.start(`v_${cafe.code}`);
  await r.chat.tap(r.locale === 'en' ? 'Confirm check-in' : 'Xác nhận check-in');
  expect(r.chat.transcript()).toMatch(/Đã check-in|Checked in/);
}

async function leave(r: Resident, at: string) {
  clock.set(new Date(`2021-08-04T${at}:00+07:00`));
  await r.chat.tap(r.locale === 'en' ? 'Leave' : 'Rời khỏi');
}

const postCase = (payload: Record<string, unknown>) =>
  svc.app.inject({ method: 'POST', url: '/api/v1/cases', payload, headers: adminHeaders });
const status = async (r: Resident) => (await currentStatus(svc.db.db, r.person.id, clock.now(), svc.config)).status;

beforeAll(async () => {
  svc = await startTestService({ clock });
  cafe = await createVenue(svc.db.db, { name: 'Cà phê Hạnh Phúc', kind: 'restaurant' });
  await declare('case', 'Trần Văn Ca', '0912 345 678');
  await declare('close', 'Nguyễn Thị Lan', '0903 111 222');
  await declare('casual', 'Minh Pham', '0903 333 444', 'en');
  await declare('outside', 'Võ Thị Hoa', '0903 555 666');
  // The case sits in the café 09:00–10:00. Lan overlaps 50 minutes (close); Minh 5 minutes (casual); Hoa comes
  // at 12:30, after the exposure window (the case's visit widened by an hour) has ended.
  await checkIn(people.case, '09:00');
  await checkIn(people.close, '09:10');
  await checkIn(people.casual, '09:40');
  await leave(people.casual, '09:45');
  await leave(people.case, '10:00');
  await leave(people.close, '10:05');
  await checkIn(people.outside, '12:30');
  await leave(people.outside, '12:45');
});
afterAll(() => svc?.close());

describe('exposure through the web channel', () => {
  it('a case recorded by phone alerts the right web residents, each once, in their language', async () => {
    clock.set(new Date('2021-08-05T09:00:00+07:00'));
    // Declared as "0912 345 678", recorded as "+84 912 345 678": one number.
    const res = await postCase({ phone: '+84 912 345 678', onsetAt: '2021-08-05T07:00:00+07:00' });
    expect(res.statusCode).toBe(201);
    // A number typed into the web chat is unverified: anyone can type anyone's number. It is only a possible
    // match; nobody turns red and the typist's visits drive no alert until an official confirms the person.
    expect(res.json()).toMatchObject({ personFound: false, exposureWindows: 0, contacts: 0, alertsQueued: 0 });
    expect(res.json().possibleMatches).toEqual([
      {
        personId: people.case.person.id,
        fullName: 'Trần Văn Ca',
        birthYear: expect.any(Number),
        channel: 'web',
        phoneSource: 'typed',
      },
    ]);
    expect(await status(people.case)).not.toBe('red');
    expect(await svc.db.db.select().from(outbox)).toEqual([]);
    const confirmed = await svc.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${res.json().id}/confirm-person`,
      payload: { personId: people.case.person.id },
      headers: adminHeaders,
    });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ exposureWindows: 1, contacts: 2, alertsQueued: 2 });

    const dispatcher = svc.outbox;
    expect(await withClock(dispatcher.runOnce(), clock)).toBe(2);
    const rows = await svc.db.db.select().from(outbox);
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ['web', 'sent'],
      ['web', 'sent'],
    ]);

    const close = await people.close.chat.inbox();
    expect(close).toHaveLength(1);
    expect(close[0]!.text).toContain('Cảnh báo: có mặt cùng địa điểm và thời gian với ca bệnh COVID-19');
    expect(close[0]!.text).toContain('Cà phê Hạnh Phúc');
    expect(close[0]!.text).toContain('(ở gần ca bệnh)');
    expect(close[0]!.text).toContain('Nếu Anh/Chị ở gần ca bệnh');
    expect(close[0]!.text).not.toContain('(cùng địa điểm)');
    expect(close[0]!.text).toContain('• Cà phê Hạnh Phúc: 09:10 – 10:05 04/08/2021 (ở gần ca bệnh)');
    closeAlert = close;

    const casual = await people.casual.chat.inbox();
    expect(casual).toHaveLength(1);
    expect(casual[0]!.text).toContain('you were at the same place and time as a COVID-19 case');
    expect(casual[0]!.text).toContain('• Cà phê Hạnh Phúc: 09:40 – 09:45 04/08/2021 (same place)');
    expect(casual[0]!.text).not.toContain('(near the case)');
    expect(casual[0]!.text).not.toMatch(/Cảnh báo|Anh\/Chị/);
    expect(casual[0]!.buttons!.flat().map((b) => b.label)).toContain('Got it');

    // The case's own chat and the later visitor's get nothing; nothing is handed out twice.
    expect(await people.case.chat.inbox()).toEqual([]);
    expect(await people.outside.chat.inbox()).toEqual([]);
    expect(await people.close.chat.inbox()).toEqual([]);
    expect(await people.casual.chat.inbox()).toEqual([]);
  });

  it('"Tôi đã biết" records the acknowledgement; the contacts turn yellow, the case red', async () => {
    const c = people.close.chat;
    const [row] = await svc.db.db.select().from(contacts).where(eq(contacts.personId, people.close.person.id));
    expect(row).toMatchObject({ kind: 'close', acknowledgedAt: null });
    expect(row!.alertedAt).not.toBeNull();
    c.last = closeAlert; // the page shows the collected alert; the resident presses its button
    await c.tap('Tôi đã biết');
    expect(c.transcript()).toContain('Cảm ơn Anh/Chị đã xác nhận');
    const after = await svc.db.db.query.contacts.findFirst({ where: eq(contacts.personId, people.close.person.id) });
    expect(after!.acknowledgedAt?.toISOString()).toBe(clock.now().toISOString());
    const casualRow = await svc.db.db.query.contacts.findFirst({
      where: eq(contacts.personId, people.casual.person.id),
    });
    expect(casualRow).toMatchObject({ kind: 'casual', acknowledgedAt: null });
    expect(await svc.db.db.$count(contacts, eq(contacts.personId, people.outside.person.id))).toBe(0);

    expect(await status(people.case)).toBe('red');
    expect(await status(people.close)).toBe('yellow');
    expect(await status(people.casual)).toBe('yellow');
    // Hoa's 24-hour pass lapsed overnight (grey); what matters is that no exposure turned it yellow.
    expect(await status(people.outside)).toBe('grey');
  });
});

describe('one phone normalisation for declarations and cases', () => {
  it('a case recorded as "0903 777 888" finds the person who declared "+84903777888"', async () => {
    const c = await newResident(svc.app);
    await answerFirstDeclaration(c, { name: 'Đỗ Quang', phone: '+84903777888' });
    const res = await postCase({ phone: '0903 777 888', onsetAt: '2021-08-05T07:00:00+07:00' });
    expect(res.statusCode).toBe(201);
    // Typed on the web: found as a possible match (the same number), not linked.
    expect(res.json()).toMatchObject({ personFound: false });
    expect(res.json().possibleMatches.map((m: { fullName: string }) => m.fullName)).toEqual(['Đỗ Quang']);
  });

  it('the case API takes exactly the numbers the declaration takes', async () => {
    const samples = [
      '0912 345 678',
      '+84 912.345.678',
      '0084912345678',
      '84912345678',
      '0292 3831 981',
      '842923831981',
      '+8409123456789',
      '12345',
      '091234567890',
    ];
    for (const phone of samples) {
      const declared = parsePhone(phone);
      const res = await postCase({ phone, onsetAt: '2021-08-05T07:00:00+07:00' });
      expect(res.statusCode === 400 ? res.json().error.code : 'accepted', phone).toBe(
        declared.ok ? 'accepted' : 'INVALID_PHONE',
      );
    }
  });
});

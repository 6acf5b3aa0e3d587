import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, officialRoles, persons, type Venue } from '../../src/db/schema/index.js';
import { setWardHotline } from '../../src/features/wards/store.js';
import { createVenue } from '../../src/features/venues/store.js';
import { startFakeTelegram, TelegramPerson, tgUser, type FakeTelegram, webhookEnv } from '../helpers/fake-telegram.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { chat, payloads, textOf } from './chat-driver.js';
import { doorHelpers } from './door-helpers.js';
import { residentWithDeclaration } from './people-fixtures.js';

/**
 * Issue 13, "risk at the door": a red pass (open confirmed case) is refused at self check-in on every channel
 * and at the staff scan, nothing is recorded, every attempt is audited and the health officials hear of it in
 * their chat through the outbox; a grey pass (no declaration in 24 h) is asked to declare first.
 */
const SECRET = 'risk-door-secret_0123456789';
const HOTLINE = '0292 3820 000';
const OFFICIAL_CHAT = 7300;
const COMMS_CHAT = 7301;
const clock = new ManualClock('2021-08-01T08:00:00+07:00');
let tg: FakeTelegram;
let svc: TestService;
let shop: Venue;
let healthOfficialId: string;
let n = 0;
const door = doorHelpers(() => svc, 'owner-door');

beforeAll(async () => {
  tg = await startFakeTelegram();
  svc = await startTestService({
    clock,
    env: {
      ...webhookEnv(tg, SECRET),
      HOTLINE,
    },
  });
  const db = svc.db.db;
  await chat(svc, 'owner-door').text('/diadiem');
  const owner = await db.query.accounts.findFirst({ where: eq(accounts.externalId, 'owner-door') });
  shop = await createVenue(db, {
    name: 'Siêu thị Co.op Xuân Khánh',
    kind: 'shop',
    address: '12 Đường 30/4',
    ownerAccountId: owner!.id,
  });
  // One health official and one comms official, both on Telegram: only the health role hears of refusals.
  for (const [chatId, role] of [
    [OFFICIAL_CHAT, 'health'],
    [COMMS_CHAT, 'comms'],
  ] as const) {
    const [acc] = await db
      .insert(accounts)
      .values({ channel: 'telegram', externalId: String(chatId), locale: 'vi', consentedAt: new Date() })
      .returning();
    await db.insert(officialRoles).values({ accountId: acc!.id, role, grantedBy: 'test' });
    if (role === 'health') healthOfficialId = acc!.id;
  }
}, 60_000);
afterAll(async () => {
  await svc?.close();
  await tg?.close();
});

async function webResident(opts: { declaredAt?: Date; name?: string } = {}) {
  const ext = `door-r${++n}`;
  const r = await residentWithDeclaration(svc.db.db, {
    externalId: ext,
    name: opts.name,
    declaredAt: opts.declaredAt ?? clock.now(),
  });
  return { ...r, ext, chat: chat(svc, ext) };
}

describe('red pass at the door', () => {
  it('self check-in over Telegram (deep link and typed code) is refused kindly, records nothing, and the health official hears of it', async () => {
    clock.set('2021-08-01T08:00:00+07:00');
    const r = await residentWithDeclaration(svc.db.db, {
      channel: 'telegram',
      externalId: '7201',
      name: 'Trần Văn Ca',
      declaredAt: clock.now(),
    });
    await door.openCase(r.self.id);
    const person = new TelegramPerson(svc.app, tg, SECRET, tgUser(7201, 'vi', 'Ca'));
    tg.reset();

    await person.say(`/start v_${shop.code}`);
    const refusal = person.transcript();
    expect(refusal).toContain('Anh/Chị chưa thể check-in tại Siêu thị Co.op Xuân Khánh');
    expect(refusal).toContain('ca bệnh xác nhận');
    expect(refusal).toContain('Vui lòng ở lại nơi đang cách ly');
    expect(refusal).toContain(HOTLINE);
    expect(refusal).not.toMatch(/\bem\b|F0/);
    expect(person.buttons()).not.toContain('✅ Xác nhận check-in');
    // Typing the code is refused the same way.
    await person.say(shop.code.toLowerCase());
    expect(person.transcript()).toContain('chưa thể check-in');
    expect(await door.visitsOf(r.self.id)).toHaveLength(0);

    // Both attempts are audited; the two within one minute are one notice to the health official.
    const audits = await door.refusals(r.self.id);
    expect(audits).toHaveLength(2);
    expect(audits[0]!.details).toMatchObject({ venueId: shop.id, status: 'red', source: 'self' });
    expect(audits[0]!.actor).toBe(`account:${r.accountId}`);
    expect(await door.notices(healthOfficialId)).toHaveLength(1);

    // The outbox delivers it to the official's Telegram chat: person, venue and time; nothing to the comms role.
    expect(await svc.outbox.runOnce()).toBe(1);
    const sent = tg.sentTo(OFFICIAL_CHAT);
    expect(sent).toHaveLength(1);
    const text = String(sent[0]!.params.text);
    expect(text).toContain('Ca bệnh xác nhận bị từ chối check-in');
    expect(text).toContain('Trần Văn Ca (1990)');
    expect(text).toContain('+84901234567');
    expect(text).toContain('Siêu thị Co.op Xuân Khánh');
    expect(text).toContain(shop.code);
    expect(text).toContain('08:00 01/08/2021');
    expect(text).toContain('tự check-in qua chat');
    expect(tg.sentTo(COMMS_CHAT)).toHaveLength(0);

    // A later attempt is a new notice.
    clock.advanceMinutes(5);
    await person.say(`/start v_${shop.code}`);
    expect(await door.notices(healthOfficialId)).toHaveLength(2);
    expect(await door.visitsOf(r.self.id)).toHaveLength(0);
  });

  it('on the web chat too, also when the case is recorded while the confirm step waits', async () => {
    clock.set('2021-08-01T09:00:00+07:00');
    const r = await webResident();
    // A resident of Cái Khế, whose ward health station has a number: the refusal gives it (issue 15).
    await svc.db.db.update(persons).set({ wardCode: '31117' }).where(eq(persons.id, r.self.id));
    await setWardHotline(svc.db.db, '31117', '0292 3820 105');
    const ask = await r.chat.text(shop.code);
    expect(textOf(ask)).toContain('Check-in tại Siêu thị Co.op Xuân Khánh');
    await door.openCase(r.self.id);
    const done = await r.chat.press('cf:ok');
    expect(textOf(done)).toContain('chưa thể check-in tại Siêu thị Co.op Xuân Khánh');
    expect(textOf(done)).toContain('vui lòng gọi đường dây nóng 0292 3820 105');
    await setWardHotline(svc.db.db, '31117', null);
    expect(payloads(done)).not.toContain(`leave:${shop.id}`);
    expect(await door.visitsOf(r.self.id)).toHaveLength(0);
    expect(await door.refusals(r.self.id)).toHaveLength(1);
    const notices = await door.notices(healthOfficialId);
    expect(notices.some((o) => o.refId === r.self.id)).toBe(true);
  });

  it('a red family member is not checked in with the account holder', async () => {
    clock.set('2021-08-01T10:00:00+07:00');
    const r = await residentWithDeclaration(svc.db.db, {
      externalId: 'door-family',
      family: ['Bé Na'],
      declaredAt: clock.now(),
    });
    await door.openCase(r.family[0]!.id);
    const c = chat(svc, 'door-family');
    await c.text(shop.code);
    await c.press(`cf:t:${r.family[0]!.id}`);
    const done = textOf(await c.press('cf:ok'));
    expect(done).toContain('Đã check-in tại Siêu thị Co.op Xuân Khánh');
    expect(done).toContain('Chưa check-in cho Bé Na');
    expect(await door.visitsOf(r.self.id)).toHaveLength(1);
    expect(await door.visitsOf(r.family[0]!.id)).toHaveLength(0);
    expect(await door.refusals(r.family[0]!.id)).toHaveLength(1);
  });

  it('staff scanning a red pass see a full-width refusal and no record button; POST /staff/checkins refuses it too', async () => {
    clock.set('2021-08-01T11:00:00+07:00');
    const cookie = await door.staffCookie('door-staff-1', shop);
    const r = await webResident({ name: 'Lê Thị Đỏ' });
    const path = await door.passPath(r.self.id);
    // A ticket from while the pass was green: the server must not take it once the person is red.
    const ticket = await door.ticket(cookie, r.self.id);
    await door.openCase(r.self.id);

    const page = await svc.app.inject({ url: path, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-status="red"');
    expect(page.body).toContain('data-verdict="refuse"');
    expect(page.body).toContain('KHÔNG CHO VÀO');
    expect(page.body).toContain(HOTLINE);
    expect(page.body).toContain('margin:0 -16px'); // out of the panel's margin: the page's full width
    expect(page.body).not.toContain('id="staff-checkin"');
    expect(page.body).not.toContain('name="ticket"');
    expect(page.body).not.toContain('Ghi nhận vào');

    const post = await door.record(cookie, ticket);
    expect(post.statusCode).toBe(403);
    expect(post.body).toContain('KHÔNG CHO VÀO');
    expect(await door.visitsOf(r.self.id)).toHaveLength(0);

    // The scan and the POST are both audited as staff refusals; the official hears of the staff scan.
    const audits = await door.refusals(r.self.id);
    expect(audits).toHaveLength(2);
    const staff = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'door-staff-1') });
    for (const a of audits) {
      expect(a.details).toMatchObject({ status: 'red', source: 'staff', venueId: shop.id });
      expect(a.actor).toBe(`account:${staff!.id}`);
    }
    const notices = (await door.notices(healthOfficialId)).filter((o) => o.refId === r.self.id);
    expect(notices).toHaveLength(1); // the page and the POST in the same minute: one notice
    expect(JSON.stringify(notices[0]!.payload)).toContain('nhân viên địa điểm quét Mã QR cá nhân');
    // The public (no cookie) page shows the colour but no staff panel.
    const stranger = await svc.app.inject({ url: path });
    expect(stranger.body).toContain('data-status="red"');
    expect(stranger.body).not.toContain('data-verdict');
  });
});

describe('grey pass at the door', () => {
  it('self check-in asks to declare first; the staff page says so and offers nothing to record', async () => {
    clock.set('2021-08-03T08:00:00+07:00');
    const cookie = await door.staffCookie('door-staff-2', shop);
    // Declared 23 h 55 min ago: still fresh when the page is opened, grey five minutes later.
    const fresh = await webResident({ declaredAt: new Date(clock.now().getTime() - (24 * 60 - 5) * 60_000) });
    const ticket = await door.ticket(cookie, fresh.self.id);
    const stale = await webResident({ declaredAt: new Date('2021-08-01T07:00:00+07:00') });

    const reply = await stale.chat.text(shop.code);
    expect(textOf(reply)).toContain('cần khai báo y tế trước');
    expect(await door.visitsOf(stale.self.id)).toHaveLength(0);

    const page = await svc.app.inject({ url: await door.passPath(stale.self.id), headers: { cookie } });
    expect(page.body).toContain('data-status="grey"');
    expect(page.body).toContain('data-verdict="declare-first"');
    expect(page.body).toContain('CHƯA KHAI BÁO Y TẾ');
    expect(page.body).toContain('Chưa có gì để ghi nhận');
    expect(page.body).not.toContain('id="staff-checkin"');

    // A ticket issued while fresh, used after the 24 hours ran out: refused, nothing recorded, nobody notified.
    clock.advanceMinutes(6);
    const post = await door.record(cookie, ticket);
    expect(post.statusCode).toBe(403);
    expect(post.body).toContain('data-verdict="declare-first"');
    expect(await door.visitsOf(fresh.self.id)).toHaveLength(0);
    expect((await door.notices(healthOfficialId)).some((o) => o.refId === fresh.self.id)).toBe(false);
  });
});

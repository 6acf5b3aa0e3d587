import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, auditLog, officialRoles, outbox, type Venue } from '../../src/db/schema/index.js';
import { decideEntry } from '../../src/features/checkin/entry.js';
import { defaultEntryPolicyFor, VENUE_KINDS } from '../../src/features/venues/kinds.js';
import { createVenue } from '../../src/features/venues/store.js';
import { chat, payloads, textOf } from '../checkin/chat-driver.js';
import { doorHelpers } from '../checkin/door-helpers.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';

/**
 * Issue 13, yellow at the door: each venue's entry policy (admit | warn | refuse, default by kind) decides a
 * yellow pass, at self check-in and on the staff page, and the owner (chat) or an official (API) changes it.
 */
const clock = new ManualClock('2021-08-01T08:00:00+07:00');
let svc: TestService;
let shop: Venue;
let clinic: Venue;
let cafe: Venue;
let ownerId: string;
let n = 0;
const door = doorHelpers(() => svc, 'owner-pol');

beforeAll(async () => {
  svc = await startTestService({ clock });
  await chat(svc, 'owner-pol').text('/diadiem');
  ownerId = (await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'owner-pol') }))!.id;
  shop = await createVenue(svc.db.db, { name: 'Chợ Tân An', kind: 'shop', ownerAccountId: ownerId });
  clinic = await createVenue(svc.db.db, {
    name: 'Phòng khám Đa khoa Hòa Hảo',
    kind: 'clinic',
    ownerAccountId: ownerId,
  });
  cafe = await createVenue(svc.db.db, { name: 'Cà phê Sân Vườn', kind: 'restaurant', ownerAccountId: ownerId });
  // A health official exists: yellow refusals are audited but are no news for them.
  const [acc] = await svc.db.db
    .insert(accounts)
    .values({ channel: 'web', externalId: 'health-pol', consentedAt: new Date() })
    .returning();
  await svc.db.db.insert(officialRoles).values({ accountId: acc!.id, role: 'health', grantedBy: 'test' });
});
afterAll(() => svc.close());

/** A resident with a fresh declaration that reports fever: a yellow pass. */
async function yellowResident() {
  const ext = `pol-r${++n}`;
  const r = await residentWithDeclaration(svc.db.db, {
    externalId: ext,
    declaredAt: new Date(clock.now().getTime() - 60_000),
  });
  await door.declareSymptoms(r.self.id, r.accountId);
  return { ...r, ext, chat: chat(svc, ext) };
}

const api = (method: 'GET' | 'PATCH' | 'POST', url: string, payload?: unknown) =>
  svc.app.inject({
    method,
    url,
    headers: adminHeaders,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

describe('the rules', () => {
  it('defaults by kind: clinics and schools refuse yellow, every other kind warns', () => {
    for (const k of VENUE_KINDS)
      expect(defaultEntryPolicyFor(k.id)).toBe(k.id === 'clinic' || k.id === 'school' ? 'refuse' : 'warn');
  });

  it('red is refused whatever the policy; no declaration comes before yellow; green always enters', () => {
    const fresh = new Date();
    for (const policy of ['admit', 'warn', 'refuse'] as const) {
      expect(decideEntry({ status: 'red', declaredAt: undefined }, policy).verdict).toBe('refuse');
      expect(decideEntry({ status: 'yellow', declaredAt: fresh }, policy).verdict).toBe(policy);
      expect(decideEntry({ status: 'yellow', declaredAt: undefined }, policy).verdict).toBe('declare-first');
      expect(decideEntry({ status: 'grey', declaredAt: undefined }, policy).verdict).toBe('declare-first');
      expect(decideEntry({ status: 'green', declaredAt: fresh }, policy).verdict).toBe('admit');
    }
  });
});

describe('yellow at self check-in', () => {
  it('warn (a shop by default): told in words at the confirm step and after, and checked in', async () => {
    const r = await yellowResident();
    const ask = await r.chat.text(shop.code);
    expect(textOf(ask)).toContain('Check-in tại Chợ Tân An');
    expect(textOf(ask)).toContain(
      'Lưu ý: Mã QR cá nhân của Anh/Chị đang màu VÀNG (có triệu chứng trong lần khai báo gần nhất)',
    );
    expect(textOf(ask)).toContain('vui lòng đeo khẩu trang');
    const done = await r.chat.press('cf:ok');
    expect(textOf(done)).toContain('Đã check-in tại Chợ Tân An');
    expect(textOf(done)).toContain('màu VÀNG');
    expect(await door.visitsOf(r.self.id)).toHaveLength(1);
  });

  it('refuse (a clinic by default): a kind refusal with the reason and the hotline, nothing recorded, audited, no official notice', async () => {
    const r = await yellowResident();
    const reply = await r.chat.start(`v_${clinic.code}`);
    expect(textOf(reply)).toContain('Phòng khám Đa khoa Hòa Hảo chưa nhận khách có Mã QR cá nhân màu VÀNG');
    expect(textOf(reply)).toContain('có triệu chứng trong lần khai báo gần nhất');
    expect(textOf(reply)).toContain(svc.config.hotline);
    expect(payloads(reply)).not.toContain('cf:ok');
    expect(await door.visitsOf(r.self.id)).toHaveLength(0);
    const audits = await door.refusals(r.self.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details).toMatchObject({
      status: 'yellow',
      policy: 'refuse',
      source: 'self',
      venueId: clinic.id,
    });
    expect(await svc.db.db.query.outbox.findMany({ where: eq(outbox.kind, 'entry-refused') })).toHaveLength(0);
  });

  it('admit (set through the API): checked in with no warning', async () => {
    const res = await api('PATCH', `/api/v1/venues/${cafe.id}`, { entryPolicy: 'admit' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: cafe.id, entryPolicy: 'admit', entryPolicyDefault: false });
    const r = await yellowResident();
    const ask = await r.chat.text(cafe.code);
    expect(textOf(ask)).toContain('Check-in tại Cà phê Sân Vườn');
    expect(textOf(ask)).not.toContain('VÀNG');
    expect(textOf(await r.chat.press('cf:ok'))).toContain('Đã check-in tại Cà phê Sân Vườn');
    expect(await door.visitsOf(r.self.id)).toHaveLength(1);
  });
});

describe('yellow family members', () => {
  it('are left out where the venue refuses yellow, and named in the warning where it warns', async () => {
    const r = await residentWithDeclaration(svc.db.db, {
      externalId: `pol-fam${++n}`,
      family: ['Bé Na'],
      declaredAt: new Date(clock.now().getTime() - 60_000),
    });
    const na = r.family[0]!;
    await door.declareSymptoms(na.id, r.accountId);
    const c = chat(svc, `pol-fam${n}`);
    await c.text(clinic.code);
    await c.press(`cf:t:${na.id}`);
    const atClinic = textOf(await c.press('cf:ok'));
    expect(atClinic).toContain('Đã check-in tại Phòng khám Đa khoa Hòa Hảo');
    expect(atClinic).toContain(
      'Chưa check-in cho Bé Na: Phòng khám Đa khoa Hòa Hảo chưa nhận khách có Mã QR cá nhân màu VÀNG',
    );
    expect(await door.visitsOf(na.id)).toHaveLength(0);
    expect(await door.refusals(na.id)).toHaveLength(1);

    clock.advanceMinutes(40);
    await c.text(shop.code);
    await c.press(`cf:t:${na.id}`);
    const atShop = textOf(await c.press('cf:ok'));
    expect(atShop).toContain('Lưu ý: Mã QR cá nhân của Bé Na đang màu VÀNG');
    expect(await door.visitsOf(na.id)).toHaveLength(1);
  });
});

describe('yellow on the staff page', () => {
  it('warn: the warning in words, and the entry can be recorded (the result repeats the warning)', async () => {
    const cookie = await door.staffCookie('pol-staff-shop', shop);
    const r = await yellowResident();
    const page = await svc.app.inject({ url: await door.passPath(r.self.id), headers: { cookie } });
    expect(page.body).toContain('data-status="yellow"');
    expect(page.body).toContain('data-verdict="warn"');
    expect(page.body).toContain('Cảnh báo: Mã QR cá nhân màu VÀNG');
    expect(page.body).toContain('id="staff-checkin"');
    // Words for the staff, but not the holder's reasons.
    expect(page.body).not.toContain('triệu chứng trong lần khai báo');
    const ticket = /name="ticket" value="([^"]+)"/.exec(page.body)![1]!;
    const post = await door.record(cookie, ticket);
    expect(post.statusCode).toBe(200);
    expect(post.body).toContain('Đã ghi nhận');
    expect(post.body).toContain('data-verdict="warn"');
    expect(await door.visitsOf(r.self.id)).toHaveLength(1);
  });

  it('refuse: a refusal in words, no record button, and POST refused even with a ticket from before', async () => {
    const cookie = await door.staffCookie('pol-staff-clinic', clinic);
    const r = await residentWithDeclaration(svc.db.db, {
      externalId: `pol-r${++n}`,
      declaredAt: new Date(clock.now().getTime() - 60_000),
    });
    const ticket = await door.ticket(cookie, r.self.id); // green now
    await door.declareSymptoms(r.self.id, r.accountId);
    const page = await svc.app.inject({ url: await door.passPath(r.self.id), headers: { cookie } });
    expect(page.body).toContain('data-status="yellow"');
    expect(page.body).toContain('data-verdict="refuse"');
    expect(page.body).toContain('Phòng khám Đa khoa Hòa Hảo không nhận khách có mã màu vàng');
    expect(page.body).not.toContain('id="staff-checkin"');
    const post = await door.record(cookie, ticket);
    expect(post.statusCode).toBe(403);
    expect(await door.visitsOf(r.self.id)).toHaveLength(0);
    expect((await door.refusals(r.self.id)).map((a) => (a.details as { source: string }).source)).toEqual([
      'staff',
      'staff',
    ]);
  });

  it('admit: the colour is said in words, and the button is there', async () => {
    const cookie = await door.staffCookie('pol-staff-cafe', cafe);
    const r = await yellowResident();
    const page = await svc.app.inject({ url: await door.passPath(r.self.id), headers: { cookie } });
    expect(page.body).toContain('data-verdict="admit"');
    expect(page.body).toContain('Mã QR cá nhân màu VÀNG — người này có yếu tố nguy cơ; Cà phê Sân Vườn cho phép vào');
    expect(page.body).toContain('id="staff-checkin"');
    const post = await door.record(cookie, /name="ticket" value="([^"]+)"/.exec(page.body)![1]!);
    expect(post.statusCode).toBe(200);
    expect(post.body).not.toContain('data-verdict');
    expect(await door.visitsOf(r.self.id)).toHaveLength(1);
  });
});

describe('changing the policy', () => {
  it('the owner in chat: the card shows it, three choices, saved and audited, and the door follows at once', async () => {
    const owner = chat(svc, 'owner-pol');
    const card = await owner.press(`vn:open:${shop.id}`);
    expect(textOf(card)).toContain(
      'Mã QR cá nhân màu VÀNG tại cửa: cho vào kèm cảnh báo (mặc định theo loại địa điểm)',
    );
    expect(payloads(card)).toContain(`vn:policy:${shop.id}`);
    const ask = await owner.press(`vn:policy:${shop.id}`);
    expect(textOf(ask)).toContain('Mã màu ĐỎ (ca bệnh xác nhận) luôn không được vào');
    expect(payloads(ask)).toEqual([
      `vn:policy:${shop.id}:admit`,
      `vn:policy:${shop.id}:warn`,
      `vn:policy:${shop.id}:refuse`,
    ]);
    const saved = await owner.press(`vn:policy:${shop.id}:refuse`);
    expect(textOf(saved)).toContain('Đã lưu. Tại Chợ Tân An, khách có Mã QR cá nhân màu VÀNG: không cho vào.');
    expect(textOf(saved)).toContain('tại cửa: không cho vào');
    expect(textOf(saved)).not.toContain('mặc định theo loại');
    const audit = await svc.db.db.query.auditLog.findFirst({
      where: and(eq(auditLog.action, 'venue.entry_policy.set'), eq(auditLog.subjectId, shop.id)),
    });
    expect(audit).toMatchObject({ actor: `account:${ownerId}`, details: { from: null, to: 'refuse', via: 'chat' } });

    const r = await yellowResident();
    expect(textOf(await r.chat.text(shop.code))).toContain('Chợ Tân An chưa nhận khách có Mã QR cá nhân màu VÀNG');
    expect(await door.visitsOf(r.self.id)).toHaveLength(0);

    // Staff may scan but not change the policy; nobody else either.
    await door.staffCookie('pol-staff-2', shop);
    expect(textOf(await chat(svc, 'pol-staff-2').press(`vn:policy:${shop.id}:admit`))).toContain('Chỉ chủ địa điểm');
    expect(textOf(await chat(svc, 'pol-stranger').press(`vn:policy:${shop.id}:admit`))).toContain(
      'không quản lý địa điểm này',
    );
    expect((await api('GET', `/api/v1/venues/${shop.id}`)).json()).toMatchObject({
      entryPolicy: 'refuse',
      entryPolicyDefault: false,
    });
  });

  it('by API: set on creation, changed, back to the default with null, audited; bad values refused', async () => {
    const created = await api('POST', '/api/v1/venues', { name: 'Trường Tiểu học Cái Khế', kind: 'school' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ entryPolicy: 'refuse', entryPolicyDefault: true });
    const id = created.json().id as string;
    const warned = await api('POST', '/api/v1/venues', {
      name: 'Nhà thuốc Long Châu',
      kind: 'clinic',
      entryPolicy: 'warn',
    });
    expect(warned.json()).toMatchObject({ entryPolicy: 'warn', entryPolicyDefault: false });

    expect((await api('PATCH', `/api/v1/venues/${id}`, { entryPolicy: 'warn' })).json()).toMatchObject({
      entryPolicy: 'warn',
      entryPolicyDefault: false,
    });
    expect((await api('PATCH', `/api/v1/venues/${id}`, { entryPolicy: null })).json()).toMatchObject({
      entryPolicy: 'refuse',
      entryPolicyDefault: true,
    });
    const audits = await svc.db.db.query.auditLog.findMany({
      where: and(eq(auditLog.action, 'venue.entry_policy.set'), eq(auditLog.subjectId, id)),
    });
    expect(audits.map((a) => a.details)).toEqual([
      { from: null, to: 'warn', via: 'api' },
      { from: 'warn', to: null, via: 'api' },
    ]);
    expect(audits[0]!.actor).toBeTruthy();

    for (const body of [{ entryPolicy: 'maybe' }, { entryPolicy: 1 }, {}, { entryPolicy: 'warn', name: 'x' }]) {
      const res = await api('PATCH', `/api/v1/venues/${id}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await api('POST', '/api/v1/venues', { name: 'Quán Nhậu', kind: 'bar', entryPolicy: 'sometimes' })).statusCode,
    ).toBe(400);
    const missing = await api('PATCH', '/api/v1/venues/00000000-0000-4000-8000-000000000000', { entryPolicy: 'warn' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('VENUE_NOT_FOUND');
    expect(
      (await svc.app.inject({ method: 'PATCH', url: `/api/v1/venues/${id}`, payload: { entryPolicy: 'admit' } }))
        .statusCode,
    ).toBe(401);

    // The OpenAPI document carries the new route and field.
    const doc = (await api('GET', '/api/v1/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/venues/{id}'] ?? {})).toContain('patch');
    expect(JSON.stringify(doc.paths['/api/v1/venues']!.post)).toContain('entryPolicy');
  });
});

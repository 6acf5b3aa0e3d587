import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { queryRows } from '../../src/db/client.js';
import {
  accounts,
  apiTokens,
  cases,
  contacts,
  declarations,
  dialogStates,
  officialRoles,
  outbox,
  persons,
  staffLoginLinks,
  venueStaff,
  venues,
  visits,
  webInbox,
} from '../../src/db/schema/index.js';
import { decryptNationalId, nationalIdLookupHash } from '../../src/features/people/national-id.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { PNG } from 'pngjs';
import { decodeQrPng } from '../helpers/qr.js';
import { WebChatClient } from './chat-client.js';
import { answerHealthQuestions } from '../helpers/declaration-form.js';
import { REDECLARATION_QUESTIONS } from '../../src/features/health-form/questions.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc?.close());

const db = () => svc.db.db;
const accountOf = (c: WebChatClient) =>
  db().query.accounts.findFirst({ where: and(eq(accounts.channel, 'web'), eq(accounts.externalId, c.clientId)) });

/** Welcome → Vietnamese → agree: the first three messages of every new resident. */
async function consented(): Promise<WebChatClient> {
  const c = new WebChatClient(svc.app);
  await c.start();
  await c.tap('Tiếng Việt');
  await c.tap('Đồng ý');
  return c;
}

describe('web chat page', () => {
  it('serves a mobile page with a form and no external assets', async () => {
    const res = await svc.app.inject({ method: 'GET', url: '/chat', headers: { 'accept-language': 'vi-VN,vi;q=0.9' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('name="viewport"');
    expect(res.body).toContain('/chat/api/messages');
    expect(res.body).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
  });

  it('refuses a malformed id or more than one kind of message', async () => {
    const bad = await svc.app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      payload: { clientId: 'short', text: 'hi' },
    });
    expect(bad.statusCode).toBe(400);
    const two = await svc.app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      payload: { clientId: 'a'.repeat(20), text: 'hi', payload: 'x' },
    });
    expect(two.statusCode).toBe(400);
    expect(two.json().error.code).toBe('WEB_CHAT_BAD_MESSAGE');
  });
});

describe('consent', () => {
  it('stores nothing personal before consent, and declining deletes the account row', async () => {
    const c = new WebChatClient(svc.app);
    await c.start();
    expect(c.transcript()).toContain('chọn ngôn ngữ');
    expect((await accountOf(c))?.consentedAt).toBeNull();
    await c.tap('Tiếng Việt');
    expect(c.transcript()).toContain('dữ liệu cá nhân');
    await c.say('hmm');
    expect(c.transcript()).toContain('«Đồng ý» hoặc «Không đồng ý»');
    await c.tap('Không đồng ý');
    expect(c.transcript()).toContain('không lưu thông tin nào');
    expect(await accountOf(c)).toBeUndefined();
  });

  it('a command before consent shows the privacy notice, then continues to the declaration', async () => {
    const c = new WebChatClient(svc.app);
    await c.say('/khaibao');
    expect(c.transcript()).toContain('dữ liệu cá nhân');
    await c.say('đồng ý');
    expect(c.transcript()).toContain('Họ và tên');
  });
});

describe('declaration through the web chat', () => {
  let c: WebChatClient;
  let firstSent = 0;
  let firstReceived = 0;

  it('a complete first declaration, with refusals that keep earlier answers, ends with the pass', async () => {
    c = new WebChatClient(svc.app);
    await c.start();
    await c.tap('Tiếng Việt');
    await c.tap('Đồng ý');
    expect(c.transcript()).toContain('Họ và tên');
    await c.say('Nguyen Van 2');
    expect(c.transcript()).toContain('không được có chữ số');
    expect(c.transcript()).toContain('Họ và tên');
    await c.say('Nguyễn Văn An');
    await c.say('85');
    expect(c.transcript()).toContain('4 chữ số');
    await c.say('1985');
    expect(c.last[0]!.buttons?.flat().map((b) => b.label)).toEqual(['Nam', 'Nữ', 'Khác']);
    await c.say('nam');
    await c.say('12345');
    expect(c.transcript()).toContain('Số điện thoại chưa đúng');
    await c.say('0912 345 678');
    await c.say('12345');
    expect(c.transcript()).toContain('CCCD có 12 chữ số');
    await c.say('092085001234');
    await c.say('zzz');
    expect(c.transcript()).toContain('Không tìm thấy phường');
    await c.say('cai khe');
    await c.tap('Phường Cái Khế');
    await c.say('12 Trần Văn Khéo');
    // Each way of typing "no" once; any other health question is answered "no" too.
    await answerHealthQuestions(c.form(), {
      answers: {
        travel: 'Không',
        symptoms: { tap: 'Không có triệu chứng' },
        contact_case: 'ko',
        contact_area: 'k',
        contact_symptoms: 'khong',
      },
    });
    await c.tap('2');
    const summary = c.transcript();
    for (const s of [
      'Nguyễn Văn An',
      '1985',
      'Nam',
      '0912 345 678',
      'CCCD ••••1234',
      'Phường Cái Khế',
      '12 Trần Văn Khéo',
      'Số mũi vắc-xin: 2',
    ]) {
      expect(summary).toContain(s);
    }
    expect(summary).not.toContain('092085001234');
    await c.tap('Xác nhận');
    expect(c.last[0]!.text).toContain('Cảm ơn Nguyễn Văn An');
    expect(c.last.length).toBe(2);
    const pass = Buffer.from(c.last[1]!.image!.replace(/^data:image\/png;base64,/, ''), 'base64');
    console.info(`[declaration] pass PNG in the chat: ${pass.length} bytes`);
    expect(decodeQrPng(pass)).toMatch(/^https:\/\/khaibao\.test\/v\/[A-Za-z0-9_.-]+$/);
    // The pass is read after the declaration is written: green at once, on the first declaration.
    expect(c.last[1]!.text).toContain('Mã QR của Anh/Chị: XANH');
    firstSent = c.sent;
    firstReceived = c.received;

    const account = (await accountOf(c))!;
    const me = await db().query.persons.findFirst({ where: eq(persons.ownerAccountId, account.id) });
    expect(me).toMatchObject({
      fullName: 'Nguyễn Văn An',
      birthYear: 1985,
      gender: 'male',
      phone: '+84912345678',
      isSelf: true,
      idKind: 'cccd',
      idNumberLast4: '1234',
      wardCode: '31117',
      vaccineDoses: 2,
    });
    expect(me!.idNumberEnc).not.toContain('092085001234');
    expect(decryptNationalId(svc.deps.secrets().dataKey, me!.idNumberEnc!)).toBe('092085001234');
    // The keyed lookup hash is set with it: a venue's scanner finds this person from their CCCD.
    expect(me!.idNumberHash).toBe(nationalIdLookupHash(svc.deps.secrets().idLookupKey, '092085001234'));
    expect(account.personId).toBe(me!.id);
    const decl = await db().query.declarations.findMany({ where: eq(declarations.personId, me!.id) });
    expect(decl).toHaveLength(1);
    expect(decl[0]).toMatchObject({
      travel: false,
      symptoms: [],
      contactCase: false,
      contactOutbreakArea: false,
      contactSymptoms: false,
      vaccineDoses: 2,
    });
    // The ID number is never kept in clear, not even in the dialog state.
    const states = await queryRows<{ t: string }>(db(), sql`select data::text as t from dialog_states`);
    expect(states.some((s) => s.t.includes('092085001234'))).toBe(false);
  });

  it('an edit from the summary changes one field and keeps the others', async () => {
    await c.say('/khaibao');
    await answerHealthQuestions(c.form(), {
      typed: true,
      answers: {
        travel: 'co',
        travel_places: 'TP. Hồ Chí Minh',
        symptoms: async () => {
          await c.tap('Sốt');
          expect(c.last[0]!.buttons!.flat().find((b) => b.label.includes('Sốt'))!.label).toContain('☑');
          await c.tap('Ho');
          await c.tap('Sốt'); // unselect
          await c.tap('Xong');
        },
        contact_symptoms: 'có',
      },
    });
    expect(c.transcript()).toContain('Triệu chứng: Ho');
    await c.tap('Sửa');
    await c.tap('Năm sinh');
    await c.say('3000');
    expect(c.transcript()).toContain('từ 1900 đến năm nay');
    await c.say('1986');
    const summary = c.transcript();
    expect(summary).toContain('Năm sinh: 1986');
    expect(summary).toContain('Họ tên: Nguyễn Văn An');
    expect(summary).toContain('Triệu chứng: Ho');
    expect(summary).toContain('(TP. Hồ Chí Minh)');
    await c.tap('Sửa');
    await c.tap('Phường/xã');
    await c.say('an');
    expect(c.last.flatMap((r) => r.buttons ?? []).flat().length).toBeGreaterThan(3);
    await c.tap('Phường An Hòa');
    expect(c.transcript()).toContain('Phường/xã: Phường An Hòa');
    await c.tap('Xác nhận');
    const account = (await accountOf(c))!;
    const me = await db().query.persons.findFirst({ where: eq(persons.id, account.personId!) });
    expect(me).toMatchObject({ birthYear: 1986, wardCode: '31120', idNumberLast4: '1234' });
    const decl = await db().query.declarations.findMany({
      where: eq(declarations.personId, me!.id),
      orderBy: (d, { desc }) => [desc(d.declaredAt), desc(d.id)],
    });
    expect(decl).toHaveLength(2);
    expect(decl.find((d) => d.travel)).toMatchObject({
      travelPlaces: 'TP. Hồ Chí Minh',
      symptoms: ['cough'],
      contactSymptoms: true,
    });
  });

  it('a re-declaration asks only the health questions', async () => {
    (svc.clock as ManualClock).advance(24 * 3_600_000);
    c.resetCounts();
    await c.say('/khaibao');
    expect(c.transcript()).toContain('Chào Nguyễn Văn An');
    expect(c.transcript()).toContain('tỉnh/thành phố khác');
    await answerHealthQuestions(c.form());
    expect(c.transcript()).toContain('kiểm tra lại');
    await c.tap('Xác nhận');
    expect(c.last[0]!.text).toContain('Cảm ơn');
    const again = { sent: c.sent, received: c.received };
    console.info(
      `[declaration] messages sent by the resident: first declaration ${firstSent} (replies ${firstReceived}; 5 of those answers were refused on purpose, so ${firstSent - 5} without mistakes), re-declaration ${again.sent} (replies ${again.received})`,
    );
    // One message per health question and the vaccine doses («Không thay đổi»), plus /khaibao and «Xác nhận».
    expect(again.sent).toBeLessThanOrEqual(REDECLARATION_QUESTIONS.length + 2);
    const account = (await accountOf(c))!;
    expect(await db().$count(declarations, eq(declarations.personId, account.personId!))).toBe(3);
  });

  it('/huy leaves a flow and keeps what was confirmed; /ngonngu switches language mid-flow', async () => {
    await c.say('/khaibao');
    await c.say('/trogiup');
    expect(c.transcript()).toContain('/xoadulieu');
    expect(c.transcript()).toContain('tỉnh/thành phố khác');
    await c.say('/ngonngu');
    await c.tap('English');
    expect(c.transcript()).toContain('Language set to English');
    expect(c.transcript()).toContain('travelled to another province');
    await c.say('/cancel');
    expect(c.transcript()).toContain('Everything you confirmed before is kept');
    const account = (await accountOf(c))!;
    expect(await db().$count(declarations, eq(declarations.personId, account.personId!))).toBe(3);
    await c.say('/pass');
    expect(c.last[0]!.image).toMatch(/^data:image\/png;base64,/);
    await c.say('hello');
    expect(c.transcript()).toContain('/declare');
    await c.tap('Language');
    await c.tap('Tiếng Việt');
  });

  it('a family member without a phone: add, declare, printable pass, edit, remove', async () => {
    await c.say('/giadinh');
    expect(c.transcript()).toContain('chưa thêm người thân');
    await c.tap('Thêm người thân');
    await c.say('Trần Thị Bình');
    expect(c.transcript()).toContain('Trần Thị Bình sinh năm nào');
    await c.say('1950');
    await c.tap('Nữ');
    await c.tap('Bỏ qua'); // no phone
    await c.tap('Bỏ qua'); // no ID
    await c.say('xuan khanh');
    await c.tap('Xuân Khánh');
    await c.say('12 Trần Văn Khéo');
    await answerHealthQuestions(c.form(), { typed: true });
    await c.tap('Bỏ qua');
    expect(c.transcript()).toContain('Điện thoại: Không cung cấp');
    await c.tap('Xác nhận');
    expect(c.last[0]!.text).toContain('Đã khai báo xong cho Trần Thị Bình');
    expect(c.last).toHaveLength(2);

    const account = (await accountOf(c))!;
    const family = await db().query.persons.findMany({
      where: and(eq(persons.ownerAccountId, account.id), eq(persons.isSelf, false)),
    });
    expect(family).toHaveLength(1);
    expect(family[0]).toMatchObject({
      fullName: 'Trần Thị Bình',
      birthYear: 1950,
      gender: 'female',
      phone: null,
      idNumberEnc: null,
      wardCode: '31144',
    });
    expect((await accountOf(c))!.personId).not.toBe(family[0]!.id);

    await c.say('/giadinh');
    await c.tap('Trần Thị Bình (1950)');
    await c.tap('Khai báo');
    expect(c.transcript()).toContain('Trần Thị Bình có đi');
    await answerHealthQuestions(c.form(), { typed: true });
    await c.tap('Xác nhận');
    expect(await db().$count(declarations, eq(declarations.personId, family[0]!.id))).toBe(2);

    await c.say('/giadinh');
    await c.tap('Trần Thị Bình (1950)');
    await c.tap('Thẻ in Mã QR cá nhân');
    expect(c.last).toHaveLength(1);
    expect(c.last[0]!.text).toContain('khổ A6');
    const printable = Buffer.from(c.last[0]!.image!.replace(/^data:image\/png;base64,/, ''), 'base64');
    const { width, height } = PNG.sync.read(printable);
    expect(height / width).toBeCloseTo(148 / 105, 1); // A6 portrait
    expect(decodeQrPng(printable)).toMatch(/^https:\/\/khaibao\.test\/v\//);

    await c.say('/giadinh');
    await c.tap('Trần Thị Bình (1950)');
    await c.tap('Sửa thông tin');
    expect(c.transcript()).toContain('Thông tin cá nhân');
    expect(c.transcript()).not.toContain('Triệu chứng');
    await c.tap('Sửa');
    await c.tap('Năm sinh');
    await c.say('1951');
    await c.tap('Lưu');
    expect(c.transcript()).toContain('Đã lưu');
    expect((await db().query.persons.findFirst({ where: eq(persons.id, family[0]!.id) }))!.birthYear).toBe(1951);
    expect(await db().$count(declarations, eq(declarations.personId, family[0]!.id))).toBe(2);

    // Someone else's person id in a forged button payload reaches nothing.
    const other = await consented();
    await other.say('/qr');
    expect(other.transcript()).toContain('chưa khai báo');
    await other.tap('Khai báo ngay');
    expect(other.transcript()).toContain('Họ và tên');
    await other.post({ payload: `fam:x:${family[0]!.id}` });
    expect(other.transcript()).toContain('Không tìm thấy');
  });

  it('deletion removes everything about the account and its family from every table', async () => {
    const account = (await accountOf(c))!;
    const people = await db().query.persons.findMany({ where: eq(persons.ownerAccountId, account.id) });
    expect(people).toHaveLength(2);
    // Give them traces in other areas: a visit per person, an outbox message, a collected-later web message.
    const [venue] = await db()
      .insert(venues)
      .values({ code: 'CAFE1', name: 'Cà phê Sông Hậu', kind: 'restaurant', defaultStayMinutes: 60 })
      .returning();
    for (const p of people) {
      await db().insert(visits).values({
        personId: p.id,
        venueId: venue!.id,
        accountId: account.id,
        enteredAt: svc.clock.now(),
        source: 'poster',
        channel: 'web',
      });
    }
    await db()
      .insert(outbox)
      .values({ channel: 'web', accountId: account.id, kind: 'alert', dedupeKey: `t:${account.id}`, payload: [] });
    await db().insert(webInbox).values({ accountId: account.id, payload: [] });
    // …and as an official and venue staff, and as a confirmed case with the family member a close contact.
    await db().insert(officialRoles).values({ accountId: account.id, role: 'health', grantedBy: 'bootstrap' });
    await db()
      .insert(apiTokens)
      .values({ tokenHash: `h:${account.id}`, accountId: account.id, roles: ['health'], createdBy: 'bootstrap' });
    await db()
      .update(dialogStates)
      .set({ menu: [`fam:x:${people[1]!.id}`] })
      .where(eq(dialogStates.accountId, account.id));
    await db().insert(venueStaff).values({ venueId: venue!.id, accountId: account.id, role: 'staff' });
    await db()
      .insert(staffLoginLinks)
      .values({ codeHash: `s:${account.id}`, venueId: venue!.id, accountId: account.id, expiresAt: svc.clock.now() });
    const self = people.find((p) => p.isSelf)!;
    const [kase] = await db()
      .insert(cases)
      .values({
        personId: self.id,
        phone: self.phone,
        infectiousFrom: svc.clock.now(),
        infectiousTo: svc.clock.now(),
        createdBy: 'bootstrap',
        // Closed, and the contact's follow-up over: nothing is held (test/privacy/deletion-hold.test.ts).
        closedAt: svc.clock.now(),
      })
      .returning();
    const fam = people.find((p) => !p.isSelf)!;
    const longAgo = new Date(svc.clock.now().getTime() - 15 * 86_400_000);
    await db().insert(contacts).values({
      exposureKey: kase!.id,
      caseId: kase!.id,
      personId: fam.id,
      accountId: account.id,
      kind: 'close',
      overlapMinutes: 0,
      exposedAt: longAgo,
      alertedAt: longAgo,
      createdAt: longAgo,
    });

    await c.say('/xoadulieu');
    expect(c.transcript()).toContain('xóa vĩnh viễn');
    await c.tap('Không xóa');
    expect(await accountOf(c)).toBeDefined();
    await c.say('/xoadulieu');
    await c.tap('Xóa tất cả');
    expect(c.transcript()).toContain('Đã xóa toàn bộ');

    const needles = [
      account.id,
      c.clientId,
      ...people.map((p) => p.id),
      '+84912345678',
      'Nguyễn Văn An',
      'Trần Thị Bình',
    ];
    const tables = await queryRows<{ name: string }>(
      db(),
      sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const { name } of tables) {
      const rows = await queryRows<{ t: string }>(db(), sql`select t::text as t from ${sql.identifier(name)} t`);
      for (const r of rows)
        for (const n of needles) expect(r.t.includes(n), `${name} still holds ${n.slice(0, 8)}…`).toBe(false);
    }
    expect(await db().$count(visits)).toBe(0);
    expect(await db().$count(dialogStates, eq(dialogStates.accountId, account.id))).toBe(0);
    // The venue (not theirs) stays; so does the case as an anonymous official record, its exposures still valid.
    expect(await db().$count(venues)).toBe(1);
    expect(await db().query.cases.findFirst({ where: eq(cases.id, kase!.id) })).toMatchObject({
      personId: null,
      phone: null,
    });
  });
});

describe('shared phone contacts', () => {
  it('accepts only the sender’s own number', async () => {
    const c = await consented();
    await c.say('Lê Thị Cúc');
    await c.say('1990');
    await c.say('nữ');
    const contact = (isOwn: boolean, id: string) =>
      svc.runner.handle({
        channel: 'web',
        accountId: c.clientId,
        messageId: id,
        kind: 'contact',
        phone: '84987654321',
        isOwn,
      });
    const refused = await contact(false, 'contact-1');
    expect(refused.replies.map((r) => r.text).join('\n')).toContain('chính Anh/Chị');
    const accepted = await contact(true, 'contact-2');
    expect(accepted.replies.map((r) => r.text).join('\n')).toContain('CCCD');
    await c.say('bỏ qua');
    expect(c.transcript()).toContain('phường/xã');
    await c.say('/huy');
    expect(await db().$count(persons, eq(persons.phone, '+84987654321'))).toBe(0);
  });
});

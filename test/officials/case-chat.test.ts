import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, outbox } from '../../src/db/schema/index.js';
import { parseVnDate } from '../../src/features/officials/case-chat.js';
import { createInvite } from '../../src/features/officials/invites.js';
import { queryRows } from '../../src/db/client.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { handle, press, say, seedAccounts, seedWards } from '../broadcast/fixtures.js';

// ManualClock: 2021-08-01 08:00 Vietnam time.
const outboxCount = async () => (await svc.db.db.select({ n: sql<number>`count(*)::int` }).from(outbox))[0]!.n;
let svc: TestService;
let contactAccount: string;
beforeAll(async () => {
  svc = await startTestService();
  const db = svc.db.db;
  await seedWards(db);
  const [caseAcc] = await seedAccounts(db, { n: 1, prefix: 'f0-', wardCode: '31117' });
  contactAccount = (await seedAccounts(db, { n: 1, prefix: 'f1-', wardCode: '31117' }))[0]!;
  await db.execute(
    sql`update persons set phone = '+84912345678', phone_verified = true where owner_account_id = ${caseAcc!}`,
  );
  const pid = async (acc: string) =>
    (await queryRows<{ id: string }>(db, sql`select id from persons where owner_account_id = ${acc}`))[0]!.id;
  await db.execute(sql`insert into venues (id, code, name, kind, default_stay_minutes) values
    ('20000000-0000-4000-8000-000000000001', 'CF1', 'Quán cà phê Mộc', 'cafe', 60)`);
  const visit = (p: string, acc: string, from: string, to: string) =>
    db.execute(sql`insert into visits (person_id, venue_id, account_id, entered_at, exited_at, source, channel)
      values (${p}, '20000000-0000-4000-8000-000000000001', ${acc}, ${from}::timestamptz, ${to}::timestamptz, 'poster', 'telegram')`);
  await visit(await pid(caseAcc!), caseAcc!, '2021-07-31T10:00:00+07:00', '2021-07-31T11:00:00+07:00');
  await visit(await pid(contactAccount), contactAccount, '2021-07-31T10:30:00+07:00', '2021-07-31T11:30:00+07:00');
  for (const [acc, role] of [
    ['doctor', 'health'],
    ['press', 'comms'],
  ] as const) {
    const inv = await createInvite(db, { role, actor: 'test', now: svc.clock.now() });
    await handle(svc, { channel: 'web', accountId: acc, kind: 'start', param: `o_${inv.code}` });
  }
});
afterAll(() => svc.close());

describe('/f0 in chat', () => {
  it('reads dates as people type them, in Vietnam time', () => {
    const now = new Date('2021-08-01T08:00:00+07:00');
    expect(parseVnDate('hôm nay', now)!.toISOString()).toBe('2021-07-31T17:00:00.000Z');
    expect(parseVnDate('hom qua', now)!.toISOString()).toBe('2021-07-30T17:00:00.000Z');
    expect(parseVnDate('20/7', now)!.toISOString()).toBe('2021-07-19T17:00:00.000Z');
    expect(parseVnDate('20-07-2021', now)!.toISOString()).toBe('2021-07-19T17:00:00.000Z');
    expect(parseVnDate('28/12', new Date('2022-01-02T08:00:00+07:00'))!.toISOString()).toBe('2021-12-27T17:00:00.000Z');
    expect(parseVnDate('31/02/2021', now)).toBeUndefined();
    expect(parseVnDate('tuần trước', now)).toBeUndefined();
  });

  it('/trogiup lists a health official the commands of their role, and no others', async () => {
    const help = (await say(svc, 'doctor', '/trogiup')).join('\n');
    expect(help).toContain('/khaibao: khai báo y tế');
    expect(help).toContain('/f0: ghi nhận ca bệnh xác nhận theo số điện thoại');
    expect(help).toContain('/canbo: quyền và lệnh của cán bộ');
    expect(help).not.toContain('/moi:');
  });

  it('a health official records a case: bad answers are explained, contacts are alerted, the result comes back', async () => {
    expect((await say(svc, 'doctor', '/f0'))[0]).toMatch(/Số điện thoại của ca bệnh xác nhận/);
    expect((await say(svc, 'doctor', '12345'))[0]).toMatch(/chưa đúng/);
    expect((await say(svc, 'doctor', '0912 345 678'))[0]).toBe('Anh/Chị biết ngày nào ạ?');
    expect((await press(svc, 'doctor', 'f0:test'))[0]).toMatch(/Ngày lấy mẫu xét nghiệm/);
    expect((await say(svc, 'doctor', '32/13'))[0]).toMatch(/Chưa đọc được/);
    expect((await say(svc, 'doctor', '15/8'))[0]).toMatch(/trong vòng 30 ngày/);
    const confirm = await say(svc, 'doctor', 'hôm qua');
    expect(confirm[0]).toBe(
      'Ghi nhận ca bệnh:\nSố điện thoại: +84912345678\nNgày lấy mẫu xét nghiệm: 31/07/2021\nAnh/Chị xác nhận? Bấm «Ghi nhận» để xem trước những ai sẽ được cảnh báo; chưa gửi cảnh báo nào trước khi Anh/Chị bấm «Gửi cảnh báo».',
    );
    // The preview: what would go out, and nothing stored yet.
    const preview = (await handle(svc, { channel: 'web', accountId: 'doctor', kind: 'button', payload: 'f0:record' }))
      .replies[0]!;
    expect(preview.text).toBe(
      [
        'Xem trước — chưa gửi cảnh báo nào. Khung thời gian tại địa điểm:',
        '• Quán cà phê Mộc: 09:00 – 12:00 31/07/2021 — 1 người ở gần, 0 người cùng địa điểm',
        'Tổng cộng: 1 người ở gần ca bệnh, 0 người cùng địa điểm, 0 người cùng hộ gia đình ca bệnh; 1 cảnh báo sẽ được gửi.',
      ].join('\n'),
    );
    expect(preview.buttons?.flat().map((b) => b.label)).toEqual(['Gửi cảnh báo', 'Sửa khung giờ', 'Hủy']);
    expect(await svc.db.db.select().from(cases)).toHaveLength(0);
    expect(await svc.db.db.select().from(outbox)).toHaveLength(0);
    expect((await press(svc, 'doctor', 'f0:send'))[0]).toMatch(/Đang ghi nhận ca bệnh/);

    const report = await svc.db.db.query.outbox.findFirst({ where: eq(outbox.kind, 'case_report') });
    expect((report!.payload as { text: string }[])[0]!.text).toBe(
      'Đã ghi nhận ca bệnh (thời gian lây nhiễm tính từ 00:00 29/07/2021): 1 khung thời gian tại địa điểm, 1 người có mặt cùng địa điểm và thời gian, 1 cảnh báo đang được gửi.',
    );
    const alerts = await svc.db.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.kind, 'alert'), eq(outbox.accountId, contactAccount)));
    expect(alerts).toHaveLength(1);
  });

  it('an unknown phone is kept as a case and said so; /f0 with the phone skips the question', async () => {
    expect((await say(svc, 'doctor', '/case 0987654321'))[0]).toBe('Anh/Chị biết ngày nào ạ?');
    await say(svc, 'doctor', '1');
    await say(svc, 'doctor', '30/7');
    await say(svc, 'doctor', 'ghi nhận');
    await say(svc, 'doctor', 'gửi cảnh báo');
    const reports = await svc.db.db.select().from(outbox).where(eq(outbox.kind, 'case_report'));
    expect(reports).toHaveLength(2);
    const texts = reports.map((r) => (r.payload as { text: string }[])[0]!.text);
    expect(texts.some((t) => /chưa khai báo trên Khai báo y tế Cần Thơ/.test(t))).toBe(true);
  });

  it('«Sửa khung giờ» trims a window by typed times and removes one; «Gửi cảnh báo» then alerts only who is left', async () => {
    const db = svc.db.db;
    const [caseAcc] = await seedAccounts(db, { n: 1, prefix: 'f0b-', wardCode: '31117' });
    const [early, late] = await seedAccounts(db, { n: 2, prefix: 'f1b-', wardCode: '31117' });
    await db.execute(
      sql`update persons set phone = '+84911000222', phone_verified = true where owner_account_id = ${caseAcc!}`,
    );
    const pid = async (acc: string) =>
      (await queryRows<{ id: string }>(db, sql`select id from persons where owner_account_id = ${acc}`))[0]!.id;
    await db.execute(sql`insert into venues (id, code, name, kind, default_stay_minutes) values
      ('20000000-0000-4000-8000-000000000003', 'CH3', 'Chợ Tân An', 'market', 60),
      ('20000000-0000-4000-8000-000000000004', 'NH4', 'Nhà hàng Sen', 'restaurant', 60)`);
    const visit = async (acc: string, venue: string, from: string, to: string) =>
      db.execute(sql`insert into visits (person_id, venue_id, account_id, entered_at, exited_at, source, channel)
        values (${await pid(acc)}, ${venue}::uuid, ${acc}, ${from}::timestamptz, ${to}::timestamptz, 'poster', 'telegram')`);
    const MARKET = '20000000-0000-4000-8000-000000000003';
    const RESTAURANT = '20000000-0000-4000-8000-000000000004';
    await visit(caseAcc!, MARKET, '2021-07-31T08:00:00+07:00', '2021-07-31T12:00:00+07:00');
    await visit(caseAcc!, RESTAURANT, '2021-07-31T18:00:00+07:00', '2021-07-31T19:00:00+07:00');
    await visit(early!, MARKET, '2021-07-31T08:30:00+07:00', '2021-07-31T09:00:00+07:00');
    await visit(late!, MARKET, '2021-07-31T11:00:00+07:00', '2021-07-31T11:40:00+07:00');
    await visit(late!, RESTAURANT, '2021-07-31T18:10:00+07:00', '2021-07-31T18:50:00+07:00');

    await say(svc, 'doctor', '/f0 0911000222');
    await press(svc, 'doctor', 'f0:test');
    await say(svc, 'doctor', 'hôm qua');
    const before = outboxCount();
    const preview = await press(svc, 'doctor', 'f0:record');
    expect(preview[0]).toContain('• Chợ Tân An: 07:00 – 13:00 31/07/2021 — 2 người ở gần, 0 người cùng địa điểm');
    // Đặng is counted once, at his strongest window (the market).
    expect(preview[0]).toContain('• Nhà hàng Sen: 17:00 – 20:00 31/07/2021 — 0 người ở gần, 0 người cùng địa điểm');
    expect(preview[0]).toContain('2 cảnh báo sẽ được gửi');
    const edit = (await handle(svc, { channel: 'web', accountId: 'doctor', kind: 'button', payload: 'f0:edit' }))
      .replies[0]!;
    expect(edit.text).toContain('1. Chợ Tân An: 07:00 – 13:00 31/07/2021');
    expect(edit.buttons?.flat().map((b) => b.label)).toEqual(['Bỏ 1. Chợ Tân An', 'Bỏ 2. Nhà hàng Sen', 'Xong']);
    expect((await say(svc, 'doctor', '1 25:00-26:00'))[0]).toMatch(/Chưa đọc được/);
    // The case stayed in one stall early in the morning: the market window is cut to 07:00–09:30.
    expect((await say(svc, 'doctor', '1 07:00-09:30'))[0]).toContain('1. Chợ Tân An: 07:00 – 09:30 31/07/2021');
    // The restaurant is removed.
    expect((await press(svc, 'doctor', 'f0:drop:1'))[0]).not.toContain('Nhà hàng Sen');
    const again = await press(svc, 'doctor', 'f0:done');
    expect(again[0]).toContain('• Chợ Tân An: 07:00 – 09:30 31/07/2021 — 1 người ở gần, 0 người cùng địa điểm');
    expect(again[0]).not.toContain('Nhà hàng Sen');
    expect(again[0]).toContain('1 cảnh báo sẽ được gửi');
    expect(await outboxCount()).toBe(await before);
    await press(svc, 'doctor', 'f0:send');
    const alertsTo = async (acc: string) =>
      (
        await db
          .select()
          .from(outbox)
          .where(and(eq(outbox.kind, 'alert'), eq(outbox.accountId, acc)))
      ).length;
    expect(await alertsTo(early!)).toBe(1);
    expect(await alertsTo(late!)).toBe(0);
  });

  it('a typed phone is a possible match only: the report offers «Xác nhận», which links the person and alerts', async () => {
    const db = svc.db.db;
    const [typist] = await seedAccounts(db, { n: 1, prefix: 'f0t-', wardCode: '31117' });
    const [met] = await seedAccounts(db, { n: 1, prefix: 'f1t-', wardCode: '31117' });
    await db.execute(
      sql`update persons set phone = '+84911000444', phone_verified = false, phone_source = 'typed' where owner_account_id = ${typist!}`,
    );
    const pid = async (acc: string) =>
      (await queryRows<{ id: string }>(db, sql`select id from persons where owner_account_id = ${acc}`))[0]!.id;
    const visit = async (acc: string, from: string, to: string) =>
      db.execute(sql`insert into visits (person_id, venue_id, account_id, entered_at, exited_at, source, channel)
        values (${await pid(acc)}, '20000000-0000-4000-8000-000000000001', ${acc}, ${from}::timestamptz, ${to}::timestamptz, 'poster', 'telegram')`);
    await visit(typist!, '2021-07-31T15:00:00+07:00', '2021-07-31T16:00:00+07:00');
    await visit(met!, '2021-07-31T15:00:00+07:00', '2021-07-31T16:00:00+07:00');
    const alertsToMet = async () =>
      (
        await db
          .select()
          .from(outbox)
          .where(and(eq(outbox.kind, 'alert'), eq(outbox.accountId, met!)))
      ).length;

    await say(svc, 'doctor', '/f0 0911000444');
    await press(svc, 'doctor', 'f0:test');
    await say(svc, 'doctor', 'hôm qua');
    const preview = (await press(svc, 'doctor', 'f0:record'))[0]!;
    expect(preview).toContain('0 cảnh báo sẽ được gửi');
    expect(preview).toContain('Có 1 người tự gõ số điện thoại này (chưa xác thực), nên chưa được liên kết.');
    await press(svc, 'doctor', 'f0:send');
    expect(await alertsToMet()).toBe(0);
    const [c] = await db.select().from(cases).where(eq(cases.phone, '+84911000444'));
    expect(c!.personId).toBeNull();
    const report = (await db.select().from(outbox).where(eq(outbox.kind, 'case_report'))).find((r) =>
      (r.payload as { text: string }[])[0]!.text.includes('chưa xác thực'),
    )!;
    const buttons = (report.payload as { buttons?: { label: string; payload: string }[][] }[])[0]!.buttons!.flat();
    expect(buttons).toHaveLength(1);
    expect(buttons[0]!.label).toMatch(/^Xác nhận: .+ \(\d{4}, \w+\)$/);
    expect(Buffer.byteLength(buttons[0]!.payload)).toBeLessThanOrEqual(64);
    // A comms official may not confirm.
    expect((await press(svc, 'press', buttons[0]!.payload))[0]).toMatch(/chưa hiểu lệnh/);
    const done = (await press(svc, 'doctor', buttons[0]!.payload))[0]!;
    expect(done).toMatch(
      /^Đã liên kết .+ với ca bệnh: 1 khung thời gian tại địa điểm, 1 người có mặt cùng địa điểm và thời gian, 1 cảnh báo mới/,
    );
    expect(await alertsToMet()).toBe(1);
  });

  it('«Hủy» at the preview records nothing', async () => {
    await say(svc, 'doctor', '/f0 0911000333');
    await press(svc, 'doctor', 'f0:onset');
    await say(svc, 'doctor', 'hôm qua');
    await press(svc, 'doctor', 'f0:record');
    expect((await press(svc, 'doctor', 'f0:cancel'))[0]).toBe('Đã hủy, chưa ghi nhận ca bệnh nào.');
    expect(await svc.db.db.select().from(cases).where(eq(cases.phone, '+84911000333'))).toHaveLength(0);
  });

  it('comms officials and residents get the unknown-command answer', async () => {
    expect((await say(svc, 'press', '/f0'))[0]).toMatch(/chưa hiểu lệnh/);
    expect((await say(svc, 'someone', '/case'))[0]).toMatch(/chưa hiểu lệnh/);
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import {
  accounts,
  auditLog,
  cases,
  contacts,
  declarations,
  exposureWindows,
  persons,
  venues,
  visits,
} from '../../src/db/schema/index.js';
import { recordCase } from '../../src/features/exposure/record.js';
import { grantRole } from '../../src/features/officials/roles.js';
import { auditPseudonym } from '../../src/features/privacy/audit-pseudonyms.js';
import { MY_DATA_MAX_CHARS, packMessages } from '../../src/features/privacy/my-data.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { chat } from '../checkin/chat-driver.js';

/** /dulieu /mydata: a resident reads everything held about them and their family, in their language. */
let svc: TestService;
const NOW = new Date('2021-08-20T12:00:00+07:00');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

async function resident(externalId: string, locale: 'vi' | 'en') {
  const db = svc.db.db;
  const [acc] = await db
    .insert(accounts)
    .values({ channel: 'web', externalId, locale, consentedAt: new Date('2021-08-01T09:30:00+07:00') })
    .returning();
  const [self] = await db
    .insert(persons)
    .values({
      ownerAccountId: acc!.id,
      isSelf: true,
      fullName: 'Nguyễn Thị Mai',
      birthYear: 1988,
      gender: 'female',
      phone: '+84912345678',
      idNumberEnc: 'not-shown',
      idNumberLast4: '1234',
      idKind: 'cccd',
      wardCode: '31117',
      street: '12 Trần Hưng Đạo',
      vaccineDoses: 2,
    })
    .returning();
  await db.update(accounts).set({ personId: self!.id }).where(eq(accounts.id, acc!.id));
  const [child] = await db
    .insert(persons)
    .values({ ownerAccountId: acc!.id, fullName: 'Trần Bảo An', birthYear: 2016, gender: 'male' })
    .returning();
  return { account: acc!, self: self!, child: child! };
}

beforeAll(async () => {
  svc = await startTestService({ clock: new ManualClock(NOW) });
});
afterAll(() => svc?.close());

describe('/dulieu', () => {
  it('shows the account, each person, recent declarations and visits, and alerts, in Vietnamese', async () => {
    const db = svc.db.db;
    const { self, child } = await resident('mydata-vi', 'vi');
    const [cafe] = await db
      .insert(venues)
      .values({ code: 'CAFE22', name: 'Cà phê Hạnh Phúc', kind: 'restaurant', defaultStayMinutes: 60 })
      .returning();
    const decl = {
      personId: self.id,
      travel: false,
      contactCase: false,
      contactOutbreakArea: false,
      contactSymptoms: false,
    };
    await db.insert(declarations).values([
      {
        ...decl,
        symptoms: ['fever', 'cough'],
        travel: true,
        travelPlaces: 'TP. Hồ Chí Minh',
        declaredAt: new Date('2021-08-19T07:15:00+07:00'),
      },
      { ...decl, declaredAt: daysAgo(29) }, // older than 28 days: not held any more
    ]);
    const visit = { venueId: cafe!.id, source: 'poster', channel: 'web' };
    await db.insert(visits).values([
      {
        ...visit,
        personId: child.id,
        enteredAt: new Date('2021-08-15T10:00:00+07:00'),
        exitedAt: new Date('2021-08-15T11:30:00+07:00'),
      },
      { ...visit, personId: self.id, enteredAt: new Date('2021-08-16T18:00:00+07:00') },
      { ...visit, personId: self.id, enteredAt: daysAgo(22) }, // older than 21 days
    ]);
    const [kase] = await db
      .insert(cases)
      .values({ infectiousFrom: daysAgo(7), infectiousTo: daysAgo(3), createdBy: 'test' })
      .returning();
    const [w] = await db
      .insert(exposureWindows)
      .values({
        caseId: kase!.id,
        venueId: cafe!.id,
        fromAt: daysAgo(6),
        toAt: daysAgo(5),
        advice: 'test',
        createdBy: 'test',
      })
      .returning();
    await db.insert(contacts).values({
      exposureKey: kase!.id,
      caseId: kase!.id,
      windowId: w!.id,
      personId: child.id,
      kind: 'close',
      overlapMinutes: 30,
      exposedAt: new Date('2021-08-15T10:00:00+07:00'),
      alertedAt: new Date('2021-08-17T08:00:00+07:00'),
    });

    const r = await chat(svc, 'mydata-vi').text('/dulieu');
    const texts = r.replies.map((m) => m.text ?? '');
    const all = texts.join('\n\n');
    expect(all).toContain('Dữ liệu Khai báo y tế Cần Thơ đang lưu về Anh/Chị');
    expect(all).toContain('Tài khoản: Trò chuyện trên trang web');
    expect(all).toContain('Ngôn ngữ: Tiếng Việt');
    expect(all).toContain('Đồng ý điều khoản lúc: 09:30 01/08/2021');
    expect(all).toContain(
      '👤 Nguyễn Thị Mai\nNăm sinh: 1988 · Giới tính: Nữ\nĐiện thoại: 0912 345 678\nGiấy tờ: CCCD •••• 1234',
    );
    expect(all).toContain(
      'Phường/xã: Phường Cái Khế\nĐịa chỉ: 12 Trần Hưng Đạo\nQuốc tịch: Việt Nam\nBệnh nền: Chưa khai\nSố mũi vắc-xin: 2',
    );
    expect(all).toContain('👤 Trần Bảo An (người thân)');
    expect(all).toContain(
      '• 07:15 19/08/2021 — Đi tỉnh khác/nước ngoài (14 ngày): Có (TP. Hồ Chí Minh); Triệu chứng: Sốt, Ho;',
    );
    expect(all.match(/^• \d\d:\d\d \d\d\/\d\d\/2021 — /gm)).toHaveLength(1);
    expect(all).toContain('• Cà phê Hạnh Phúc: 18:00 – chưa ghi giờ ra 16/08/2021');
    expect(all).toContain(
      'Nơi Trần Bảo An đã check-in trong 21 ngày qua:\n• Cà phê Hạnh Phúc: 10:00 – 11:30 15/08/2021',
    );
    expect(all).not.toContain('29/07/2021');
    expect(all).toContain(
      'Cảnh báo có mặt cùng địa điểm và thời gian với ca bệnh của Trần Bảo An:\n• Cà phê Hạnh Phúc, 15/08/2021 (ở gần ca bệnh) · đã báo lúc 08:00 17/08/2021',
    );
    expect(all).toContain('/xoadulieu');
    expect(all).not.toContain('not-shown');
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(MY_DATA_MAX_CHARS);
  });

  it('answers /mydata in English, and splits a long history into several messages', async () => {
    const db = svc.db.db;
    const { self } = await resident('mydata-en', 'en');
    const [market] = await db
      .insert(venues)
      .values({ code: 'MARKET', name: 'Chợ Xuân Khánh', kind: 'market', defaultStayMinutes: 45 })
      .returning();
    await db.insert(visits).values(
      Array.from({ length: 60 }, (_, i) => ({
        personId: self.id,
        venueId: market!.id,
        source: 'poster',
        channel: 'web',
        enteredAt: new Date(NOW.getTime() - (i + 1) * 6 * 3_600_000),
        exitedAt: new Date(NOW.getTime() - (i + 1) * 6 * 3_600_000 + 1_800_000),
      })),
    );
    const r = await chat(svc, 'mydata-en').text('/mydata');
    const texts = r.replies.map((m) => m.text ?? '');
    expect(texts.length).toBeGreaterThan(1);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(MY_DATA_MAX_CHARS);
    const all = texts.join('\n');
    expect(all).toContain('What the service holds about you');
    expect(all).toContain('Language: English');
    expect(all).toContain('Year of birth: 1988 · Gender: Female');
    expect(all).toContain('ID document: CCCD •••• 1234');
    expect(all).toContain("Nguyễn Thị Mai's declarations in the last 28 days:\nNone");
    expect(all.match(/• Chợ Xuân Khánh: /g)).toHaveLength(60);
  });

  it('shows that a person is a confirmed case; after /xoadulieu the audit log keeps its entries without their ids', async () => {
    const db = svc.db.db;
    const { account, self, child } = await resident('mydata-case', 'vi');
    const other = await resident('mydata-case-other', 'en');
    const kase = await db.transaction((tx) =>
      recordCase(tx, svc.deps, { personId: self.id, testedAt: daysAgo(2) }, 'account:official-1'),
    );
    await db.transaction((tx) =>
      recordCase(tx, svc.deps, { personId: other.self.id, testedAt: daysAgo(2) }, 'account:official-1'),
    );
    await grantRole(db, { accountId: account.id, role: 'comms', actor: 'bootstrap', via: 'test', at: NOW });

    let all = (await chat(svc, 'mydata-case').text('/dulieu')).replies.map((m) => m.text ?? '').join('\n\n');
    expect(all).toMatch(
      /Nguyễn Thị Mai được ngành y tế ghi nhận là ca bệnh xác nhận:\n• ghi nhận lúc \d\d:\d\d \d\d\/\d\d\/\d{4}; xét nghiệm dương tính ngày 18\/08\/2021; thời gian có thể lây bệnh từ .* đến .*; đang được theo dõi/,
    );
    expect(all).not.toContain('Trần Bảo An được ngành y tế');
    all = (await chat(svc, 'mydata-case-other').text('/mydata')).replies.map((m) => m.text ?? '').join('\n\n');
    expect(all).toContain('Nguyễn Thị Mai is recorded by the health department as a confirmed case:\n• recorded at');

    const entries = async () => (await db.select().from(auditLog)).map((e) => JSON.stringify(e));
    const before = await entries();
    const ids = [account.id, self.id, child.id];
    expect(before.filter((e) => ids.some((id) => e.includes(id))).length).toBeGreaterThanOrEqual(2);

    await chat(svc, 'mydata-case').text('/xoadulieu');
    await chat(svc, 'mydata-case').press('p.del.yes');
    expect(await db.query.accounts.findFirst({ where: eq(accounts.id, account.id) })).toBeUndefined();

    const after = await entries();
    expect(after).toHaveLength(before.length); // every entry kept
    for (const e of after) for (const id of ids) expect(e.includes(id), e).toBe(false);
    const created = (await db.select().from(auditLog).where(eq(auditLog.subjectId, kase.id))).find(
      (e) => e.action === 'case.create',
    )!;
    expect(created.details).toMatchObject({
      personIds: [auditPseudonym(self.id, svc.deps.secrets().dataKey)],
      personFound: true,
    });
    expect(auditPseudonym(self.id, svc.deps.secrets().dataKey)).toMatch(/^deleted:[0-9a-f]{16}$/);
    const granted = await db.select().from(auditLog).where(eq(auditLog.action, 'role.grant'));
    expect(granted.map((g) => g.subjectId)).toContain(auditPseudonym(account.id, svc.deps.secrets().dataKey));
    // Someone else's entries are untouched.
    expect(after.filter((e) => e.includes(other.self.id))).toHaveLength(
      before.filter((e) => e.includes(other.self.id)).length,
    );
  });

  it('is listed in the help and the command menus', async () => {
    const r = await chat(svc, 'mydata-vi').text('/trogiup');
    const help = r.replies.map((m) => m.text).join('\n');
    expect(help).toContain('/dulieu: xem dữ liệu đang lưu về Anh/Chị');
    // …and, after the resident's commands, the others this account may use: venues and history, not officials'.
    expect(help).toMatch(/Anh\/Chị cũng dùng được các lệnh:\n(\/\w+: .+\n?)+$/);
    expect(help).toContain('/diadiem: ');
    expect(help).toContain('/lichsu: ');
    expect(help).not.toMatch(/\/(f0|thongbao|thongke|moi|matoken|canbo)\b/);
    const cmd = svc.runner.features.flatMap((f) => f.commands ?? []).find((c) => c.names.includes('dulieu'));
    expect(cmd?.descriptionKey).toBe('privacy:cmd_mydata');
  });
});

describe('packMessages', () => {
  it('keeps blocks whole when they fit and breaks a long block between lines', () => {
    expect(packMessages(['aaaa', 'bbbb', 'cccc'], 10)).toEqual(['aaaa\n\nbbbb', 'cccc']);
    expect(packMessages(['x', 'l1\nl2\nl3\nl4'], 6)).toEqual(['x\n\nl1', 'l2\nl3', 'l4']);
  });
});

import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, casePersons, cases, contacts, declarations, persons, visits } from '../../src/db/schema/index.js';
import { closeCase, recordCase } from '../../src/features/exposure/record.js';
import { EXPOSURE_YELLOW_DAYS } from '../../src/features/pass/status.js';
import { FOLLOWUP_HOLD_DAYS } from '../../src/features/people/hold.js';
import { applyRetention } from '../../src/features/retention/job.js';
import { chat, textOf } from '../checkin/chat-driver.js';
import { seedVenue, seedVisit, vn } from '../exposure/fixtures.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * /xoadulieu during an open case or an exposure follow-up (issue 15): exactly the health record the follow-up
 * needs is kept, everything else goes at once and the reply says so; the retention job purges the rest when the
 * period ends — on a controlled clock.
 */
const DAY_MS = 86_400_000;
const ALERT_AT = new Date('2021-08-18T12:00:00+07:00');
const clock = new ManualClock(ALERT_AT);
let svc: TestService;

async function resident(externalId: string, name: string, phone: string) {
  const db = svc.db.db;
  const [acc] = await db
    .insert(accounts)
    .values({ channel: 'web', externalId, locale: 'vi', consentedAt: new Date('2021-08-01T09:00:00+07:00') })
    .returning();
  const [self] = await db
    .insert(persons)
    .values({
      ownerAccountId: acc!.id,
      isSelf: true,
      fullName: name,
      birthYear: 1988,
      gender: 'female',
      phone,
      phoneVerified: true,
      idNumberEnc: 'enc',
      idNumberHash: 'lookup-hash',
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
    .values({ ownerAccountId: acc!.id, fullName: `${name} Con`, birthYear: 2016, gender: 'male' })
    .returning();
  await db.insert(declarations).values(
    [self!, child!].map((p) => ({
      personId: p.id,
      declaredByAccountId: acc!.id,
      travel: false,
      contactCase: false,
      contactOutbreakArea: false,
      contactSymptoms: false,
      declaredAt: new Date('2021-08-15T08:00:00+07:00'),
    })),
  );
  return { account: acc!, self: self!, child: child! };
}

beforeAll(async () => {
  svc = await startTestService({ clock });
});
afterAll(() => svc?.close());

describe('/xoadulieu during follow-up', () => {
  let lan: Awaited<ReturnType<typeof resident>>;
  let ca: Awaited<ReturnType<typeof resident>>;
  let caseId = '';
  const kept = { lanVisit: '', caVisit: '' };

  it('the hold lasts as long as an alert keeps the pass yellow', () => {
    expect(FOLLOWUP_HOLD_DAYS).toBe(EXPOSURE_YELLOW_DAYS);
  });

  it('keeps exactly the health record and deletes everything else at once, and says so', async () => {
    const db = svc.db.db;
    const cafe = await seedVenue(db, 'Cà phê Hạnh Phúc', 60);
    const market = await seedVenue(db, 'Chợ Cái Khế', 60);
    lan = await resident('hold-lan', 'Nguyễn Thị Lan', '+84912000001');
    ca = await resident('hold-ca', 'Trần Văn Ca', '+84912000002');
    const visit = (p: { id: string; ownerAccountId: string | null }, venueId: string, at: string, to: string) =>
      seedVisit(db, {
        personId: p.id,
        accountId: p.ownerAccountId!,
        venueId,
        enteredAt: vn('2021-08-16', at),
        exitedAt: vn('2021-08-16', to),
      });
    // The case at the café on 16/08 (inside its infectious period) and a week before (outside).
    kept.caVisit = (await visit(ca.self, cafe.id, '10:00', '11:00')).id;
    await seedVisit(db, {
      personId: ca.self.id,
      accountId: ca.account.id,
      venueId: market.id,
      enteredAt: vn('2021-08-05', '09:00'),
      exitedAt: vn('2021-08-05', '10:00'),
    });
    // Lan at the café with the case (the contact), and at the market later (no contact).
    kept.lanVisit = (await visit(lan.self, cafe.id, '10:30', '11:30')).id;
    await visit(lan.self, market.id, '15:00', '16:00');
    await visit(lan.child, market.id, '15:00', '16:00');

    const kase = await db.transaction((tx) =>
      recordCase(tx, svc.deps, { personId: ca.self.id, testedAt: new Date('2021-08-17T08:00:00+07:00') }, 'token:t'),
    );
    caseId = kase.id;
    const [contact] = await db.select().from(contacts).where(eq(contacts.personId, lan.self.id));
    expect(contact).toMatchObject({ visitId: kept.lanVisit, kind: 'close' });
    expect(contact!.alertedAt).toEqual(ALERT_AT);

    // Three days after the alert, Lan asks for deletion.
    clock.set(new Date(ALERT_AT.getTime() + 3 * DAY_MS));
    await chat(svc, 'hold-lan').text('/xoadulieu');
    const reply = textOf(await chat(svc, 'hold-lan').press('p.del.yes'));
    expect(reply).toContain('trừ hồ sơ sức khỏe mà ngành y tế cần trong thời gian theo dõi');
    expect(reply).toContain('• Nguyễn Thị Lan: đang được theo dõi sau cảnh báo, giữ đến ngày 01/09/2021');
    expect(reply).not.toContain('Nguyễn Thị Lan Con');
    expect(reply).toContain('Khai báo y tế, Mã QR cá nhân, tài khoản và mọi dữ liệu khác đã được xóa');

    expect(await db.query.accounts.findFirst({ where: eq(accounts.id, lan.account.id) })).toBeUndefined();
    expect(await db.query.persons.findFirst({ where: eq(persons.id, lan.child.id) })).toBeUndefined();
    const held = await db.query.persons.findFirst({ where: eq(persons.id, lan.self.id) });
    expect(held).toMatchObject({
      ownerAccountId: null,
      isSelf: false,
      fullName: 'Nguyễn Thị Lan',
      phone: '+84912000001',
      wardCode: '31117',
      idNumberEnc: null,
      idNumberHash: null,
      idNumberLast4: null,
      idKind: null,
      street: null,
      vaccineDoses: null,
      holdUntil: new Date(ALERT_AT.getTime() + 14 * DAY_MS),
    });
    expect((await db.select().from(visits).where(eq(visits.personId, lan.self.id))).map((v) => v.id)).toEqual([
      kept.lanVisit,
    ]);
    expect(await db.select().from(declarations).where(eq(declarations.personId, lan.self.id))).toEqual([]);
    expect((await db.select().from(contacts).where(eq(contacts.personId, lan.self.id))).map((c) => c.id)).toEqual([
      contact!.id,
    ]);

    // The case deletes too: the case link and the visits inside its infectious period stay, nothing else.
    const caReply = textOf(
      await chat(svc, 'hold-ca')
        .text('/xoadulieu')
        .then(() => chat(svc, 'hold-ca').press('p.del.yes')),
    );
    expect(caReply).toContain('• Trần Văn Ca: đang là ca bệnh xác nhận, giữ đến khi ca bệnh kết thúc');
    // The case's child is a household contact of the case: in follow-up too, with no visit to keep.
    expect(caReply).toContain('• Trần Văn Ca Con: đang được theo dõi sau cảnh báo, giữ đến ngày 01/09/2021');
    expect(await db.select().from(visits).where(eq(visits.personId, ca.child.id))).toEqual([]);
    const caseRow = await db.query.cases.findFirst({ where: eq(cases.id, caseId) });
    expect(caseRow).toMatchObject({ personId: ca.self.id, closedAt: null });
    expect((await db.select().from(visits).where(eq(visits.personId, ca.self.id))).map((v) => v.id)).toEqual([
      kept.caVisit,
    ]);
    expect(await db.select().from(declarations).where(eq(declarations.personId, ca.self.id))).toEqual([]);
    // A held person is no resident any more: no pass verifies for them.
    const { personById } = await import('../../src/features/people/store.js');
    expect(await personById(db, ca.self.id)).toBeUndefined();
  });

  it('the retention job purges a follow-up hold when it ends, and a case hold once the case is closed', async () => {
    const db = svc.db.db;
    const stillThere = async () =>
      (
        await db
          .select({ id: persons.id })
          .from(persons)
          .where(inArray(persons.id, [lan.self.id, ca.self.id, ca.child.id]))
      ).map((r) => r.id);
    // Day 13 after the alert: all held.
    clock.set(new Date(ALERT_AT.getTime() + 13 * DAY_MS));
    expect((await applyRetention(db, clock.now())).heldPersons).toBe(0);
    expect((await stillThere()).sort()).toEqual([lan.self.id, ca.self.id, ca.child.id].sort());

    // Day 15: Lan's and the child's follow-up is over; the case is still open.
    clock.set(new Date(ALERT_AT.getTime() + 15 * DAY_MS));
    expect((await applyRetention(db, clock.now())).heldPersons).toBe(2);
    expect(await stillThere()).toEqual([ca.self.id]);
    expect(await db.select().from(visits).where(eq(visits.personId, lan.self.id))).toEqual([]);
    expect(await db.select().from(contacts).where(eq(contacts.personId, lan.self.id))).toEqual([]);

    // The case is closed: the next run purges its person; the case stays, anonymous.
    await db.transaction((tx) => closeCase(tx, svc.deps, caseId, 'token:t'));
    expect((await applyRetention(db, clock.now())).heldPersons).toBe(1);
    expect(await stillThere()).toEqual([]);
    expect(await db.query.cases.findFirst({ where: eq(cases.id, caseId) })).toMatchObject({
      personId: null,
      phone: null,
    });
    expect(await db.select().from(casePersons).where(eq(casePersons.caseId, caseId))).toEqual([]);
  });
});

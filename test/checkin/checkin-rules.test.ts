import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { visits, type Venue } from '../../src/db/schema/index.js';
import { closeOverstayedVisits } from '../../src/features/checkin/store.js';
import { createVenue, setVenueClosed } from '../../src/features/venues/store.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { chat, payloads, textOf } from './chat-driver.js';
import { residentWithDeclaration } from './people-fixtures.js';

let svc: TestService;
let clock: ManualClock;
let cafe: Venue;
let office: Venue;
let n = 0;

beforeAll(async () => {
  clock = new ManualClock('2021-08-01T08:00:00+07:00');
  svc = await startTestService({ clock });
  cafe = await createVenue(svc.db.db, { name: 'Quán cà phê Hoa Sứ', kind: 'restaurant' });
  office = await createVenue(svc.db.db, { name: 'Văn phòng Sở Y tế', kind: 'office' });
});
afterAll(() => svc.close());

async function resident(family: string[] = []) {
  const ext = `r${++n}`;
  const r = await residentWithDeclaration(svc.db.db, { externalId: ext, family, declaredAt: clock.now() });
  return { ...r, ext, chat: chat(svc, ext) };
}

const visitsOf = (personId: string) =>
  svc.db.db.query.visits.findMany({
    where: eq(visits.personId, personId),
    orderBy: (v, { asc }) => [asc(v.enteredAt)],
  });

describe('check-in by poster link and typed code', () => {
  it('asks to confirm with the venue name, then records one visit and offers to leave', async () => {
    clock.set('2021-08-01T08:00:00+07:00');
    const r = await resident();
    const ask = await r.chat.start(`v_${cafe.code}`);
    expect(textOf(ask)).toContain('Quán cà phê Hoa Sứ');
    expect(payloads(ask)).toContain('cf:ok');
    expect(await visitsOf(r.self.id)).toHaveLength(0);

    const done = await r.chat.press('cf:ok');
    expect(textOf(done)).toContain('Đã check-in tại Quán cà phê Hoa Sứ lúc 08:00 01/08/2021');
    expect(payloads(done)).toContain(`leave:${cafe.id}`);
    const rows = await visitsOf(r.self.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      venueId: cafe.id,
      source: 'poster',
      channel: 'web',
      accountId: r.accountId,
      exitedAt: null,
    });

    // A second press of the same confirm button (a double tap) is told it was handled: no menu, no new visit.
    const again = await r.chat.press('cf:ok');
    expect(textOf(again)).toBe('Lượt check-in này đã được xử lý. Anh/Chị vui lòng xem tin nhắn phía trên.');
    expect(await visitsOf(r.self.id)).toHaveLength(1);
  });

  it('takes a typed code in any case, with or without CI, and ignores words that are no code', async () => {
    const r = await resident();
    const ask = await r.chat.text(`ci ${cafe.code.toLowerCase()}`);
    expect(textOf(ask)).toContain('Check-in tại Quán cà phê Hoa Sứ');
    await r.chat.text('có');
    expect(await visitsOf(r.self.id)).toHaveLength(1);
    const other = await resident();
    expect(textOf(await other.chat.text(cafe.code))).toContain('Check-in tại Quán cà phê Hoa Sứ');
    // "THANKS" has the shape of a code but is none: the person gets the menu, not "unknown venue".
    expect(textOf(await other.chat.text('THANKS'))).not.toContain('không tìm thấy');
  });

  it('answers an unknown or closed venue clearly and records nothing', async () => {
    const r = await resident();
    expect(textOf(await r.chat.start('v_ZZZZ22'))).toContain('Không tìm thấy địa điểm có mã ZZZZ22');
    expect(textOf(await r.chat.text('CI QQQQ22'))).toContain('Không tìm thấy địa điểm có mã QQQQ22');
    expect(textOf(await r.chat.start('v_not-a-code'))).toContain('Không tìm thấy');
    const closed = await createVenue(svc.db.db, { name: 'Karaoke Đêm Xanh', kind: 'bar' });
    await setVenueClosed(svc.db.db, closed.id, clock.now());
    expect(textOf(await r.chat.start(`v_${closed.code}`))).toContain('Karaoke Đêm Xanh đang tạm đóng');
    expect(await visitsOf(r.self.id)).toHaveLength(0);
  });

  it('a venue closed between the question and the confirmation records nothing', async () => {
    const r = await resident();
    const v = await createVenue(svc.db.db, { name: 'Tiệm tóc Mai', kind: 'wellness' });
    await r.chat.start(`v_${v.code}`);
    await setVenueClosed(svc.db.db, v.id, clock.now());
    expect(textOf(await r.chat.press('cf:ok'))).toContain('đang tạm đóng');
    expect(await visitsOf(r.self.id)).toHaveLength(0);
  });

  it('a visit the database refuses fails the confirmation as a whole: the apology, nothing kept, the question open', async () => {
    // The update is one transaction: a visit that cannot be written leaves no half-done check-in behind (nor a
    // step moved on). A trigger refuses visits at this venue.
    const r = await resident();
    const v = await createVenue(svc.db.db, { name: 'Nhà sách Phương Nam', kind: 'shop' });
    await svc.db.db.execute(
      sql.raw(`create function refuse_visit() returns trigger language plpgsql as $$
      begin raise exception 'visit refused by the test'; end $$`),
    );
    await svc.db.db.execute(
      sql.raw(`create trigger refuse_visit before insert on visits for each row
        when (new.venue_id = '${v.id}') execute function refuse_visit()`),
    );
    try {
      await r.chat.start(`v_${v.code}`);
      const failed = await r.chat.press('cf:ok');
      expect(textOf(failed)).toContain('hệ thống vừa gặp lỗi');
      expect(textOf(failed)).not.toContain('Đã check-in');
      expect(await visitsOf(r.self.id)).toHaveLength(0);
    } finally {
      await svc.db.db.execute(sql.raw('drop trigger refuse_visit on visits'));
      await svc.db.db.execute(sql.raw('drop function refuse_visit()'));
    }
    // The step was not saved either: the question still waits, and the next press records the visit once.
    const done = await r.chat.press('cf:ok');
    expect(textOf(done)).toContain('Đã check-in tại Nhà sách Phương Nam');
    expect(await visitsOf(r.self.id)).toHaveLength(1);
  });

  it('cancel records nothing; a stray answer repeats the question', async () => {
    const r = await resident();
    await r.chat.start(`v_${cafe.code}`);
    const again = await r.chat.text('hả?');
    expect(textOf(again)).toContain('Xác nhận check-in');
    expect(payloads(again)).toContain('cf:ok');
    expect(textOf(await r.chat.press('cf:no'))).toContain('Đã hủy');
    expect(await visitsOf(r.self.id)).toHaveLength(0);
  });
});

describe('the 30-minute rule, moving on, leaving, auto checkout (ManualClock)', () => {
  it('scanning the same venue again within 30 minutes does not duplicate; after leaving and 30 minutes it does', async () => {
    clock.set('2021-08-02T09:00:00+07:00');
    const r = await resident();
    await r.chat.start(`v_${cafe.code}`);
    await r.chat.press('cf:ok');
    clock.advanceMinutes(10);
    const again = await r.chat.start(`v_${cafe.code}`);
    expect(textOf(again)).toContain('đã check-in tại Quán cà phê Hoa Sứ lúc 09:00 02/08/2021 rồi');
    expect(await visitsOf(r.self.id)).toHaveLength(1);

    // Said «Rời khỏi», came back 5 minutes later: a new visit, and the exit stays in the history.
    clock.advanceMinutes(5);
    expect(textOf(await r.chat.press(`leave:${cafe.id}`))).toContain('rời khỏi Quán cà phê Hoa Sứ lúc 09:15');
    clock.advanceMinutes(5);
    await r.chat.start(`v_${cafe.code}`);
    const back = await r.chat.press('cf:ok');
    expect(textOf(back)).toContain('Đã check-in tại Quán cà phê Hoa Sứ lúc 09:20');
    let rows = await visitsOf(r.self.id);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ exitReason: 'left', exitedAt: new Date('2021-08-02T09:15:00+07:00') });
    expect(rows[1]).toMatchObject({ enteredAt: new Date('2021-08-02T09:20:00+07:00'), exitedAt: null });
    const history = textOf(await r.chat.text('/lichsu'));
    expect(history).toContain('09:00');
    expect(history).toContain('09:15');
    expect(history).toContain('09:20');

    // Left again, and came back later: another new visit.
    clock.set('2021-08-02T09:35:00+07:00');
    await r.chat.press(`leave:${cafe.id}`);
    clock.set('2021-08-02T09:40:00+07:00');
    await r.chat.start(`v_${cafe.code}`);
    await r.chat.press('cf:ok');
    rows = await visitsOf(r.self.id);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatchObject({ exitReason: 'left', exitedAt: new Date('2021-08-02T09:35:00+07:00') });
    expect(rows[2]).toMatchObject({ enteredAt: new Date('2021-08-02T09:40:00+07:00'), exitedAt: null });
  });

  it('a typed code that looks like a code but is none is answered, not met with the menu', async () => {
    const r = await resident();
    expect(textOf(await r.chat.text('ZZZZZZ'))).toContain('Không tìm thấy địa điểm có mã ZZZZZZ');
    expect(textOf(await r.chat.text('wzfe 24'))).toContain('Không tìm thấy địa điểm có mã WZFE24');
    // …and a real code typed with spaces and in lower case checks in.
    const spaced = `${cafe.code.slice(0, 2)} ${cafe.code.slice(2, 4)} ${cafe.code.slice(4)}`.toLowerCase();
    expect(textOf(await r.chat.text(spaced))).toContain('Check-in tại Quán cà phê Hoa Sứ');
  });

  it('checking in elsewhere closes the open visit as moved_on', async () => {
    clock.set('2021-08-03T10:00:00+07:00');
    const r = await resident();
    await r.chat.start(`v_${cafe.code}`);
    await r.chat.press('cf:ok');
    clock.advanceMinutes(20);
    await r.chat.start(`v_${office.code}`);
    const moved = await r.chat.press('cf:ok');
    expect(textOf(moved)).toContain('rời khỏi Quán cà phê Hoa Sứ');
    const rows = await visitsOf(r.self.id);
    expect(rows.map((v) => [v.venueId, v.exitReason])).toEqual([
      [cafe.id, 'moved_on'],
      [office.id, null],
    ]);
    expect(rows[0]!.exitedAt).toEqual(new Date('2021-08-03T10:20:00+07:00'));
  });

  it('back at a venue within 30 minutes after checking in elsewhere is a new visit, never two venues at once', async () => {
    clock.set('2021-08-03T14:00:00+07:00');
    const r = await resident();
    await r.chat.start(`v_${cafe.code}`);
    await r.chat.press('cf:ok');
    clock.advanceMinutes(10);
    await r.chat.start(`v_${office.code}`);
    await r.chat.press('cf:ok');
    clock.advanceMinutes(10);
    await r.chat.start(`v_${cafe.code}`);
    await r.chat.press('cf:ok');
    const rows = await visitsOf(r.self.id);
    expect(rows.map((v) => [v.venueId, v.exitReason])).toEqual([
      [cafe.id, 'moved_on'],
      [office.id, 'moved_on'],
      [cafe.id, null],
    ]);
    expect(rows[0]!.exitedAt).toEqual(new Date('2021-08-03T14:10:00+07:00'));
    expect(rows[2]!.enteredAt).toEqual(new Date('2021-08-03T14:20:00+07:00'));
  });

  it('leave closes the visit as left; leaving again says there is nothing to leave', async () => {
    clock.set('2021-08-04T10:00:00+07:00');
    const r = await resident();
    await r.chat.start(`v_${office.code}`);
    await r.chat.press('cf:ok');
    clock.advanceMinutes(45);
    expect(textOf(await r.chat.press(`leave:${office.id}`))).toContain(
      'rời khỏi Văn phòng Sở Y tế lúc 10:45 04/08/2021',
    );
    expect(textOf(await r.chat.press(`leave:${office.id}`))).toContain('không có mặt tại Văn phòng Sở Y tế');
    const [v] = await visitsOf(r.self.id);
    expect(v).toMatchObject({ exitReason: 'left', exitedAt: new Date('2021-08-04T10:45:00+07:00') });
  });

  it('the auto checkout closes a visit once its venue default stay has passed, exactly once across runs', async () => {
    clock.set('2021-08-05T12:00:00+07:00');
    await closeOverstayedVisits(svc.db.db, clock.now()); // visits left open by earlier tests
    const r = await resident();
    await r.chat.start(`v_${cafe.code}`); // café: 60 minutes
    await r.chat.press('cf:ok');
    const o = await resident();
    await o.chat.start(`v_${office.code}`); // office: 8 hours
    await o.chat.press('cf:ok');

    clock.set('2021-08-05T12:59:00+07:00');
    expect(await closeOverstayedVisits(svc.db.db, clock.now())).toBe(0);
    clock.set('2021-08-05T13:01:00+07:00');
    // Two instances running the job at once close the visit once.
    const [a, b] = await Promise.all([
      closeOverstayedVisits(svc.db.db, clock.now()),
      closeOverstayedVisits(svc.db.db, clock.now()),
    ]);
    expect(a + b).toBe(1);
    const [v] = await visitsOf(r.self.id);
    expect(v).toMatchObject({ exitReason: 'auto', exitedAt: new Date('2021-08-05T13:00:00+07:00') });
    expect((await visitsOf(o.self.id))[0]!.exitedAt).toBeNull();
    clock.set('2021-08-05T20:00:00+07:00');
    expect(await closeOverstayedVisits(svc.db.db, clock.now())).toBe(1);
    expect((await visitsOf(o.self.id))[0]).toMatchObject({
      exitReason: 'auto',
      exitedAt: new Date('2021-08-05T20:00:00+07:00'),
    });
    expect(svc.workers.names).toContain('checkin-auto-checkout');
  });
});

describe('family check-in and history', () => {
  it('ticks family members who are with the resident and checks them in too', async () => {
    clock.set('2021-08-06T18:00:00+07:00');
    const r = await resident(['Nguyễn Thị Bé', 'Nguyễn Văn Cu']);
    const ask = await r.chat.start(`v_${cafe.code}`);
    expect(textOf(ask)).toContain('Người nhà đi cùng');
    const bé = r.family[0]!;
    expect(payloads(ask)).toContain(`cf:t:${bé.id}`);
    const toggled = await r.chat.press(`cf:t:${bé.id}`);
    expect(toggled.replies[0]!.buttons!.flat().find((b) => b.payload === `cf:t:${bé.id}`)!.label).toBe(
      '☑ Nguyễn Thị Bé',
    );
    const done = await r.chat.press('cf:ok');
    expect(textOf(done)).toContain('cho Anh/Chị và Nguyễn Thị Bé');
    expect(await visitsOf(r.self.id)).toHaveLength(1);
    expect(await visitsOf(bé.id)).toMatchObject([{ venueId: cafe.id, accountId: r.accountId }]);
    expect(await visitsOf(r.family[1]!.id)).toHaveLength(0);

    // Leaving takes the whole family out.
    clock.advanceMinutes(30);
    await r.chat.press(`leave:${cafe.id}`);
    const open = await svc.db.db.query.visits.findMany({
      where: and(eq(visits.venueId, cafe.id), eq(visits.accountId, r.accountId)),
    });
    expect(open.every((v) => v.exitReason === 'left')).toBe(true);

    const history = textOf(await r.chat.text('/lichsu'));
    expect(history).toContain('18:00 06/08/2021–18:30 · Quán cà phê Hoa Sứ');
    expect(history).toContain('– Nguyễn Thị Bé');
  });

  it('history (/history alias) says so when the person went nowhere', async () => {
    const r = await resident();
    expect(textOf(await r.chat.text('/history'))).toContain('chưa check-in ở đâu');
  });

  it('a resident without a valid declaration is not checked in', async () => {
    const ext = `r${++n}`;
    const r = await residentWithDeclaration(svc.db.db, {
      externalId: ext,
      declaredAt: new Date(clock.now().getTime() - 25 * 3_600_000),
    });
    const reply = await chat(svc, ext).start(`v_${cafe.code}`);
    expect(payloads(reply)).not.toContain('cf:ok');
    expect(await visitsOf(r.self.id)).toHaveLength(0);
  });
});

import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { auditLog, outbox, trips, venues, venueStaff, visits, type Venue } from '../../src/db/schema/index.js';
import { closeOverstayedVisits, recordCheckins } from '../../src/features/checkin/store.js';
import { runTimetableJob } from '../../src/features/transport/index.js';
import { parseTripTimes } from '../../src/features/transport/chat.js';
import { departuresOf } from '../../src/features/transport/store.js';
import { createVenue } from '../../src/features/venues/store.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { chat, payloads, textOf } from '../checkin/chat-driver.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';

/**
 * Vehicles and trips on the real service (PostgreSQL, the dialog runner, the HTTP API), time on a ManualClock:
 * the weekly timetable creates trips ahead, the vehicle's poster checks a passenger into the current trip with
 * an optional seat, and officials (and the owner, on request) get the passenger list as CSV.
 */
let svc: TestService;
let clock: ManualClock;
let coach: Venue;
let n = 0;

const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  svc.app.inject({ method, url, headers: adminHeaders, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  // Wednesday 4 August 2021, 06:00 in Cần Thơ.
  clock = new ManualClock('2021-08-04T06:00:00+07:00');
  svc = await startTestService({ clock });
  const res = await api('POST', '/api/v1/venues', {
    name: 'Xe khách Phương Trang',
    kind: 'coach',
    plate: '65B-012.34',
    route: 'Cần Thơ – TP. Hồ Chí Minh',
  });
  expect(res.statusCode).toBe(201);
  expect(res.json()).toMatchObject({ kind: 'coach', plate: '65B-012.34', route: 'Cần Thơ – TP. Hồ Chí Minh' });
  coach = (await svc.db.db.query.venues.findFirst({ where: (v, { eq }) => eq(v.id, res.json().id) }))!;
});
afterAll(() => svc.close());

async function passenger(name: string) {
  const ext = `p${++n}`;
  const r = await residentWithDeclaration(svc.db.db, { externalId: ext, name, declaredAt: clock.now() });
  return { ...r, chat: chat(svc, ext) };
}

const tripRows = () =>
  svc.db.db.query.trips.findMany({ where: eq(trips.venueId, coach.id), orderBy: (t, { asc }) => [asc(t.departsAt)] });

describe('timetable', () => {
  it('departuresOf gives the weekday at HH:MM Vietnam time on the days ahead', () => {
    const now = new Date('2021-08-04T06:00:00+07:00'); // a Wednesday
    expect(departuresOf({ weekday: 3, departs: '07:30' }, now, 14).map((d) => d.toISOString())).toEqual([
      '2021-08-04T00:30:00.000Z',
      '2021-08-11T00:30:00.000Z',
    ]);
    // 23:30 on a Sunday in Vietnam is 16:30 UTC the same day.
    expect(departuresOf({ weekday: 7, departs: '23:30' }, now, 7).map((d) => d.toISOString())).toEqual([
      '2021-08-08T16:30:00.000Z',
    ]);
  });

  it('a weekly timetable creates the trips of the days ahead; the job extends them as days pass, never twice', async () => {
    const res = await api('POST', `/api/v1/venues/${coach.id}/timetable`, {
      entries: [
        { weekday: 3, departs: '07:00', durationMinutes: 240 }, // Wednesday
        { weekday: 3, departs: '13:00', durationMinutes: 240 },
        { weekday: 6, departs: '07:00', durationMinutes: 240 }, // Saturday
      ],
    });
    expect(res.statusCode).toBe(201);
    // 14 days from Wednesday 4 August: two Wednesdays × 2 + two Saturdays = 6 trips.
    expect(res.json()).toMatchObject({ tripsCreated: 6, daysAhead: 14 });
    const rows = await tripRows();
    expect(rows.map((t) => t.departsAt.toISOString())).toEqual([
      '2021-08-04T00:00:00.000Z',
      '2021-08-04T06:00:00.000Z',
      '2021-08-07T00:00:00.000Z',
      '2021-08-11T00:00:00.000Z',
      '2021-08-11T06:00:00.000Z',
      '2021-08-14T00:00:00.000Z',
    ]);
    expect(rows[0]!.arrivesAt.toISOString()).toBe('2021-08-04T04:00:00.000Z');

    // The job run again at once creates nothing; a week later it adds the third week's trips.
    expect(await runTimetableJob({ ...svc.deps, clock })).toBe(0);
    const later = new ManualClock('2021-08-11T06:00:00+07:00');
    expect(await runTimetableJob({ ...svc.deps, clock: later })).toBe(3);
    expect(await tripRows()).toHaveLength(9);

    const list = await api(
      'GET',
      `/api/v1/venues/${coach.id}/trips?from=2021-08-04T00:00:00%2B07:00&to=2021-08-05T00:00:00%2B07:00`,
    );
    expect(list.json().trips.map((t: { departsAt: string }) => t.departsAt)).toEqual([
      '2021-08-04T07:00:00+07:00',
      '2021-08-04T13:00:00+07:00',
    ]);
  });

  it('refuses trips on a venue that is no vehicle, and bad times', async () => {
    const cafe = await createVenue(svc.db.db, { name: 'Quán cà phê', kind: 'restaurant' });
    const r = await api('POST', `/api/v1/venues/${cafe.id}/trips`, {
      departsAt: '2021-08-05T07:00:00+07:00',
      arrivesAt: '2021-08-05T09:00:00+07:00',
    });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('NOT_A_VEHICLE');
    const bad = await api('POST', `/api/v1/venues/${coach.id}/trips`, {
      departsAt: '2021-08-05T07:00:00+07:00',
      arrivesAt: '2021-08-05T06:00:00+07:00',
    });
    expect(bad.json().error.code).toBe('TRIP_ARRIVES_BEFORE_DEPARTURE');
  });
});

describe('the poster checks a passenger into the current trip', () => {
  it('boarding before departure joins the departing trip, with the seat asked (skippable)', async () => {
    clock.set('2021-08-04T06:40:00+07:00'); // the 07:00 trip boards
    const [first] = await tripRows();
    const p = await passenger('Trần Thị Bích');
    await p.chat.start(`v_${coach.code}`);
    const done = await p.chat.press('cf:ok');
    expect(textOf(done)).toContain('Chuyến: khởi hành 07:00 04/08/2021, đến 11:00 04/08/2021');
    expect(textOf(done)).toContain('ghế số mấy');
    expect(payloads(done)).toContain('seat:skip');
    expect(textOf(await p.chat.text('12 c'))).toContain('Đã ghi số ghế 12C');
    const [v] = await svc.db.db.query.visits.findMany({ where: eq(visits.personId, p.self.id) });
    expect(v).toMatchObject({ venueId: coach.id, tripId: first!.id, seat: '12C', exitedAt: null });

    clock.set('2021-08-04T06:45:00+07:00');
    const q = await passenger('Lê Văn Cường');
    await q.chat.start(`v_${coach.code}`);
    await q.chat.press('cf:ok');
    expect(textOf(await q.chat.press('seat:skip'))).toContain('Đã bỏ qua');
    const [w] = await svc.db.db.query.visits.findMany({ where: eq(visits.personId, q.self.id) });
    expect(w).toMatchObject({ tripId: first!.id, seat: null });
  });

  it('under way is the same trip; after it arrives the visit ends, and the next trip is a new visit', async () => {
    const [first, second] = await tripRows();
    clock.set('2021-08-04T09:00:00+07:00'); // under way
    const p = await passenger('Phạm Minh Đức');
    await p.chat.start(`v_${coach.code}`);
    await p.chat.press('cf:ok');
    await p.chat.press('seat:skip');

    clock.set('2021-08-04T12:30:00+07:00'); // the first trip arrived at 11:00; the 13:00 boards
    await closeOverstayedVisits(svc.db.db, clock.now());
    await p.chat.start(`v_${coach.code}`);
    await p.chat.press('cf:ok');
    const rows = await svc.db.db.query.visits.findMany({
      where: eq(visits.personId, p.self.id),
      orderBy: (v, { asc }) => [asc(v.enteredAt)],
    });
    expect(rows.map((r) => r.tripId)).toEqual([first!.id, second!.id]);
    expect(rows[0]!.exitedAt?.toISOString()).toBe(first!.arrivesAt.toISOString());
    expect(rows[0]!.exitReason).toBe('auto');
  });

  it('with no trip departing soon the check-in is a plain visit of the vehicle', async () => {
    clock.set('2021-08-05T10:00:00+07:00'); // Thursday: no trip
    const p = await passenger('Võ Thị Em');
    await p.chat.start(`v_${coach.code}`);
    const done = await p.chat.press('cf:ok');
    expect(textOf(done)).not.toContain('ghế số mấy');
    const [v] = await svc.db.db.query.visits.findMany({ where: eq(visits.personId, p.self.id) });
    expect(v).toMatchObject({ venueId: coach.id, tripId: null });

    // A trip added later: scanning again while it boards is a new check-in on the trip, not "inside already".
    const added = await api('POST', `/api/v1/venues/${coach.id}/trips`, {
      departsAt: '2021-08-05T11:00:00+07:00',
      arrivesAt: '2021-08-05T12:30:00+07:00',
    });
    expect(added.statusCode).toBe(201);
    clock.set('2021-08-05T10:30:00+07:00');
    await p.chat.start(`v_${coach.code}`);
    await p.chat.press('cf:ok');
    const rows = await svc.db.db.query.visits.findMany({
      where: eq(visits.personId, p.self.id),
      orderBy: (x, { asc }) => [asc(x.enteredAt)],
    });
    expect(rows.map((r) => [r.tripId, r.exitReason])).toEqual([
      [null, 'moved_on'],
      [added.json().id, null],
    ]);
  });

  it('a staff scan (the scanner calls the same recordCheckins) puts the passenger on the current trip', async () => {
    clock.set('2021-08-05T11:30:00+07:00'); // the 11:00 trip is under way
    const trip = (await tripRows()).find((t) => t.departsAt.toISOString() === '2021-08-05T04:00:00.000Z')!;
    const p = await passenger('Đặng Văn Soát');
    const [out] = await recordCheckins(svc.db.db, {
      venueId: coach.id,
      personIds: [p.self.id],
      accountId: p.accountId,
      source: 'staff',
      channel: 'web',
      now: clock.now(),
    });
    expect(out).toMatchObject({
      status: 'created',
      trip: { id: trip.id },
      visit: { tripId: trip.id, source: 'staff' },
    });
  });
});

describe('passenger lists', () => {
  it('the CSV has the passengers with birth year, phone, seat and boarding time in +07:00; the read is audited', async () => {
    const [first] = await tripRows();
    const res = await api('GET', `/api/v1/trips/${first!.id}/passengers.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.rawPayload.subarray(0, 3).toString('hex')).toBe('efbbbf');
    const lines = res.rawPayload.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toBe('full_name,birth_year,phone,seat,boarded_at');
    expect(lines.slice(1, -1)).toEqual([
      'Trần Thị Bích,1990,+84901234567,12C,2021-08-04T06:40:00+07:00',
      'Lê Văn Cường,1990,+84901234567,,2021-08-04T06:45:00+07:00',
      'Phạm Minh Đức,1990,+84901234567,,2021-08-04T09:00:00+07:00',
    ]);
    const json = await api('GET', `/api/v1/trips/${first!.id}/passengers`);
    expect(json.json().passengers).toHaveLength(3);
    expect(json.json().vehicle).toMatchObject({ plate: '65B-012.34' });
    const audits = await svc.db.db.query.auditLog.findMany({
      where: and(eq(auditLog.action, 'trip.passengers.read'), eq(auditLog.subjectId, first!.id)),
    });
    expect(audits.map((a) => (a.details as { format: string }).format).sort()).toEqual(['csv', 'json']);
  });

  it('an official asks the owner: the owner gets a one-time link to the same CSV through the outbox', async () => {
    const [first] = await tripRows();
    const owner = await passenger('Chủ xe Nguyễn Văn Hải');
    await svc.db.db.update(venues).set({ ownerAccountId: owner.accountId }).where(eq(venues.id, coach.id));
    await svc.db.db.insert(venueStaff).values({ venueId: coach.id, accountId: owner.accountId, role: 'owner' });
    const res = await api('POST', `/api/v1/trips/${first!.id}/passengers/request-owner`);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ passengers: 3, queued: 1 });
    const [msg] = await svc.db.db.query.outbox.findMany({
      where: and(eq(outbox.accountId, owner.accountId), eq(outbox.kind, 'trip-passengers')),
    });
    const payload = msg!.payload as { text: string; link: { url: string } }[];
    expect(payload[0]!.text).toContain('danh sách hành khách của «Xe khách Phương Trang»');
    const url = new URL(payload[0]!.link.url);
    const get = () => svc.app.inject({ method: 'GET', url: url.pathname + url.search });
    const file = await get();
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.toString('utf8')).toContain('Trần Thị Bích,1990,+84901234567,12C');
    expect((await get()).statusCode).toBe(403); // once
  });

  it('the owner adds a trip in chat with /chuyen', async () => {
    const owner = await svc.db.db.query.venueStaff.findFirst({ where: eq(venueStaff.venueId, coach.id) });
    const c = chat(
      svc,
      (await svc.db.db.query.accounts.findFirst({ where: (a, { eq }) => eq(a.id, owner!.accountId) }))!.externalId,
    );
    expect(textOf(await c.text('/chuyen'))).toContain('Chuyến mới của «Xe khách Phương Trang»');
    expect(textOf(await c.text('31/02 07:00 09:00'))).toContain('Chưa đọc được');
    const added = await c.text('06/08 22:00 04:30');
    expect(textOf(added)).toContain('khởi hành 22:00 06/08/2021, đến 04:30 07/08/2021');
    const rows = await tripRows();
    expect(rows.some((t) => t.departsAt.toISOString() === '2021-08-06T15:00:00.000Z')).toBe(true);
  });

  it('an owner registers a vehicle in chat with its plate and route', async () => {
    const me = chat(svc, 'bus-owner');
    await me.text('/diadiem');
    await me.press('vn:new');
    await me.text('Xe buýt số 05');
    expect(textOf(await me.press('vk:bus'))).toContain('Biển số xe');
    expect(textOf(await me.text('65B-055.55'))).toContain('phường/xã nào');
    expect(textOf(await me.press('vw:-'))).toContain('Tuyến đường');
    await me.text('Bến xe 91B – Cái Răng');
    const done = await me.press('vs:default');
    expect(textOf(done)).toContain('/chuyen');
    const v = await svc.db.db.query.venues.findFirst({ where: eq(venues.name, 'Xe buýt số 05') });
    expect(v).toMatchObject({ kind: 'bus', plate: '65B-055.55', route: 'Bến xe 91B – Cái Răng', address: null });
  });

  it('parseTripTimes reads today, a date, and an overnight arrival', () => {
    const now = new Date('2021-08-04T06:00:00+07:00');
    expect(parseTripTimes('07:30 11:45', now)).toEqual({
      departsAt: new Date('2021-08-04T07:30:00+07:00'),
      arrivesAt: new Date('2021-08-04T11:45:00+07:00'),
    });
    expect(parseTripTimes('5/8 22h00 - 4h30', now)?.arrivesAt).toEqual(new Date('2021-08-06T04:30:00+07:00'));
    expect(parseTripTimes('sáng mai', now)).toBeUndefined();
  });
});

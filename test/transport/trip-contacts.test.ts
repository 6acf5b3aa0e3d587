import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { contacts, declarations, outbox, persons, trips, venues, visits, wards } from '../../src/db/schema/index.js';
import { matchContacts, seatRow, tripContactKind } from '../../src/features/exposure/matcher.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { seedResident, vn } from '../exposure/fixtures.js';

/**
 * A case on a vehicle's trip: that trip's passengers are contacts — close within ±TRIP_CLOSE_SEAT_ROWS seat rows
 * (or when a seat is unknown), casual further away — and nobody on the vehicle's next trip, even minutes later.
 * Visits are seeded as the check-in writes them (trip_id, seat); the case goes through POST /api/v1/cases.
 */
const DAY = '2021-08-04';
let svc: TestService;

describe('the seat-row rule (pure)', () => {
  it('reads rows and decides close or casual', () => {
    expect(seatRow('12C')).toBe(12);
    expect(seatRow('7')).toBe(7);
    expect(seatRow('A3')).toBeUndefined();
    expect(tripContactKind('12C', '14A', 2)).toBe('close');
    expect(tripContactKind('12C', '15A', 2)).toBe('casual');
    expect(tripContactKind('12C', null, 2)).toBe('close');
    expect(tripContactKind(null, '30F', 2)).toBe('close');
    expect(tripContactKind('12C', '13A', 0)).toBe('casual');
  });

  it('a trip window never matches a visit of another trip of the same vehicle', () => {
    const w = {
      venueId: 'v',
      from: vn(DAY, '06:00'),
      to: vn(DAY, '10:00'),
      presence: { from: vn(DAY, '07:00'), to: vn(DAY, '09:00') },
      tripId: 't1',
      seat: '10A',
    };
    const visit = (id: string, tripId: string, seat: string | null) => ({
      visitId: id,
      personId: id,
      accountId: null,
      venueId: 'v',
      enteredAt: vn(DAY, '08:50'),
      exitedAt: vn(DAY, '11:00'),
      defaultStayMinutes: 60,
      tripId,
      seat,
    });
    const out = matchContacts([w], [visit('a', 't1', '11B'), visit('b', 't2', '10B'), visit('c', 't1', '30A')]);
    expect(out.map((c) => [c.personId, c.kind]).sort()).toEqual([
      ['a', 'close'],
      ['c', 'casual'],
    ]);
  });
});

describe('a case on a flight', () => {
  const people: Record<string, { accountId: string; personId: string }> = {};
  let flight: { id: string };
  let tripA: { id: string };
  let tripB: { id: string };

  beforeAll(async () => {
    svc = await startTestService({ clock: new ManualClock('2021-08-05T12:00:00+07:00') });
    const db = svc.db.db;
    flight = (
      await db
        .insert(venues)
        .values({
          code: 'VN1201',
          name: 'Chuyến bay VN 1201',
          kind: 'flight',
          defaultStayMinutes: 360,
          plate: 'VN1201',
        })
        .returning()
    )[0]!;
    tripA = (
      await db
        .insert(trips)
        .values({ venueId: flight.id, departsAt: vn(DAY, '08:00'), arrivesAt: vn(DAY, '10:00') })
        .returning()
    )[0]!;
    // The same aircraft's next flight, boarding 30 minutes after the first one landed.
    tripB = (
      await db
        .insert(trips)
        .values({ venueId: flight.id, departsAt: vn(DAY, '11:00'), arrivesAt: vn(DAY, '13:00') })
        .returning()
    )[0]!;
    const board = async (
      key: string,
      name: string,
      trip: { id: string },
      seat: string | null,
      enteredAt: Date,
      exitedAt: Date,
      phone?: string,
    ) => {
      const r = await seedResident(db, name, phone ? { phone } : {});
      people[key] = { accountId: r.account.id, personId: r.person.id };
      await db.insert(visits).values({
        personId: r.person.id,
        venueId: flight.id,
        accountId: r.account.id,
        enteredAt,
        exitedAt,
        exitReason: 'auto',
        source: 'poster',
        channel: 'telegram',
        tripId: trip.id,
        seat,
      });
    };
    await board('case', 'Ngô Văn Ca', tripA, '12C', vn(DAY, '07:30'), vn(DAY, '10:00'), '+84912000111');
    await board('row11', 'Đinh Thị Mười Một', tripA, '11A', vn(DAY, '07:35'), vn(DAY, '10:00'));
    await board('row14', 'Lý Văn Mười Bốn', tripA, '14F', vn(DAY, '07:40'), vn(DAY, '10:00'));
    await board('row20', 'Tạ Thị Hai Mươi', tripA, '20B', vn(DAY, '07:45'), vn(DAY, '10:00'));
    await board('noseat', 'Cao Văn Không Ghế', tripA, null, vn(DAY, '07:50'), vn(DAY, '10:00'));
    await board('next', 'Hồ Thị Chuyến Sau', tripB, '12D', vn(DAY, '10:30'), vn(DAY, '13:00'));
  });
  afterAll(() => svc.close());

  it('same-trip passengers are contacts by seat row; the next trip of the same aircraft is not', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: adminHeaders,
      payload: { phone: '0912000111', testedAt: '2021-08-05T09:00:00+07:00' },
    });
    expect(res.statusCode).toBe(201);
    const caseId = res.json().id as string;
    const rows = await svc.db.db.query.contacts.findMany({ where: eq(contacts.caseId, caseId) });
    const kindOf = Object.fromEntries(
      Object.entries(people).map(([k, p]) => [k, rows.find((r) => r.personId === p.personId)?.kind]),
    );
    expect(kindOf).toEqual({
      case: undefined,
      row11: 'close', // one row ahead
      row14: 'close', // two rows behind: TRIP_CLOSE_SEAT_ROWS = 2
      row20: 'casual',
      noseat: 'close', // seat unknown: close
      next: undefined, // the next flight, though its boarding touched the window's buffer
    });
    const window = await svc.db.db.query.exposureWindows.findFirst({ where: (w, { eq }) => eq(w.caseId, caseId) });
    expect(window).toMatchObject({ tripId: tripA.id, seat: '12C' });
    // Alerts go out as for any venue: one per alerted account.
    const alerts = await svc.db.db.query.outbox.findMany({
      where: and(eq(outbox.kind, 'alert'), eq(outbox.refId, caseId)),
    });
    expect(alerts.map((a) => a.accountId).sort()).toEqual(
      [people.row11!, people.row14!, people.row20!, people.noseat!].map((p) => p.accountId).sort(),
    );
    expect(tripB.id).not.toBe(tripA.id);
  });

  it('hand-off files: the case contacts, the trip visits and risk declarations, CSV with BOM and JSON, audited', async () => {
    const caseRow = await svc.db.db.query.cases.findFirst();
    const get = (url: string) => svc.app.inject({ method: 'GET', url, headers: adminHeaders });
    const csv = await get(`/api/v1/cases/${caseRow!.id}/contacts.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.rawPayload.subarray(0, 3).toString('hex')).toBe('efbbbf');
    const lines = csv.rawPayload.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toBe(
      'case_id,person_id,full_name,birth_year,phone,ward_code,kind,source,venue_id,venue_name,trip_id,seat,exposed_at,overlap_minutes,alerted_at,acknowledged_at',
    );
    const row14 = lines.find((l) => l.includes('Lý Văn Mười Bốn'))!.split(',');
    expect(row14.slice(6, 12)).toEqual(['close', 'venue', flight.id, 'Chuyến bay VN 1201', tripA.id, '14F']);
    expect(row14[12]).toMatch(/^2021-08-04T\d{2}:\d{2}:00\+07:00$/);
    const json = await get(`/api/v1/cases/${caseRow!.id}/contacts.json`);
    expect(json.json().rows).toHaveLength(4);
    expect(json.json().rows.find((r: { seat: string }) => r.seat === '20B')).toMatchObject({ kind: 'casual' });

    const trip = await get(`/api/v1/handoff/trips/${tripA.id}/visits.json`);
    expect(trip.json().rows.map((r: { full_name: string }) => r.full_name)).toHaveLength(5);
    expect(trip.json().rows[0]).toMatchObject({
      seat: '12C',
      entered_at: '2021-08-04T07:30:00+07:00',
      trip_departs_at: '2021-08-04T08:00:00+07:00',
    });
    const venue = await get(
      `/api/v1/handoff/venues/${flight.id}/visits.csv?from=2021-08-04T10:15:00%2B07:00&to=2021-08-04T12:00:00%2B07:00`,
    );
    expect(venue.rawPayload.toString('utf8')).toContain('Hồ Thị Chuyến Sau');
    expect(venue.rawPayload.toString('utf8')).not.toContain('Lý Văn Mười Bốn');

    const db = svc.db.db;
    await db
      .insert(wards)
      .values({
        code: '31117',
        name: 'Xuân Khánh',
        district: 'Ninh Kiều',
        province: 'Cần Thơ',
        searchName: 'xuan khanh',
      })
      .onConflictDoNothing();
    await db.update(persons).set({ wardCode: '31117' }).where(eq(persons.id, people.row11!.personId));
    const declare = (personId: string, risk: boolean) =>
      db.insert(declarations).values({
        personId,
        travel: false,
        symptoms: risk ? ['fever', 'cough'] : [],
        contactCase: false,
        contactOutbreakArea: false,
        contactSymptoms: false,
        declaredAt: vn('2021-08-05', '08:00'),
      });
    await declare(people.row11!.personId, true);
    await declare(people.row14!.personId, true); // another ward (none)
    await db.update(persons).set({ wardCode: '31117' }).where(eq(persons.id, people.row20!.personId));
    await declare(people.row20!.personId, false); // no risk answer
    const decl = await get(
      '/api/v1/handoff/declarations.csv?wardCode=31117&from=2021-08-05T00:00:00%2B07:00&to=2021-08-06T00:00:00%2B07:00',
    );
    const dl = decl.rawPayload.toString('utf8').slice(1).split('\r\n');
    expect(dl[0]).toBe(
      'declaration_id,person_id,full_name,birth_year,phone,ward_code,declared_at,symptoms,contact_case,contact_outbreak_area,contact_symptoms,travel,travel_places,vaccine_doses',
    );
    expect(dl.slice(1, -1)).toHaveLength(1);
    expect(dl[1]).toContain(
      ',Đinh Thị Mười Một,1985,,31117,2021-08-05T08:00:00+07:00,fever;cough,false,false,false,false,,',
    );
    const audits = await db.query.auditLog.findMany({
      where: (a, { inArray }) =>
        inArray(a.action, [
          'case.contacts.export',
          'trip.visits.handoff',
          'venue.visits.handoff',
          'declarations.handoff',
        ]),
    });
    expect(audits).toHaveLength(5);
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { auditLog, venues, visits, wards } from '../../src/db/schema/index.js';
import { createApiToken } from '../../src/features/officials/api-tokens.js';
import type { CoverageReport, CoverageWard } from '../../src/features/reports/index.js';
import { seedWardResident } from '../helpers/residents.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { inviteOfficial } from '../helpers/officials.js';

let svc: TestService;
let clock: ManualClock;
const CAI_KHE = '31117'; // Phường Cái Khế, Quận Ninh Kiều
const THANH_AN = '31231'; // Thị trấn Thạnh An, Huyện Vĩnh Thạnh
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const official = async (externalId: string, body: Record<string, unknown>) =>
  (await inviteOfficial(svc, externalId, body)).headers;

const resident = (name: string, wardCode: string, declaredAgo: number[]) =>
  seedWardResident(svc.db.db, { name, wardCode, now: clock.now(), declared: declaredAgo.map((ago) => ({ ago })) });

let seq = 0;
async function venue(wardCode: string, kind: string, closed = false): Promise<string> {
  const [v] = await svc.db.db
    .insert(venues)
    .values({
      code: `CV${++seq}XYZ`,
      name: `Địa điểm ${seq}`,
      kind,
      wardCode,
      defaultStayMinutes: 60,
      createdAt: new Date(clock.now().getTime() - 20 * DAY),
      closedAt: closed ? new Date(clock.now().getTime() - DAY) : null,
    })
    .returning();
  return v!.id;
}

async function visit(personId: string, venueId: string, enteredAt: Date) {
  await svc.db.db.insert(visits).values({ personId, venueId, enteredAt, source: 'poster', channel: 'web' });
}

const get = async (headers: Record<string, string>, query = '') => {
  const res = await svc.app.inject({ url: `/api/v1/reports/coverage${query}`, headers });
  return { status: res.statusCode, body: res.json() as CoverageReport };
};
const ward = (r: CoverageReport, code: string): CoverageWard | undefined => r.wards.find((w) => w.wardCode === code);

let caiKheOfficial: Record<string, string>;
let ninhKieu: string;
let vinhThanh: string;

beforeAll(async () => {
  svc = await startTestService();
  clock = svc.clock as ManualClock;
  // 2021-08-01 08:00 in Vietnam (01:00 UTC): the Vietnam days reported are 26/07 … 01/08.
  expect(clock.now().toISOString()).toBe('2021-08-01T01:00:00.000Z');
  const [ck] = await svc.db.db.select().from(wards).where(eq(wards.code, CAI_KHE));
  const [ta] = await svc.db.db.select().from(wards).where(eq(wards.code, THANH_AN));
  ninhKieu = ck!.districtCode!;
  vinhThanh = ta!.districtCode!;
  expect(ninhKieu).not.toBe(vinhThanh);
  caiKheOfficial = await official('ward-ck', { role: 'ward_health', wardCodes: [CAI_KHE] });

  // Cái Khế residents: one declared 2 hours and 3 days ago (counted once), one 3 days ago, one 10 days ago.
  await resident('Nguyễn Văn Một', CAI_KHE, [2 * HOUR, 3 * DAY]);
  await resident('Trần Thị Hai', CAI_KHE, [3 * DAY]);
  await resident('Lê Văn Ba', CAI_KHE, [10 * DAY]);
  // Thạnh An: one resident declared an hour ago; they are also the visitor everywhere.
  const visitor = await resident('Phạm Thị Bốn', THANH_AN, [HOUR]);

  const restaurant = await venue(CAI_KHE, 'restaurant');
  const shop = await venue(CAI_KHE, 'shop');
  await venue(CAI_KHE, 'restaurant', true); // closed: not counted
  const market = await venue(THANH_AN, 'shop');
  const now = clock.now().getTime();
  await visit(visitor, restaurant, new Date(now - HOUR)); // 01/08 07:00
  await visit(visitor, restaurant, new Date('2021-07-31T17:30:00Z')); // 01/08 00:30 in Vietnam, 31/07 in UTC
  await visit(visitor, restaurant, new Date('2021-07-31T16:30:00Z')); // 31/07 23:30 in Vietnam
  await visit(visitor, restaurant, new Date('2021-07-26T02:00:00Z')); // 26/07 09:00, the first day
  await visit(visitor, shop, new Date(now - 8 * DAY)); // too old: the shop is not active
  await visit(visitor, market, new Date(now - 2 * HOUR));
});
afterAll(() => svc.close());

describe('coverage report', () => {
  it('gives the exact figures of a seeded ward, per Vietnam calendar day', async () => {
    const r = await get(adminHeaders);
    expect(r.status).toBe(200);
    expect(r.body.days).toEqual([
      '2021-07-26',
      '2021-07-27',
      '2021-07-28',
      '2021-07-29',
      '2021-07-30',
      '2021-07-31',
      '2021-08-01',
    ]);
    const ck = ward(r.body, CAI_KHE)!;
    expect(ck.wardName).toBe('Phường Cái Khế');
    expect(ck.districtCode).toBe(ninhKieu);
    expect(ck.districtName).toBe('Quận Ninh Kiều');
    expect(ck.venues.total).toBe(2);
    expect(ck.venues.byKind.restaurant).toBe(1);
    expect(ck.venues.byKind.shop).toBe(1);
    expect(ck.venues.byKind.school).toBe(0);
    expect(ck.activeVenues7d).toBe(1);
    expect(ck.residentsDeclared24h).toBe(1);
    expect(ck.residentsDeclared7d).toBe(2);
    expect(ck.checkinsDaily.map((d) => d.checkins)).toEqual([1, 0, 0, 0, 0, 1, 2]);

    const ta = ward(r.body, THANH_AN)!;
    expect(ta.venues.total).toBe(1);
    expect(ta.activeVenues7d).toBe(1);
    expect(ta.residentsDeclared24h).toBe(1);
    expect(ta.residentsDeclared7d).toBe(1);
    expect(ta.checkinsDaily.map((d) => d.checkins)).toEqual([0, 0, 0, 0, 0, 0, 1]);

    // Every ward of the city is listed, those without anything with zeros.
    expect(r.body.wards.length).toBeGreaterThanOrEqual(80);
    const empty = r.body.wards.find((w) => w.wardCode !== CAI_KHE && w.wardCode !== THANH_AN)!;
    expect(empty.venues.total + empty.activeVenues7d + empty.residentsDeclared7d).toBe(0);

    const audit = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'report.coverage'));
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect(audit[0]!.actor).toBe('bootstrap');
  });

  it('limits to a district with districtCode and rejects a malformed one', async () => {
    const r = await get(adminHeaders, `?districtCode=${ninhKieu}`);
    expect(r.status).toBe(200);
    expect(r.body.districtCode).toBe(ninhKieu);
    expect(r.body.wards.length).toBeGreaterThan(1);
    expect(r.body.wards.every((w) => w.districtCode === ninhKieu)).toBe(true);
    expect(ward(r.body, CAI_KHE)).toBeDefined();
    expect(ward(r.body, THANH_AN)).toBeUndefined();
    const bad = await svc.app.inject({ url: '/api/v1/reports/coverage?districtCode=916x', headers: adminHeaders });
    expect(bad.statusCode).toBe(400);
  });

  it('shows a ward_health official only their ward; comms sees the city', async () => {
    const r = await get(caiKheOfficial);
    expect(r.status).toBe(200);
    expect(r.body.wards.map((w) => w.wardCode)).toEqual([CAI_KHE]);
    expect(ward(r.body, CAI_KHE)!.residentsDeclared7d).toBe(2);
    const other = await get(caiKheOfficial, `?districtCode=${vinhThanh}`);
    expect(other.status).toBe(200);
    expect(other.body.wards).toEqual([]);
    const csv = await svc.app.inject({ url: '/api/v1/reports/coverage.csv', headers: caiKheOfficial });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('Phường Cái Khế');
    expect(csv.body).not.toContain(THANH_AN);
    const audit = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'report.coverage'));
    const mine = audit.filter((a) => a.actor !== 'bootstrap');
    expect(mine.length).toBe(3);
    expect(mine.every((a) => JSON.stringify(a.details?.['wardCodes']) !== JSON.stringify([THANH_AN]))).toBe(true);

    const { token } = await createApiToken(svc.db.db, { roles: ['comms'], actor: 'test', now: clock.now() });
    const comms = await get({ authorization: `Bearer ${token}` });
    expect(comms.status).toBe(200);
    expect(ward(comms.body, THANH_AN)!.checkinsDaily.at(-1)!.checkins).toBe(1);
  });

  it('answers 401 without a token', async () => {
    for (const url of ['/api/v1/reports/coverage', '/api/v1/reports/coverage.csv']) {
      const res = await svc.app.inject({ url });
      expect(res.statusCode, url).toBe(401);
    }
  });

  it('exports CSV with a BOM, CRLF, a header row and Vietnamese intact', async () => {
    const res = await svc.app.inject({
      url: `/api/v1/reports/coverage.csv?districtCode=${ninhKieu}`,
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const bytes = res.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text).toContain('Phường Cái Khế');
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.split('\r\n').slice(0, -1);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    const header = lines[0]!.split(','); // the kind labels with commas are quoted: only the plain ones are checked
    expect(header.slice(0, 4)).toEqual(['Mã phường/xã', 'Phường/xã', 'Quận/huyện', 'Địa điểm đã đăng ký']);
    expect(lines[0]).toContain('"Địa điểm: Nhà hàng, quán ăn, cà phê"');
    expect(header.slice(-7)).toEqual([
      'Lượt quét 26/07/2021',
      'Lượt quét 27/07/2021',
      'Lượt quét 28/07/2021',
      'Lượt quét 29/07/2021',
      'Lượt quét 30/07/2021',
      'Lượt quét 31/07/2021',
      'Lượt quét 01/08/2021',
    ]);
    const row = lines.find((l) => l.startsWith(`${CAI_KHE},`))!;
    expect(row.startsWith(`${CAI_KHE},Phường Cái Khế,Quận Ninh Kiều,2,`)).toBe(true);
    // …active 1, declared 1 and 2, no target list (0 required, 0 registered, no %, none missing), then per day.
    expect(row.endsWith(',1,1,2,0,0,,,1,0,0,0,0,1,2')).toBe(true);
    expect(lines.some((l) => l.startsWith(`${THANH_AN},`))).toBe(false);
  });
});

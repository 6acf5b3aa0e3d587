import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, auditLog, type Venue } from '../../src/db/schema/index.js';
import { leaveVenue, recordCheckins } from '../../src/features/checkin/store.js';
import { createVenue } from '../../src/features/venues/store.js';
import { chat, textOf } from '../checkin/chat-driver.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';

/**
 * Issue 13, "venue owners": the visit list as CSV for the authorities (directive §5b) — through the official API
 * and as a one-time link for the owner in chat; UTF-8 with BOM, Vietnamese intact, Vietnam time, audited.
 */
const clock = new ManualClock('2021-08-01T09:00:00+07:00');
let svc: TestService;
let venue: Venue;
const OWNER = 'owner-csv';
const FROM = '2021-08-01T00:00:00+07:00';
const TO = '2021-08-02T00:00:00+07:00';

beforeAll(async () => {
  svc = await startTestService({ clock });
  const db = svc.db.db;
  await chat(svc, OWNER).text('/diadiem');
  const owner = await db.query.accounts.findFirst({ where: eq(accounts.externalId, OWNER) });
  venue = await createVenue(db, { name: 'Nhà hàng Phố Đêm', kind: 'restaurant', ownerAccountId: owner!.id });
  const a = await residentWithDeclaration(db, {
    externalId: 'csv-1',
    name: 'Nguyễn Thị Ánh Tuyết',
    declaredAt: clock.now(),
  });
  const b = await residentWithDeclaration(db, {
    externalId: 'csv-2',
    name: '=HYPERLINK("http://x.example","bấm")',
    declaredAt: clock.now(),
  });
  // One check-in of the resident's own, one recorded by staff; the first leaves at 10:30.
  await recordCheckins(db, {
    venueId: venue.id,
    personIds: [a.self.id],
    accountId: a.accountId,
    source: 'poster',
    channel: 'web',
    now: clock.now(),
  });
  clock.advance(15 * 60_000);
  await recordCheckins(db, {
    venueId: venue.id,
    personIds: [b.self.id],
    accountId: b.accountId,
    source: 'staff',
    channel: 'web',
    now: clock.now(),
    recordedByAccountId: owner!.id,
  });
  clock.advance(75 * 60_000);
  await leaveVenue(db, [a.self.id], venue.id, clock.now());
});
afterAll(async () => {
  await svc?.close();
});

function parseCsv(raw: Buffer): string[][] {
  const text = raw.toString('utf8');
  expect(text.endsWith('\r\n')).toBe(true);
  return text
    .slice(1)
    .trimEnd()
    .split('\r\n')
    .map((line) => {
      const out: string[] = [];
      const re = /("((?:[^"]|"")*)"|[^,]*)(,|$)/g;
      let m: RegExpExecArray | null;
      while ((m = re.exec(line)) && m[0] !== '') {
        out.push(m[2] !== undefined ? m[2].replace(/""/g, '"') : m[1]!);
        if (m[3] === '') break;
      }
      return out;
    });
}

const exports = () =>
  svc.db.db.query.auditLog.findMany({
    where: and(eq(auditLog.action, 'venue.visits.export'), eq(auditLog.subjectId, venue.id)),
  });

describe('GET /api/v1/venues/:id/visits.csv', () => {
  it('refuses a caller without the official token, and audits nothing', async () => {
    const url = `/api/v1/venues/${venue.id}/visits.csv?from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`;
    expect((await svc.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    expect(
      (await svc.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong-token-0123456789' } }))
        .statusCode,
    ).toBe(401);
    expect(await exports()).toEqual([]);
  });

  it('is UTF-8 with BOM, Vietnamese intact, Vietnam time, via self/staff, formulas defused — and audited', async () => {
    const res = await svc.app.inject({
      method: 'GET',
      url: `/api/v1/venues/${venue.id}/visits.csv?from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`,
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="visits-${venue.code}-2021-08-01-2021-08-02.csv"`,
    );
    const raw = res.rawPayload;
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(parseCsv(raw)).toEqual([
      ['Họ và tên', 'Năm sinh', 'Số điện thoại', 'Giờ vào', 'Giờ ra', 'Hình thức'],
      ['Nguyễn Thị Ánh Tuyết', '1990', '+84901234567', '01/08/2021 09:00', '01/08/2021 10:30', 'self'],
      [`'=HYPERLINK("http://x.example","bấm")`, '1990', '+84901234567', '01/08/2021 09:15', '', 'staff'],
    ]);
    const audit = await exports();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'bootstrap',
      details: { count: 2, via: 'api', from: '2021-07-31T17:00:00.000Z' },
    });
  });

  it('checks the range like the JSON list', async () => {
    const res = await svc.app.inject({
      method: 'GET',
      url: `/api/v1/venues/${venue.id}/visits.csv?from=${encodeURIComponent(TO)}&to=${encodeURIComponent(FROM)}`,
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('visit list for the owner in chat', () => {
  it('sends a one-time download link: the same CSV once, then refused; audited with the owner', async () => {
    const card = await chat(svc, OWNER).press(`vn:open:${venue.id}`);
    expect(card.replies.flatMap((m) => (m.buttons ?? []).flat()).map((b) => b.payload)).toContain(`vn:csv:${venue.id}`);
    const r = await chat(svc, OWNER).press(`vn:csv:${venue.id}`);
    expect(textOf(r)).toContain('chỉ tải được một lần');
    const url = new URL(r.replies[0]!.link!.url);
    const before = (await exports()).length;
    const res = await svc.app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(res.statusCode).toBe(200);
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(res.rawPayload);
    expect(rows[1]).toEqual([
      'Nguyễn Thị Ánh Tuyết',
      '1990',
      '+84901234567',
      '01/08/2021 09:00',
      '01/08/2021 10:30',
      'self',
    ]);
    const audit = await exports();
    expect(audit).toHaveLength(before + 1);
    expect(audit.at(-1)).toMatchObject({ details: { via: 'chat', count: 2 } });
    expect(audit.at(-1)!.actor).toMatch(/^account:/);

    const again = await svc.app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(again.statusCode).toBe(403);
    expect(again.body).toContain('đã được dùng');
    expect(await exports()).toHaveLength(before + 1);
    // A changed link, or one for another venue, is refused.
    const forged = await svc.app.inject({ method: 'GET', url: url.pathname + url.search.replace(/.$/, 'x') });
    expect(forged.statusCode).toBe(403);
  });

  it('refuses an expired link; an account that is not the owner gets no link', async () => {
    const r = await chat(svc, OWNER).press(`vn:csv:${venue.id}`);
    const url = new URL(r.replies[0]!.link!.url);
    clock.advance(61 * 60_000);
    expect((await svc.app.inject({ method: 'GET', url: url.pathname + url.search })).statusCode).toBe(403);
    const other = await chat(svc, 'csv-1').press(`vn:csv:${venue.id}`);
    expect(other.replies.some((m) => m.link)).toBe(false);
  });
});

import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, outbox, venueStaff, visits, type Venue } from '../../src/db/schema/index.js';
import { staffCheckinPanel, STAFF_COOKIE } from '../../src/features/checkin/staff-scan.js';
import { issuePass } from '../../src/features/pass/pass-issuer.js';
import { createVenue, setVenueClosed } from '../../src/features/venues/store.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { chat, textOf } from './chat-driver.js';
import { residentWithDeclaration } from './people-fixtures.js';

let svc: TestService;
const clock = new ManualClock('2021-08-01T08:00:00+07:00');
let venue: Venue;
let otherVenue: Venue;
let ownerId: string;

beforeAll(async () => {
  svc = await startTestService({ clock });
  const owner = chat(svc, 'owner-1');
  await owner.text('/diadiem'); // creates the owner's account
  ownerId = (await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'owner-1') }))!.id;
  venue = await createVenue(svc.db.db, { name: 'Siêu thị Co.op Cần Thơ', kind: 'shop', ownerAccountId: ownerId });
  otherVenue = await createVenue(svc.db.db, { name: 'Nhà sách Phương Nam', kind: 'shop', ownerAccountId: ownerId });
});
afterAll(() => svc.close());

/** Staff joins through the owner's invite, asks for a scanning link, opens it in the browser: returns the cookie. */
async function staffSessionCookie(staffExt: string, v: Venue): Promise<string> {
  const invite = textOf(await chat(svc, 'owner-1').press(`vn:invite:${v.id}`));
  const line = /NV ([A-Z0-9]{12})/.exec(invite)![0];
  expect(textOf(await chat(svc, staffExt).text(line))).toContain(`nhân viên của ${v.name}`);
  const scan = await chat(svc, staffExt).press(`vn:scan:${v.id}`);
  const url = new URL(scan.replies[0]!.link!.url);
  const page = await svc.app.inject({ url: url.pathname });
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain('Bắt đầu quét');
  const login = await svc.app.inject({ method: 'POST', url: url.pathname });
  expect(login.statusCode).toBe(200);
  const setCookie = String(login.headers['set-cookie']);
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Lax/);
  expect(setCookie).toMatch(/Secure/);
  // Single use: the second tap (or a second phone) gets nothing.
  expect((await svc.app.inject({ method: 'POST', url: url.pathname })).statusCode).toBe(410);
  return setCookie.split(';')[0]!;
}

function ticketFrom(html: string | undefined): string {
  return /name="ticket" value="([^"]+)"/.exec(html ?? '')![1]!;
}

const record = (cookie: string | undefined, ticket: string) =>
  svc.app.inject({
    method: 'POST',
    url: '/staff/checkins',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    payload: new URLSearchParams({ ticket }).toString(),
  });

describe('staff scan', () => {
  it('signed-in staff see the record button on the verify page and record the entry once', async () => {
    const cookie = await staffSessionCookie('staff-1', venue);
    const resident = await residentWithDeclaration(svc.db.db, {
      externalId: 'res-1',
      name: 'Nguyễn Văn An',
      declaredAt: clock.now(),
    });

    // The phone camera opens the resident's pass QR: the verify page shows the status and, for staff, the button.
    const pass = await issuePass(svc.db.db, svc.deps, resident.self.id);
    const verifyPath = new URL(pass.url).pathname;
    const asStranger = await svc.app.inject({ url: verifyPath });
    expect(asStranger.statusCode).toBe(200);
    expect(asStranger.body).not.toContain('staff-checkin');
    const verify = await svc.app.inject({ url: verifyPath, headers: { cookie } });
    expect(verify.body).toContain('data-status="green"');
    expect(verify.body).toContain('Ghi nhận vào Siêu thị Co.op Cần Thơ');
    const panel = verify.body;
    const res = await record(cookie, ticketFrom(panel));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Đã ghi nhận Nguyễn V. A. vào Siêu thị Co.op Cần Thơ lúc 08:00 01/08/2021');

    const staffAcc = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'staff-1') });
    const rows = await svc.db.db.query.visits.findMany({ where: eq(visits.personId, resident.self.id) });
    expect(rows).toMatchObject([
      {
        venueId: venue.id,
        source: 'staff',
        channel: 'web',
        accountId: resident.accountId,
        recordedByAccountId: staffAcc!.id,
        exitedAt: null,
      },
    ]);
    // The resident hears about it in chat, with the leave button.
    const notice = await svc.db.db.query.outbox.findMany({
      where: and(eq(outbox.accountId, resident.accountId), eq(outbox.kind, 'checkin')),
    });
    expect(notice).toHaveLength(1);
    expect(JSON.stringify(notice[0]!.payload)).toContain(`leave:${venue.id}`);

    // A second scan a minute later is no duplicate.
    clock.advanceMinutes(1);
    const again = await record(
      cookie,
      ticketFrom(await staffCheckinPanel({ headers: { cookie } }, { personId: resident.self.id, deps: svc.deps })),
    );
    expect(again.body).toContain('đã check-in tại Siêu thị Co.op Cần Thơ lúc 08:00');
    expect(await svc.db.db.query.visits.findMany({ where: eq(visits.personId, resident.self.id) })).toHaveLength(1);

    // The resident can leave from chat as after a poster check-in.
    expect(textOf(await chat(svc, 'res-1').press(`leave:${venue.id}`))).toContain('rời khỏi Siêu thị Co.op Cần Thơ');
  });

  it('a stranger with a pass gets no button and cannot record; forged, foreign or stale credentials are refused', async () => {
    const resident = await residentWithDeclaration(svc.db.db, {
      externalId: 'res-2',
      name: 'Trần Thị Bích',
      declaredAt: clock.now(),
    });
    expect(await staffCheckinPanel({ headers: {} }, { personId: resident.self.id, deps: svc.deps })).toBeUndefined();
    expect(
      await staffCheckinPanel(
        { headers: { cookie: `${STAFF_COOKIE}=forged.value.1.x` } },
        { personId: resident.self.id, deps: svc.deps },
      ),
    ).toBeUndefined();

    const cookie = await staffSessionCookie('staff-2', venue);
    const ticket = ticketFrom(
      await staffCheckinPanel({ headers: { cookie } }, { personId: resident.self.id, deps: svc.deps }),
    );
    expect((await record(undefined, ticket)).statusCode).toBe(401);
    // A cookie edited to name another venue fails its signature.
    const value = cookie.slice(STAFF_COOKIE.length + 1).split('.');
    value[1] = otherVenue.id;
    expect((await record(`${STAFF_COOKIE}=${value.join('.')}`, ticket)).statusCode).toBe(401);
    // Staff of another venue cannot use a ticket issued for this one, and a tampered ticket fails.
    const otherCookie = await staffSessionCookie('staff-3', otherVenue);
    expect((await record(otherCookie, ticket)).statusCode).toBe(403);
    expect(
      (await record(cookie, ticket.replace(resident.self.id, '00000000-0000-0000-0000-000000000000'))).statusCode,
    ).toBe(403);
    // Tickets expire (the verify page must be fresh).
    clock.advanceMinutes(11);
    expect((await record(cookie, ticket)).statusCode).toBe(403);
    expect(await svc.db.db.query.visits.findMany({ where: eq(visits.personId, resident.self.id) })).toHaveLength(0);
  });

  it('removing someone from the staff, or closing the venue, ends their power at once', async () => {
    const resident = await residentWithDeclaration(svc.db.db, { externalId: 'res-3', declaredAt: clock.now() });
    const cookie = await staffSessionCookie('staff-4', venue);
    const ticket = ticketFrom(
      await staffCheckinPanel({ headers: { cookie } }, { personId: resident.self.id, deps: svc.deps }),
    );
    await setVenueClosed(svc.db.db, venue.id, clock.now());
    expect((await record(cookie, ticket)).statusCode).toBe(403);
    expect(
      await staffCheckinPanel({ headers: { cookie } }, { personId: resident.self.id, deps: svc.deps }),
    ).toBeUndefined();
    await setVenueClosed(svc.db.db, venue.id, null);
    const staffAcc = await svc.db.db.query.accounts.findFirst({ where: eq(accounts.externalId, 'staff-4') });
    await svc.db.db
      .delete(venueStaff)
      .where(and(eq(venueStaff.venueId, venue.id), eq(venueStaff.accountId, staffAcc!.id)));
    expect((await record(cookie, ticket)).statusCode).toBe(403);
    expect(await svc.db.db.query.visits.findMany({ where: eq(visits.personId, resident.self.id) })).toHaveLength(0);
  });

  it('someone who is not staff gets no scanning link; a used or expired login link is refused', async () => {
    const stranger = chat(svc, 'stranger-1');
    const reply = await stranger.press(`vn:scan:${venue.id}`);
    expect(textOf(reply)).toContain('không quản lý địa điểm này');
    expect(reply.replies[0]!.link).toBeUndefined();

    await chat(svc, 'owner-1').text('/diadiem');
    const scan = await chat(svc, 'owner-1').press(`vn:scan:${venue.id}`);
    const url = new URL(scan.replies[0]!.link!.url);
    clock.advanceMinutes(16);
    expect((await svc.app.inject({ url: url.pathname })).statusCode).toBe(410);
    expect((await svc.app.inject({ method: 'POST', url: url.pathname })).statusCode).toBe(410);
    expect((await svc.app.inject({ method: 'POST', url: '/staff/login/nonsense' })).statusCode).toBe(410);
  });
});

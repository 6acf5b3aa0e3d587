import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { auditLog, persons } from '../../src/db/schema/index.js';
import { passMessage } from '../../src/features/pass/pass-message.js';
import { wardHotline } from '../../src/features/wards/store.js';
import { RecordingSender, seedPerson, seedResident, seedVenue, seedVisit, vn } from '../exposure/fixtures.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';

/**
 * Ward health station phones (issue 15): set per ward by the API; an exposure alert gives the resident's ward
 * number, and the city hotline (HOTLINE, 1900 9095 by default) when the ward has none.
 */
const DAY = '2021-08-04';
const CAI_KHE = '31117';
const AN_BINH = '31150';
let svc: TestService;
let sender: RecordingSender;

const patch = (code: string, payload: unknown, headers: Record<string, string> = adminHeaders) =>
  svc.app.inject({ method: 'PATCH', url: `/api/v1/wards/${code}`, payload: payload as object, headers });

beforeAll(async () => {
  svc = await startTestService({ clock: new ManualClock('2021-08-05T12:00:00+07:00'), workers: true });
  sender = new RecordingSender('telegram');
  svc.deps.channels.set('telegram', sender);
  svc.deps.tokenResolvers.push(async (t) =>
    t === 'comms-token-0123456789' ? { id: 'comms-1', roles: ['comms'] } : undefined,
  );
});
afterAll(() => svc?.close());

describe('ward health station phones', () => {
  it('health officials set one by PATCH /api/v1/wards/:code (audited); other roles may not; unknown codes are 404', async () => {
    const r = await patch(CAI_KHE, { hotline: ' 0292 3820 105 ' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ code: CAI_KHE, name: 'Phường Cái Khế', hotline: '0292 3820 105' });
    const list = await svc.app.inject({ method: 'GET', url: '/api/v1/wards?q=cai khe', headers: adminHeaders });
    expect(list.json()[0]).toMatchObject({ code: CAI_KHE, hotline: '0292 3820 105' });
    const audited = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'ward.hotline'));
    expect(audited).toHaveLength(1);

    expect(
      (await patch(CAI_KHE, { hotline: '1' }, { authorization: 'Bearer comms-token-0123456789' })).statusCode,
    ).toBe(403);
    expect((await patch('99999', { hotline: '0292 111 222' })).statusCode).toBe(404);
    expect((await patch(CAI_KHE, { hotline: 'call us' })).statusCode).toBe(400);
    expect(await wardHotline(svc.db.db, CAI_KHE, '1900 9095')).toBe('0292 3820 105');
    expect(await wardHotline(svc.db.db, AN_BINH, '1900 9095')).toBe('1900 9095');
    expect(await wardHotline(svc.db.db, null, '1900 9095')).toBe('1900 9095');
  });

  it("an alert gives the resident's ward health station, and the city hotline where the ward has none", async () => {
    const db = svc.db.db;
    const cafe = await seedVenue(db, 'Cà phê Ven Sông', 60);
    const ca = await seedResident(db, 'Trần Văn Ca', { phone: '+84912000111' });
    const lan = await seedResident(db, 'Nguyễn Thị Lan'); // Cái Khế: the station's number
    const binh = await seedResident(db, 'Lê Văn Bình'); // An Bình: no number set, the city hotline
    const na = await seedPerson(db, { accountId: binh.account.id, fullName: 'Lê Bé Na', isSelf: false });
    await db.update(persons).set({ wardCode: CAI_KHE }).where(eq(persons.id, lan.person.id));
    await db.update(persons).set({ wardCode: AN_BINH }).where(eq(persons.id, binh.person.id));
    await db.update(persons).set({ wardCode: CAI_KHE }).where(eq(persons.id, na.id));
    const visit = (personId: string, accountId: string, from: string, to: string) =>
      seedVisit(db, { personId, accountId, venueId: cafe.id, enteredAt: vn(DAY, from), exitedAt: vn(DAY, to) });
    await visit(ca.person.id, ca.account.id, '10:00', '11:00');
    await visit(lan.person.id, lan.account.id, '10:30', '11:30');
    await visit(binh.person.id, binh.account.id, '10:30', '11:30');
    // Bình's daughter lives in Cái Khế, but the account holder was there too: his own ward decides.
    await visit(na.id, binh.account.id, '10:30', '11:30');

    const r = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      payload: { phone: '0912 000 111', onsetAt: '2021-08-04T08:00:00+07:00' },
      headers: adminHeaders,
    });
    expect(r.statusCode).toBe(201);
    await until(() => sender.sent.length >= 2);
    const lanText = sender.to(lan.account.externalId)[0]!.messages[0]!.text!;
    expect(lanText).toContain('Đường dây nóng: 0292 3820 105');
    expect(lanText).not.toContain('1900 9095');
    const binhText = sender.to(binh.account.externalId)[0]!.messages[0]!.text!;
    expect(binhText).toContain('Đường dây nóng: 1900 9095');
    expect(binhText).toContain('Lê Bé Na');

    // Their passes, now that they were exposed, say the same number to call.
    const lanPass = await passMessage(db, svc.deps, lan.person.id, 'vi');
    expect(lanPass.text).toContain('0292 3820 105');
    expect(lanPass.text).not.toContain('1900 9095');
    const binhPass = await passMessage(db, svc.deps, binh.person.id, 'vi');
    expect(binhPass.text).toContain('1900 9095');
  });
});

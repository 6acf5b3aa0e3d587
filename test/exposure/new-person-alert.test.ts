import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { contacts, outbox } from '../../src/db/schema/index.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { seedPerson, seedResident, seedVenue, seedVisit, vn } from './fixtures.js';

/**
 * A second registration of an open case that finds a new person on an account already alerted for that case:
 * that person must be told (in an alert naming only them), and a registration finding nothing new sends nothing.
 */
const DAY = '2021-08-04';
let svc: TestService;
let binhAccount: string;
let naId: string;

const register = (infectiousTo: string) =>
  svc.app.inject({
    method: 'POST',
    url: '/api/v1/cases',
    headers: adminHeaders,
    payload: {
      phone: '+84912345678',
      infectiousFrom: `${DAY}T09:00:00+07:00`,
      infectiousTo: `${DAY}T${infectiousTo}:00+07:00`,
    },
  });

const alertsOf = (accountId: string) =>
  svc.db.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.accountId, accountId), eq(outbox.kind, 'alert')));

beforeAll(async () => {
  svc = await startTestService({ clock: new ManualClock('2021-08-05T12:00:00+07:00') });
  const db = svc.db.db;
  const cafe = await seedVenue(db, 'Cà phê Hạnh Phúc', 60);
  const market = await seedVenue(db, 'Chợ Cái Khế', 45);
  const ca = await seedResident(db, 'Trần Văn Ca', { phone: '+84912345678' });
  const binh = await seedResident(db, 'Lê Văn Bình');
  const na = await seedPerson(db, { accountId: binh.account.id, fullName: 'Lê Bé Na', isSelf: false, birthYear: 2016 });
  binhAccount = binh.account.id;
  naId = na.id;
  await seedVisit(db, {
    personId: ca.person.id,
    accountId: ca.account.id,
    venueId: cafe.id,
    enteredAt: vn(DAY, '10:00'),
    exitedAt: vn(DAY, '11:00'),
  });
  await seedVisit(db, {
    personId: ca.person.id,
    accountId: ca.account.id,
    venueId: market.id,
    enteredAt: vn(DAY, '14:00'),
    exitedAt: vn(DAY, '14:30'),
  });
  await seedVisit(db, {
    personId: binh.person.id,
    accountId: binhAccount,
    venueId: cafe.id,
    enteredAt: vn(DAY, '10:00'),
    exitedAt: vn(DAY, '11:00'),
  });
  await seedVisit(db, {
    personId: na.id,
    accountId: binhAccount,
    venueId: market.id,
    enteredAt: vn(DAY, '14:00'),
    exitedAt: vn(DAY, '14:30'),
  });
});
afterAll(() => svc?.close());

describe('a second registration of an open case', () => {
  it('alerts an account again about a newly found person only, and marks that person alerted', async () => {
    const first = await register('12:00');
    expect(first.json()).toMatchObject({ existing: false, contacts: 1, alertsQueued: 1 });

    const wider = await register('18:00');
    expect(wider.json()).toMatchObject({ existing: true, contacts: 2, alertsQueued: 1 });
    const alerts = await alertsOf(binhAccount);
    expect(alerts).toHaveLength(2);
    const texts = alerts.map((a) => JSON.stringify(a.payload));
    const second = texts.filter((t) => t.includes('Lê Bé Na — Chợ Cái Khế'));
    expect(second).toHaveLength(1);
    expect(second[0]).not.toContain('Cà phê Hạnh Phúc');
    const [na] = await svc.db.db.select().from(contacts).where(eq(contacts.personId, naId));
    expect(na!.alertedAt).toBeTruthy();
  });

  it('registering again with nothing new queues nothing', async () => {
    const again = await register('18:00');
    expect(again.json()).toMatchObject({ existing: true, contacts: 2, alertsQueued: 0 });
    expect(await alertsOf(binhAccount)).toHaveLength(2);
  });
});

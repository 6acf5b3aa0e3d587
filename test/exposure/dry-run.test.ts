import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { queryRows } from '../../src/db/client.js';
import { auditLog, casePersons, cases, contacts, exposureWindows, outbox } from '../../src/db/schema/index.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { seedPerson, seedResident, seedVenue, seedVisit, vn } from './fixtures.js';

/**
 * Issue 15: the preview (`"dryRun": true`) stores nothing and says exactly what the real send then does;
 * trimmed windows change who is alerted; household members of close contacts get a separate notice; a typed
 * phone is only a possible match until an official confirms it.
 */
const DAY = '2021-08-04';
let svc: TestService;
const ids: Record<string, { accountId: string; personId: string }> = {};
let cafe: { id: string };
let market: { id: string };

const post = (url: string, payload: unknown) =>
  svc.app.inject({ method: 'POST', url, payload: payload as object, headers: adminHeaders });
const count = async (
  table: typeof cases | typeof contacts | typeof outbox | typeof exposureWindows | typeof casePersons,
) => (await svc.db.db.select({ n: sql<number>`count(*)::int` }).from(table))[0]!.n;
const changeAudits = async () =>
  (
    await queryRows<{ n: number }>(
      svc.db.db,
      sql`select count(*)::int as n from audit_log where action <> 'case.preview'`,
    )
  )[0]!.n;
const outboxOf = (kind: string, key: string) =>
  svc.db.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.kind, kind), eq(outbox.accountId, ids[key]!.accountId)));

beforeAll(async () => {
  svc = await startTestService({ clock: new ManualClock('2021-08-05T12:00:00+07:00') });
  const db = svc.db.db;
  cafe = await seedVenue(db, 'Cà phê Hạnh Phúc', 60);
  market = await seedVenue(db, 'Chợ Tân An', 60);
  const add = async (key: string, name: string, opts: { phone?: string; phoneVerified?: boolean } = {}) => {
    const r = await seedResident(db, name, opts);
    ids[key] = { accountId: r.account.id, personId: r.person.id };
  };
  await add('case', 'Trần Văn Ca', { phone: '+84912345678' });
  await add('lan', 'Nguyễn Thị Lan');
  await add('binh', 'Lê Văn Bình');
  await add('early', 'Phạm Sớm');
  await add('late', 'Đặng Muộn');
  // Someone else typed the case's number into the web chat as their own (unverified).
  await add('typist', 'Người Gõ Nhầm', { phone: '+84912345678', phoneVerified: false });
  await add('typistContact', 'Hồ Gặp');
  const grandma = await seedPerson(db, {
    accountId: ids.lan!.accountId,
    fullName: 'Bà Nội Lan',
    isSelf: false,
    birthYear: 1940,
  });
  ids.grandma = { accountId: ids.lan!.accountId, personId: grandma.id };

  const visit = (who: string, venueId: string, from: string, to: string) =>
    seedVisit(db, {
      personId: ids[who]!.personId,
      accountId: ids[who]!.accountId,
      venueId,
      enteredAt: vn(DAY, from),
      exitedAt: vn(DAY, to),
    });
  // The case: café 10:00–11:00 (window 09:00–12:00), market 14:00–17:00 (window 13:00–18:00).
  await visit('case', cafe.id, '10:00', '11:00');
  await visit('case', market.id, '14:00', '17:00');
  await visit('lan', cafe.id, '10:15', '11:15'); // close; her grandmother is in her household
  await visit('binh', cafe.id, '11:30', '11:50'); // casual
  await visit('early', market.id, '14:10', '14:50'); // close, early in the market
  await visit('late', market.id, '16:20', '16:50'); // close, late in the market
  await visit('typist', cafe.id, '07:00', '07:30'); // the typist's own visits must drive nothing
  await visit('typistContact', cafe.id, '07:00', '07:30');
});
afterAll(() => svc?.close());

let preview: Record<string, unknown> & {
  windows: {
    venueId: string;
    venueName: string;
    from: string;
    to: string;
    closeContacts: number;
    casualContacts: number;
  }[];
};

describe('POST /api/v1/cases with "dryRun": true', () => {
  it('answers the preview and stores nothing (the preview is audited as a read only)', async () => {
    const r = await post('/api/v1/cases', { phone: '0912345678', onsetAt: '2021-08-04T08:00:00+07:00', dryRun: true });
    expect(r.statusCode).toBe(200);
    preview = r.json();
    expect(preview).toMatchObject({
      id: null,
      dryRun: true,
      personFound: true,
      exposureWindows: 2,
      closeContacts: 3,
      casualContacts: 1,
      alertsQueued: 4,
      householdNotices: 1,
    });
    expect(preview.windows).toEqual([
      {
        venueId: cafe.id,
        venueName: 'Cà phê Hạnh Phúc',
        from: '2021-08-04T02:00:00.000Z',
        to: '2021-08-04T05:00:00.000Z',
        closeContacts: 1,
        casualContacts: 1,
      },
      {
        venueId: market.id,
        venueName: 'Chợ Tân An',
        from: '2021-08-04T06:00:00.000Z',
        to: '2021-08-04T11:00:00.000Z',
        closeContacts: 2,
        casualContacts: 0,
      },
    ]);
    // The typed number is shown as a possible match, never linked.
    expect(preview.possibleMatches).toEqual([
      {
        personId: ids.typist!.personId,
        fullName: 'Người Gõ Nhầm',
        birthYear: 1985,
        channel: 'telegram',
        phoneSource: 'typed',
      },
    ]);
    for (const t of [cases, casePersons, contacts, exposureWindows, outbox]) expect(await count(t)).toBe(0);
    expect(await changeAudits()).toBe(0);
    const reads = await svc.db.db.select().from(auditLog).where(eq(auditLog.action, 'case.preview'));
    expect(reads).toHaveLength(1);
    expect(reads[0]!.actor).toBe('bootstrap');
  });

  it('the trimmed send alerts only who is left in the kept windows (the market cut to its first hour, the café kept)', async () => {
    const windows = [
      { venueId: cafe.id, from: preview.windows[0]!.from, to: preview.windows[0]!.to },
      { venueId: market.id, from: '2021-08-04T13:00:00+07:00', to: '2021-08-04T15:00:00+07:00' },
    ];
    const dry = await post('/api/v1/cases', {
      phone: '0912345678',
      onsetAt: '2021-08-04T08:00:00+07:00',
      dryRun: true,
      windows,
    });
    expect(dry.json()).toMatchObject({ closeContacts: 2, casualContacts: 1, alertsQueued: 3 });
    for (const t of [cases, contacts, exposureWindows, outbox]) expect(await count(t)).toBe(0);

    const r = await post('/api/v1/cases', { phone: '0912345678', onsetAt: '2021-08-04T08:00:00+07:00', windows });
    expect(r.statusCode).toBe(201);
    const sent = r.json();
    // What the preview said is what happened.
    const { id: _a, dryRun: _b, ...said } = dry.json();
    const { id: _c, dryRun: _d, ...did } = sent;
    expect(did).toEqual({ ...said, possibleMatches: said.possibleMatches });
    expect(sent.windows[1]).toMatchObject({
      venueId: market.id,
      from: '2021-08-04T06:00:00.000Z',
      to: '2021-08-04T08:00:00.000Z',
    });
    expect(await outboxOf('alert', 'early')).toHaveLength(1);
    expect(await outboxOf('alert', 'late')).toHaveLength(0);
    expect(await outboxOf('alert', 'lan')).toHaveLength(1);
    expect(await outboxOf('alert', 'binh')).toHaveLength(1);
    expect(await outboxOf('alert', 'typistContact')).toHaveLength(0);
  });

  it('the household of a close contact gets one "monitor your health" notice, not the alert', async () => {
    const notices = await outboxOf('household_notice', 'lan');
    expect(notices).toHaveLength(1);
    const text = (notices[0]!.payload as { text: string }[])[0]!.text;
    expect(text).toContain('Vui lòng theo dõi sức khỏe');
    expect(text).toContain('Bà Nội Lan');
    expect(text).not.toContain('Nguyễn Thị Lan');
    expect(text).toContain('Đường dây nóng: 1900 9095');
    // The grandmother is no contact (her pass does not change); Lan's alert names only Lan's own visit.
    const [c] = await svc.db.db.select().from(contacts).where(eq(contacts.personId, ids.grandma!.personId));
    expect(c).toBeUndefined();
    // Bình was casual: his household (none here) and he get no notice.
    expect(await outboxOf('household_notice', 'binh')).toHaveLength(0);
  });

  it('the typed phone is not red and drove nothing; confirming the person links them and alerts their contacts', async () => {
    const [row] = await svc.db.db.select().from(cases);
    const linked = await svc.db.db.select().from(casePersons).where(eq(casePersons.caseId, row!.id));
    expect(linked.map((l) => l.personId)).toEqual([ids.case!.personId]);
    const pass = await svc.app.inject({
      method: 'GET',
      url: `/api/v1/cases/${row!.id}/contacts`,
      headers: adminHeaders,
    });
    expect(pass.json().contacts.map((c: { personId: string }) => c.personId)).not.toContain(
      ids.typistContact!.personId,
    );

    const bad = await post(`/api/v1/cases/${row!.id}/confirm-person`, { personId: ids.lan!.personId });
    expect(bad.statusCode).toBe(409);
    expect(bad.json().error.code).toBe('NOT_A_POSSIBLE_MATCH');

    // The official checked with the typist and it is the same human after all (e.g. a second phone line).
    const r = await post(`/api/v1/cases/${row!.id}/confirm-person`, { personId: ids.typist!.personId });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: row!.id, existing: true, alertsQueued: 1 });
    expect(await outboxOf('alert', 'typistContact')).toHaveLength(1);
    const after = await svc.db.db.select().from(casePersons).where(eq(casePersons.caseId, row!.id));
    expect(after.map((l) => l.personId).sort()).toEqual([ids.case!.personId, ids.typist!.personId].sort());
  });

  it('excludeVenueIds drops a venue before alerting', async () => {
    const r = await post('/api/v1/cases', {
      phone: '0912345678',
      onsetAt: '2021-08-04T08:00:00+07:00',
      dryRun: true,
      excludeVenueIds: [cafe.id],
    });
    // The open case is re-matched: its windows exist already, so nothing new would go out.
    expect(r.json()).toMatchObject({ existing: true, alertsQueued: 0 });
  });
});

describe('CASE_PREVIEW_REQUIRED', () => {
  it('refuses a real send without the previewed windows, and takes it with them', async () => {
    svc.deps.config.casePreviewRequired = true;
    try {
      const body = { phone: '0987000111', testedAt: '2021-08-04T08:00:00+07:00' };
      const r = await post('/api/v1/cases', body);
      expect(r.statusCode).toBe(409);
      expect(r.json().error.code).toBe('PREVIEW_REQUIRED');
      const dry = await post('/api/v1/cases', { ...body, dryRun: true });
      expect(dry.statusCode).toBe(200);
      const ok = await post('/api/v1/cases', {
        ...body,
        windows: dry.json().windows.map((w: { venueId: string; from: string; to: string }) => ({
          venueId: w.venueId,
          from: w.from,
          to: w.to,
        })),
      });
      expect(ok.statusCode).toBe(201);
    } finally {
      svc.deps.config.casePreviewRequired = false;
    }
  });
});

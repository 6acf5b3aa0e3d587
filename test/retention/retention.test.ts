import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { loadConfig } from '../../src/config.js';
import {
  accounts,
  auditLog,
  cases,
  contacts,
  declarations,
  dialogStates,
  exposureWindows,
  invites,
  outbox,
  persons,
  processedUpdates,
  staffLoginLinks,
  venues,
  visits,
  webInbox,
  webPushSubscriptions,
} from '../../src/db/schema/index.js';
import { applyRetention } from '../../src/features/retention/job.js';
import { DEFAULT_RETENTION, retentionPolicy } from '../../src/features/retention/policy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.destroy());

const now = new Date('2021-08-30T12:00:00+07:00');
const daysAgo = (d: number, extraMs = 0) => new Date(now.getTime() - d * 86_400_000 + extraMs);

describe('retention', () => {
  it('deletes each kind of row just past its period and keeps the rest', async () => {
    const [a1, a2] = await db.db
      .insert(accounts)
      .values([
        { channel: 'web', externalId: 'r1' },
        { channel: 'web', externalId: 'r2' },
      ])
      .returning();
    const [p] = await db.db
      .insert(persons)
      .values({ ownerAccountId: a1!.id, isSelf: true, fullName: 'Trần Thị Bích', birthYear: 1980, gender: 'female' })
      .returning();
    const [v] = await db.db
      .insert(venues)
      .values({ code: 'ABC234', name: 'Chợ Xuân Khánh', kind: 'market', defaultStayMinutes: 60 })
      .returning();
    const decl = {
      personId: p!.id,
      travel: false,
      contactCase: false,
      contactOutbreakArea: false,
      contactSymptoms: false,
    };
    await db.db.insert(declarations).values([
      { ...decl, declaredAt: daysAgo(28, -60_000) }, // 28 days and a minute: gone
      { ...decl, declaredAt: daysAgo(28, 60_000) }, // a minute short of 28 days: kept
    ]);
    const visit = { personId: p!.id, venueId: v!.id, source: 'poster', channel: 'web' };
    await db.db.insert(visits).values([
      { ...visit, enteredAt: daysAgo(21, -60_000) },
      { ...visit, enteredAt: daysAgo(20) },
    ]);
    await db.db.insert(dialogStates).values([
      { accountId: a1!.id, updatedAt: daysAgo(8) },
      { accountId: a2!.id, updatedAt: daysAgo(6) },
    ]);
    await db.db.insert(processedUpdates).values([
      { channel: 'telegram', updateId: '1', processedAt: daysAgo(4) },
      { channel: 'telegram', updateId: '2', processedAt: daysAgo(1) },
    ]);
    await db.db.insert(auditLog).values([
      { actor: 'bootstrap', action: 'case.create', at: daysAgo(366) },
      { actor: 'bootstrap', action: 'case.create', at: daysAgo(300) },
    ]);
    const msg = { channel: 'web', accountId: a1!.id, kind: 'alert', payload: [] };
    await db.db.insert(outbox).values([
      { ...msg, dedupeKey: 'old-sent', status: 'sent', createdAt: daysAgo(15) },
      { ...msg, dedupeKey: 'old-pending', status: 'pending', createdAt: daysAgo(15) },
      { ...msg, dedupeKey: 'new-sent', status: 'sent', createdAt: daysAgo(1) },
    ]);
    await db.db.insert(webInbox).values([
      { accountId: a1!.id, payload: [], createdAt: daysAgo(14, -60_000) }, // never collected: gone
      { accountId: a2!.id, payload: [], createdAt: daysAgo(13) },
    ]);
    const sub = { accountId: a1!.id, p256dh: 'BOb-key', auth: 'auth-secret' };
    await db.db.insert(webPushSubscriptions).values([
      { ...sub, endpoint: 'https://push.example/old', seenAt: daysAgo(60, -60_000) }, // no page renewed it for 60 days: gone
      { ...sub, endpoint: 'https://push.example/recent', seenAt: daysAgo(59) },
    ]);
    const caseRow = { infectiousFrom: daysAgo(40), infectiousTo: daysAgo(30), createdBy: 'bootstrap' };
    const [closed, open] = await db.db
      .insert(cases)
      .values([
        { ...caseRow, closedAt: daysAgo(20) },
        { ...caseRow, closedAt: null },
      ])
      .returning();
    const win = { venueId: v!.id, advice: 'test', createdBy: 'bootstrap', fromAt: daysAgo(30) };
    await db.db.insert(exposureWindows).values([
      { ...win, caseId: closed!.id, toAt: daysAgo(28, -60_000) }, // closed case, over 28 days ago: gone
      { ...win, caseId: closed!.id, toAt: daysAgo(27) },
      { ...win, caseId: open!.id, toAt: daysAgo(29) }, // the case is still open: kept
      { ...win, caseId: null, toAt: daysAgo(29) }, // entered by hand, no person in it: kept
    ]);
    const contact = { caseId: closed!.id, personId: p!.id, kind: 'close', overlapMinutes: 30 };
    await db.db.insert(contacts).values([
      { ...contact, exposureKey: 'k1', exposedAt: daysAgo(28, -60_000) }, // exposed 28 days and a minute ago: gone
      { ...contact, exposureKey: 'k2', exposedAt: daysAgo(28, 60_000), alertedAt: daysAgo(1) },
    ]);
    const invite = { role: 'health', createdBy: 'bootstrap' };
    await db.db.insert(invites).values([
      { ...invite, codeHash: 'expired-8', expiresAt: daysAgo(8) }, // gone
      { ...invite, codeHash: 'expired-6', expiresAt: daysAgo(6) },
      { ...invite, codeHash: 'used-8', expiresAt: daysAgo(-30), usedAt: daysAgo(8), usedByAccountId: a2!.id }, // gone
      { ...invite, codeHash: 'open', expiresAt: daysAgo(-1) },
    ]);
    await db.db.insert(staffLoginLinks).values([
      { codeHash: 'link-8', venueId: v!.id, accountId: a2!.id, expiresAt: daysAgo(8) }, // gone
      { codeHash: 'link-6', venueId: v!.id, accountId: a2!.id, expiresAt: daysAgo(6), usedAt: daysAgo(6) },
    ]);

    const result = await applyRetention(db.db, now);
    expect(result).toEqual({
      visits: 1,
      declarations: 1,
      dialogStates: 1,
      processedUpdates: 1,
      auditLog: 1,
      outbox: 1,
      webInbox: 1,
      webPushSubscriptions: 1,
      contacts: 1,
      exposureWindows: 1,
      invites: 2,
      staffLoginLinks: 1,
      heldPersons: 0,
      doorPersons: 0,
    });
    const counts = await queryRows<Record<string, number>>(
      db.db,
      sql`select (select count(*)::int from visits) as visits, (select count(*)::int from declarations) as declarations,
                 (select count(*)::int from dialog_states) as dialog, (select count(*)::int from processed_updates) as updates,
                 (select count(*)::int from audit_log) as audit, (select count(*)::int from outbox) as outbox,
                 (select count(*)::int from web_inbox) as inbox, (select count(*)::int from web_push_subscriptions) as subscriptions, (select count(*)::int from contacts) as contacts,
                 (select count(*)::int from exposure_windows) as windows, (select count(*)::int from invites) as invites,
                 (select count(*)::int from staff_login_links) as links, (select count(*)::int from cases) as cases`,
    );
    expect(counts[0]).toEqual({
      visits: 1,
      declarations: 1,
      dialog: 1,
      updates: 1,
      audit: 1,
      outbox: 2,
      inbox: 1,
      subscriptions: 1,
      contacts: 1,
      windows: 3,
      invites: 2,
      links: 1,
      // cases are the health department's records: never deleted by retention
      cases: 2,
    });
    // Running again deletes nothing more.
    expect(Object.values(await applyRetention(db.db, now)).every((n) => n === 0)).toBe(true);
  });

  it('reads the periods residents are told about from the settings', async () => {
    expect(retentionPolicy(loadConfig({}))).toEqual(DEFAULT_RETENTION);
    const policy = retentionPolicy(
      loadConfig({ RETENTION_VISITS_DAYS: '30', RETENTION_DECLARATIONS_DAYS: '40', RETENTION_DIALOG_DAYS: '2' }),
    );
    expect(policy).toMatchObject({ visitsDays: 30, declarationsDays: 40, contactsDays: 40, dialogIdleDays: 2 });
    expect(() => loadConfig({ RETENTION_VISITS_DAYS: '0' })).toThrow(
      /RETENTION_VISITS_DAYS must be a positive whole number/,
    );

    const [a] = await db.db.insert(accounts).values({ channel: 'web', externalId: 'r3' }).returning();
    const [p] = await db.db
      .insert(persons)
      .values({ ownerAccountId: a!.id, isSelf: true, fullName: 'Lê Văn Tâm', birthYear: 1975, gender: 'male' })
      .returning();
    const [v] = await db.db
      .insert(venues)
      .values({ code: 'XYZ567', name: 'Nhà thuốc An Khang', kind: 'pharmacy', defaultStayMinutes: 15 })
      .returning();
    await db.db.insert(visits).values([
      { personId: p!.id, venueId: v!.id, source: 'poster', channel: 'web', enteredAt: daysAgo(25) }, // kept with 30 days
      { personId: p!.id, venueId: v!.id, source: 'poster', channel: 'web', enteredAt: daysAgo(31) },
    ]);
    await db.db.insert(dialogStates).values({ accountId: a!.id, updatedAt: daysAgo(3) }); // gone with 2 days
    // the second dialog state is the first test's, 6 days idle: kept by 7 days, not by 2
    expect(await applyRetention(db.db, now, policy)).toMatchObject({ visits: 1, dialogStates: 2 });
  });
});

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import {
  accounts,
  auditLog,
  declarations,
  dialogStates,
  outbox,
  persons,
  processedUpdates,
  venues,
  visits,
  webInbox,
} from '../../src/db/schema/index.js';
import { applyRetention } from '../../src/features/retention/job.js';
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
    const [v] = await db.db.insert(venues).values({ code: 'ABC234', name: 'Chợ Xuân Khánh', kind: 'market', defaultStayMinutes: 60 }).returning();
    const decl = { personId: p!.id, travel: false, contactCase: false, contactOutbreakArea: false, contactSymptoms: false };
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

    const result = await applyRetention(db.db, now);
    expect(result).toEqual({ visits: 1, declarations: 1, dialogStates: 1, processedUpdates: 1, auditLog: 1, outbox: 1, webInbox: 1 });
    const counts = await queryRows<Record<string, number>>(
      db.db,
      sql`select (select count(*)::int from visits) as visits, (select count(*)::int from declarations) as declarations,
                 (select count(*)::int from dialog_states) as dialog, (select count(*)::int from processed_updates) as updates,
                 (select count(*)::int from audit_log) as audit, (select count(*)::int from outbox) as outbox,
                 (select count(*)::int from web_inbox) as inbox`,
    );
    expect(counts[0]).toEqual({ visits: 1, declarations: 1, dialog: 1, updates: 1, audit: 1, outbox: 2, inbox: 1 });
    // Running again deletes nothing more.
    expect(Object.values(await applyRetention(db.db, now)).every((n) => n === 0)).toBe(true);
  });
});

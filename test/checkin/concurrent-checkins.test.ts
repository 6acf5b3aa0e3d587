import { and, eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Inbound } from '../../src/core/messages.js';
import { visits } from '../../src/db/schema/index.js';
import { recordCheckins } from '../../src/features/checkin/store.js';
import { createVenue } from '../../src/features/venues/store.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { residentWithDeclaration } from './people-fixtures.js';

/** 20 in the suite; the 200-guest load run is `BENCH_CHECKINS=200` (scripts/bench/run-all.sh) */
const RESIDENTS = Number(process.env.BENCH_CHECKINS ?? 20);
let svc: TestService;
const clock = new ManualClock('2021-08-01T19:00:00+07:00');

beforeAll(async () => {
  svc = await startTestService({ clock });
});
afterAll(() => svc.close());

describe('many check-ins at once', () => {
  it(`${RESIDENTS} residents check in at one venue concurrently through the runner, each recorded once`, async () => {
    const venue = await createVenue(svc.db.db, { name: 'Tiệc cưới Trung tâm Hội nghị Tây Đô', kind: 'ceremony' });
    const ids: string[] = [];
    for (let i = 0; i < RESIDENTS; i++) {
      const r = await residentWithDeclaration(svc.db.db, {
        externalId: `guest-${i}`,
        channel: 'telegram',
        name: `Khách ${i}`,
        declaredAt: clock.now(),
      });
      ids.push(r.self.id);
    }
    const update = (i: number, n: number, body: Partial<Inbound>): Inbound =>
      ({ channel: 'telegram', accountId: `guest-${i}`, messageId: `u-${i}-${n}`, ...body }) as Inbound;

    const started = performance.now();
    await Promise.all(
      Array.from({ length: RESIDENTS }, async (_, i) => {
        await svc.runner.handle(update(i, 1, { kind: 'start', param: `v_${venue.code}` }));
        const confirm = update(i, 2, { kind: 'button', payload: 'cf:ok' });
        // Telegram redelivers when an answer is slow: the same update twice, and a double tap.
        await Promise.all([
          svc.runner.handle(confirm),
          svc.runner.handle(confirm),
          svc.runner.handle(update(i, 3, { kind: 'button', payload: 'cf:ok' })),
        ]);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${RESIDENTS} check-ins (${RESIDENTS * 4} updates) on ${svc.db.kind}: ${seconds.toFixed(2)} s, ${((RESIDENTS * 4) / seconds).toFixed(0)} updates/s`,
    );

    const rows = await svc.db.db
      .select({ personId: visits.personId, n: sql<number>`count(*)::int` })
      .from(visits)
      .where(eq(visits.venueId, venue.id))
      .groupBy(visits.personId);
    expect(rows).toHaveLength(RESIDENTS);
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.personId))).toEqual(new Set(ids));
  }, 120_000);

  it('one person recorded from several places at once (staff scans, own scans) is inside one venue only', async () => {
    const a = await createVenue(svc.db.db, { name: 'Cổng A', kind: 'station' });
    const b = await createVenue(svc.db.db, { name: 'Cổng B', kind: 'station' });
    const r = await residentWithDeclaration(svc.db.db, { externalId: 'busy-1', declaredAt: clock.now() });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        recordCheckins(svc.db.db, {
          venueId: i % 2 ? a.id : b.id,
          personIds: [r.self.id],
          accountId: r.accountId,
          source: i % 3 ? 'poster' : 'staff',
          channel: 'web',
          now: clock.now(),
        }),
      ),
    );
    const open = await svc.db.db.query.visits.findMany({
      where: and(eq(visits.personId, r.self.id), isNull(visits.exitedAt)),
    });
    expect(open).toHaveLength(1);
    // Never in two venues at once: each visit ends before (or as) the next one begins.
    const all = await svc.db.db.query.visits.findMany({
      where: eq(visits.personId, r.self.id),
      orderBy: (v, { asc }) => [asc(v.enteredAt), asc(v.exitedAt)],
    });
    for (let i = 1; i < all.length; i++)
      expect(all[i - 1]!.exitedAt!.getTime()).toBeLessThanOrEqual(all[i]!.enteredAt.getTime());
  });
});

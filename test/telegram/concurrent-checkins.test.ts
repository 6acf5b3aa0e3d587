import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { visits } from '../../src/db/schema/index.js';
import { createVenue } from '../../src/features/venues/store.js';
import { residentWithDeclaration } from '../checkin/people-fixtures.js';
import { postUpdate, TelegramPerson, tgUser, type FakeTelegram } from '../helpers/fake-telegram.js';
import type { TestService } from '../helpers/service.js';
import { startTelegramTestService, type TelegramTestService } from '../helpers/telegram-service.js';

/**
 * Issue 5's load case through the real webhook: a wedding's guests all scan the poster at once. Each one opens
 * the deep link and confirms; Telegram redelivers a confirm whose answer was slow, and a guest taps twice.
 * Every guest is recorded once and told once.
 */
/** 20 in the suite; the 200-guest load run is `BENCH_CHECKINS=200` (scripts/bench/run-all.sh) */
const RESIDENTS = Number(process.env.BENCH_CHECKINS ?? 20);
const FIRST_CHAT = 880_000;
const SECRET = 'concurrent-secret_0123456789';
const clock = new ManualClock('2021-08-01T19:00:00+07:00');
let tg: FakeTelegram;
let svc: TestService;

let telegram: TelegramTestService | undefined;

beforeAll(async () => {
  telegram = await startTelegramTestService(SECRET, { clock });
  ({ tg, svc } = telegram);
});
afterAll(() => telegram?.close());

const posted = async (update: unknown) => {
  const res = await postUpdate(svc.app, update, SECRET, tg);
  expect(res.statusCode, res.body).toBe(200);
};

describe('concurrent check-ins through POST /telegram/webhook', () => {
  it(`${RESIDENTS} declared residents open the deep link and confirm at once; each is recorded and told once`, async () => {
    const venue = await createVenue(svc.db.db, { name: 'Trung tâm Hội nghị Tây Đô', kind: 'ceremony' });
    const guests: TelegramPerson[] = [];
    const personIds: string[] = [];
    for (let i = 0; i < RESIDENTS; i++) {
      const chatId = FIRST_CHAT + i;
      const r = await residentWithDeclaration(svc.db.db, {
        channel: 'telegram',
        externalId: String(chatId),
        name: `Khách mời ${i}`,
        declaredAt: clock.now(),
      });
      personIds.push(r.self.id);
      guests.push(new TelegramPerson(svc.app, tg, SECRET, tgUser(chatId, 'vi', `Khách ${i}`)));
    }

    const started = performance.now();
    await Promise.all(
      guests.map(async (g) => {
        await g.say(`/start v_${venue.code}`);
        const confirm = g.pressUpdate('Xác nhận check-in');
        const doubleTap = g.pressUpdate('Xác nhận check-in');
        // The same update twice (Telegram redelivers when the webhook answered slowly) and a second tap.
        await Promise.all([posted(confirm), posted(confirm), posted(doubleTap)]);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${RESIDENTS} check-ins via webhook (${RESIDENTS * 4} updates) on ${svc.db.kind}: ${seconds.toFixed(2)} s, ${((RESIDENTS * 4) / seconds).toFixed(0)} updates/s`,
    );

    const rows = await svc.db.db
      .select({
        personId: visits.personId,
        n: sql<number>`count(*)::int`,
        source: sql<string>`min(${visits.source})`,
        channel: sql<string>`min(${visits.channel})`,
      })
      .from(visits)
      .where(eq(visits.venueId, venue.id))
      .groupBy(visits.personId);
    expect(rows).toHaveLength(RESIDENTS);
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => r.personId))).toEqual(new Set(personIds));
    expect(new Set(rows.map((r) => `${r.source}/${r.channel}`))).toEqual(new Set(['poster/telegram']));

    for (const g of guests) {
      const texts = tg.sentTo(g.user.id).map((c) => String(c.params.text ?? ''));
      expect(texts.filter((t) => t.startsWith('Check-in tại Trung tâm Hội nghị Tây Đô'))).toHaveLength(1);
      expect(
        texts.filter((t) => t.startsWith('Đã check-in tại Trung tâm Hội nghị Tây Đô')),
        texts.join('\n---\n'),
      ).toHaveLength(1);
      // The second tap is told the check-in was handled — not shown the command menu, nor an apology.
      expect(texts.filter((t) => t.startsWith('Lượt check-in này đã được xử lý'))).toHaveLength(1);
      expect(texts, texts.join('\n---\n')).toHaveLength(3);
    }
  }, 180_000);
});

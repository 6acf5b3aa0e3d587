import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/core/channel.js';
import { ManualClock } from '../../src/core/clock.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { accounts, outbox } from '../../src/db/schema/index.js';
import { createMetrics } from '../../src/core/metrics.js';
import { OutboxDispatcher, type DispatcherOptions } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { createTestDatabase, testBackend, type TestDatabase } from '../helpers/db.js';
import { testLogger } from '../helpers/service.js';
import { blocked, RecordingSender, retryAfter, seedAccount, serverError } from '../exposure/fixtures.js';
import { until } from '../helpers/wait.js';

let db: TestDatabase;
let seq = 0;
beforeAll(async () => {
  db = await createTestDatabase({ maxConnections: 10 });
});
afterAll(() => db?.destroy());
// Each test starts with an empty queue: what an earlier test left pending must not leave in a later one.
beforeEach(async () => {
  await db.db
    .update(outbox)
    .set({ status: 'cancelled' })
    .where(inArray(outbox.status, ['pending', 'sending']));
});

function dispatcher(
  sender: RecordingSender,
  clock: ManualClock,
  opts: Partial<DispatcherOptions> = {},
  database: Database = db,
) {
  return new OutboxDispatcher({
    database,
    channels: new Map([[sender.name, sender]]),
    clock,
    log: testLogger(),
    maxAttempts: 5,
    random: () => 1,
    perChatIntervalMs: 0,
    ...opts,
  });
}

async function queue(accountId: string, n = 1, kind = 'test') {
  const keys = Array.from({ length: n }, () => `test:${++seq}`);
  await enqueue(
    db.db,
    keys.map((k) => ({ channel: 'telegram' as const, accountId, kind, dedupeKey: k, messages: [{ text: k }] })),
  );
  return keys;
}

/** Holds the sender's sends in flight until the returned function is called. */
function holdSends(sender: RecordingSender): () => void {
  let release!: () => void;
  sender.gate = new Promise<void>((r) => (release = r));
  return release;
}

const rowsOf = (keys: string[]) => db.db.select().from(outbox).where(inArray(outbox.dedupeKey, keys));
const rowOf = async (key: string) => (await rowsOf([key]))[0]!;

describe('outbox dispatcher', () => {
  it('delivers a queued message once and records it', async () => {
    const clock = new ManualClock('2030-01-01T00:00:00Z');
    const sender = new RecordingSender();
    const metrics = createMetrics();
    const acct = await seedAccount(db.db);
    const [key] = await queue(acct.id);
    const d = dispatcher(sender, clock, { metrics });
    expect(await d.runOnce()).toBe(1);
    expect(await d.runOnce()).toBe(0);
    expect(sender.sent).toEqual([{ externalId: acct.externalId, messages: [{ text: key }], at: expect.any(Number) }]);
    expect(await rowOf(key!)).toMatchObject({ status: 'sent', attempts: 1, leaseUntil: null, sentAt: clock.now() });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/outbox_sends_total\{channel="telegram",result="sent"\} 1/);
    expect(text).toMatch(/outbox_messages\{status="pending"\} 1/); // the depth read before this round
    expect(text).toMatch(/outbox_delivery_latency_seconds_count\{channel="telegram",kind="test"\} 1/);
  });

  it('429: waits retry_after, then succeeds; the wait is not a failed attempt', async () => {
    const clock = new ManualClock('2030-01-02T00:00:00Z');
    const sender = new RecordingSender();
    const acct = await seedAccount(db.db);
    const [key] = await queue(acct.id);
    sender.failNext(acct.externalId, retryAfter(5000));
    const d = dispatcher(sender, clock);
    await d.runOnce();
    expect(await rowOf(key!)).toMatchObject({
      status: 'pending',
      attempts: 0,
      nextAttemptAt: new Date(clock.now().getTime() + 5000),
    });
    expect((await rowOf(key!)).lastError).toContain('Too Many Requests');
    clock.advance(4999);
    expect(await d.runOnce()).toBe(0);
    clock.advance(1);
    expect(await d.runOnce()).toBe(1);
    expect(sender.attempts).toHaveLength(2);
    expect(sender.to(acct.externalId)).toHaveLength(1);
    expect(await rowOf(key!)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('5xx and network errors back off exponentially, and the message is dead after N attempts with its last error', async () => {
    const clock = new ManualClock('2030-01-03T00:00:00Z');
    const sender = new RecordingSender();
    const acct = await seedAccount(db.db);
    const [key] = await queue(acct.id);
    sender.failNext(acct.externalId, serverError(), serverError(), new DeliveryError('retry', 'ETIMEDOUT'));
    const d = dispatcher(sender, clock, { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 60_000 } });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = clock.now().getTime();
      expect(await d.runOnce()).toBe(1);
      const row = await rowOf(key!);
      if (row.status === 'pending') {
        delays.push(row.nextAttemptAt.getTime() - before);
        clock.set(row.nextAttemptAt);
      }
    }
    expect(delays).toEqual([1000, 2000]); // random() = 1: the top of each jittered range
    expect(await rowOf(key!)).toMatchObject({ status: 'dead', attempts: 3, lastError: 'DeliveryError: ETIMEDOUT' });
    clock.advance(3_600_000);
    expect(await d.runOnce()).toBe(0);
    expect(sender.sent).toHaveLength(0);
  });

  it('jitter spreads retries within the upper half of the exponential delay', () => {
    const d = dispatcher(new RecordingSender(), new ManualClock(), {
      random: () => 0,
      backoff: { baseMs: 1000, maxMs: 10_000 },
    });
    expect([1, 2, 3, 4, 5, 6].map((a) => d.backoffMs(a))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('403 marks the account unreachable and stops all its messages, now and later', async () => {
    const clock = new ManualClock('2030-01-04T00:00:00Z');
    const sender = new RecordingSender();
    const acct = await seedAccount(db.db);
    const other = await seedAccount(db.db);
    const keys = await queue(acct.id, 3);
    const [otherKey] = await queue(other.id);
    sender.failNext(acct.externalId, blocked());
    const d = dispatcher(sender, clock);
    await d.runOnce();
    expect(sender.attempts.filter((a) => a.externalId === acct.externalId)).toHaveLength(1);
    expect((await rowsOf(keys)).map((r) => r.status)).toEqual(['unreachable', 'unreachable', 'unreachable']);
    expect(await rowOf(otherKey!)).toMatchObject({ status: 'sent' });
    const a = await db.db.query.accounts.findFirst({ where: eq(accounts.id, acct.id) });
    expect(a?.unreachableAt).toEqual(clock.now());
    expect(a?.unreachableReason).toContain('blocked');

    const [later] = await queue(acct.id);
    await d.runOnce();
    expect(await rowOf(later!)).toMatchObject({ status: 'unreachable' });
    expect(sender.attempts.filter((x) => x.externalId === acct.externalId)).toHaveLength(1);
  });

  it('undeliverable and fatal errors are final and keep the reason', async () => {
    const clock = new ManualClock('2030-01-05T00:00:00Z');
    const sender = new RecordingSender();
    const a = await seedAccount(db.db);
    const b = await seedAccount(db.db);
    const [ka] = await queue(a.id);
    const [kb] = await queue(b.id);
    sender.failNext(a.externalId, new DeliveryError('undeliverable', 'outside the Zalo interaction window'));
    sender.failNext(b.externalId, new DeliveryError('fatal', 'Bad Request: message text is empty'));
    await dispatcher(sender, clock).runOnce();
    expect(await rowOf(ka!)).toMatchObject({
      status: 'undeliverable',
      lastError: expect.stringContaining('interaction window'),
    });
    expect(await rowOf(kb!)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('text is empty') });
  });

  it("spaces one chat's messages and respects the channel's overall rate", async () => {
    const clock = new ManualClock('2030-01-06T00:00:00Z');
    const sender = new RecordingSender('telegram', 20);
    sender.clock = clock;
    const one = await seedAccount(db.db);
    await queue(one.id, 3);
    const others = await Promise.all(Array.from({ length: 6 }, () => seedAccount(db.db)));
    for (const o of others) await queue(o.id);
    const t0 = clock.monotonic();
    // Spacing and the rate limit wait on the clock: move it in 10 ms steps until the round is over.
    // One row of a chat per round (the next is claimed once the one before is sent): rounds until none is left.
    const d = dispatcher(sender, clock, { perChatIntervalMs: 300 });
    for (;;) {
      let done = false;
      const round = d.runOnce().finally(() => (done = true));
      await until(() => done, { clock, stepMs: 10 });
      if ((await round) === 0) break;
    }
    const elapsed = clock.monotonic() - t0;
    expect(sender.sent).toHaveLength(9);
    const chat = sender.to(one.externalId).map((s) => s.at);
    expect(chat[1]! - chat[0]!).toBeGreaterThanOrEqual(300);
    expect(chat[2]! - chat[1]!).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeGreaterThanOrEqual(8 * 50); // 9 sends at 20/s: 8 gaps of 50 ms
    const starts = sender.attempts.map((a) => a.at).sort((x, y) => x - y);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(8 * 50);
    // No two sends share a 50 ms slot.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(50);
  });

  it('a worker that dies mid-batch loses nothing: another finishes after the lease, sending each message once', async () => {
    const clock = new ManualClock('2030-01-07T00:00:00Z');
    const first = new RecordingSender();
    first.clock = clock;
    first.delayMs = 40;
    const accts = await Promise.all(Array.from({ length: 10 }, () => seedAccount(db.db)));
    const keys: string[] = [];
    for (const a of accts) keys.push(...(await queue(a.id)));
    const a = dispatcher(first, clock, { concurrency: 1, leaseMs: 60_000 });
    a.start();
    await until(() => first.sent.length >= 3, { clock, stepMs: 40 });
    await a.stop({ release: false }); // as if killed: its claim stays until the lease runs out
    const sentByA = first.sent.length;
    expect(sentByA).toBeGreaterThanOrEqual(3);
    expect(sentByA).toBeLessThan(10);
    expect((await rowsOf(keys)).filter((r) => r.status === 'sending')).toHaveLength(10 - sentByA);

    const second = new RecordingSender();
    const b = dispatcher(second, clock);
    expect(await b.runOnce()).toBe(0); // lease still held
    clock.advance(60_001);
    expect(await b.runOnce()).toBe(10 - sentByA);
    const all = [...first.sent, ...second.sent].map((s) => s.externalId).sort();
    expect(all).toEqual(accts.map((x) => x.externalId).sort());
    expect((await rowsOf(keys)).every((r) => r.status === 'sent')).toBe(true);
  });

  it('a worker stopped gracefully mid-batch hands its unsent rows back at once', async () => {
    const clock = new ManualClock('2030-01-08T00:00:00Z');
    const first = new RecordingSender();
    first.clock = clock;
    first.delayMs = 40;
    const accts = await Promise.all(Array.from({ length: 8 }, () => seedAccount(db.db)));
    const keys: string[] = [];
    for (const a of accts) keys.push(...(await queue(a.id)));
    const a = dispatcher(first, clock, { concurrency: 1 });
    a.start();
    await until(() => first.sent.length >= 2, { clock, stepMs: 40 });
    await a.stop();
    const pending = (await rowsOf(keys)).filter((r) => r.status === 'pending');
    expect(pending.length).toBe(8 - first.sent.length);
    expect(pending.every((r) => r.attempts === 0)).toBe(true);
    const second = new RecordingSender();
    expect(await dispatcher(second, clock).runOnce()).toBe(pending.length);
    expect(first.sent.length + second.sent.length).toBe(8);
  });

  it('a worker that lost its lease cannot overwrite the new owner', async () => {
    const clock = new ManualClock('2030-01-09T00:00:00Z');
    const slow = new RecordingSender();
    const release = holdSends(slow);
    const acct = await seedAccount(db.db);
    const [key] = await queue(acct.id);
    const a = dispatcher(slow, clock, { leaseMs: 1000 });
    const running = a.runOnce();
    await until(() => slow.attempts.length === 1);
    clock.advance(1001);
    const fast = new RecordingSender();
    fast.failNext(acct.externalId, serverError());
    expect(await dispatcher(fast, clock).runOnce()).toBe(1); // takes over and fails: pending, attempt 2
    release();
    await running; // the slow send succeeds, but the row is no longer its claim
    expect(await rowOf(key!)).toMatchObject({ status: 'pending', attempts: 2 });
  });

  it(`two workers on one database (${testBackend}) never send the same row, and keep each chat's order and spacing`, async () => {
    const clock = new ManualClock('2030-01-10T00:00:00Z');
    const accts = await Promise.all(Array.from({ length: 60 }, () => seedAccount(db.db)));
    const keys: string[] = [];
    const byChat = new Map<string, string[]>();
    for (const a of accts) {
      const k = await queue(a.id, 3);
      keys.push(...k);
      byChat.set(a.externalId, k);
    }
    // On PostgreSQL each worker has its own connection pool, like two server instances.
    const second: Database = db.url ? await openDatabase({ databaseUrl: db.url, maxConnections: 5 }) : db;
    try {
      const s1 = new RecordingSender();
      const s2 = new RecordingSender();
      s1.clock = s2.clock = clock;
      s1.delayMs = s2.delayMs = 2;
      // Every fifth chat's first attempt on either worker is refused with a 429: its later messages must wait.
      for (const a of accts.filter((_, i) => i % 5 === 0)) {
        s1.failNext(a.externalId, retryAfter(300));
        s2.failNext(a.externalId, retryAfter(300));
      }
      const o = { batchSize: 20, pollIntervalMs: 20, perChatIntervalMs: 500 };
      const w1 = dispatcher(s1, clock, o);
      const w2 = dispatcher(s2, clock, o, second);
      w1.start();
      w2.start();
      await until(async () => (await rowsOf(keys)).every((r) => r.status === 'sent'), {
        clock,
        stepMs: 20,
        timeoutMs: 20_000,
      });
      await Promise.all([w1.stop(), w2.stop()]);
      const texts = [...s1.sent, ...s2.sent].map((s) => s.messages[0]!.text);
      expect(texts).toHaveLength(keys.length);
      expect(new Set(texts).size).toBe(keys.length);
      const both = [...s1.sent, ...s2.sent].sort((x, y) => x.at - y.at);
      for (const [chat, k] of byChat) {
        const got = both.filter((x) => x.externalId === chat);
        expect(got.map((x) => x.messages[0]!.text)).toEqual(k);
        for (let i = 1; i < got.length; i++) expect(got[i]!.at - got[i - 1]!.at).toBeGreaterThanOrEqual(500);
      }
      if (testBackend === 'postgres') {
        expect(s1.sent.length).toBeGreaterThan(0);
        expect(s2.sent.length).toBeGreaterThan(0);
      }
    } finally {
      if (second !== db) await second.close();
    }
  });

  it("one chat's messages queued at once leave in queue order, across rounds and released rows", async () => {
    const clock = new ManualClock('2030-01-12T00:00:00Z');
    const sender = new RecordingSender();
    const acct = await seedAccount(db.db);
    const keys = await queue(acct.id, 12); // one insert: the same created_at for all
    const d = dispatcher(sender, clock, { batchSize: 5, perChatPerBatch: 2 });
    for (let i = 0; i < 4; i++) await d.runOnce(); // 2 sent, 3 handed back each round
    keys.push(...(await queue(acct.id, 3)));
    while ((await d.runOnce()) > 0);
    expect(sender.to(acct.externalId).map((s) => s.messages[0]!.text)).toEqual(keys);
  });

  it('another worker claims nothing of a chat whose earlier row is in flight; after it, a 403 closes the rest', async () => {
    const clock = new ManualClock('2030-01-13T00:00:00Z');
    const acct = await seedAccount(db.db);
    const [first, second, third] = await queue(acct.id, 3);
    const slow = new RecordingSender();
    const release = holdSends(slow);
    const holding = dispatcher(slow, clock, { batchSize: 1 }).runOnce(); // claims the first row
    await until(() => slow.attempts.length === 1);
    const failing = new RecordingSender();
    failing.failNext(acct.externalId, blocked());
    const other = dispatcher(failing, clock, { batchSize: 10 });
    // The first row's send is in flight elsewhere: the later rows would overtake it, so they stay queued.
    expect(await other.runOnce()).toBe(0);
    expect(await rowOf(second!)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await rowOf(third!)).toMatchObject({ status: 'pending', attempts: 0 });
    release();
    await holding;
    expect(await rowOf(first!)).toMatchObject({ status: 'sent' });
    clock.advance(1000); // the chat's spacing after the first message
    expect(await other.runOnce()).toBe(1); // the second row: 403
    expect(failing.attempts).toHaveLength(1);
    expect(await rowOf(second!)).toMatchObject({ status: 'unreachable' });
    expect(await rowOf(third!)).toMatchObject({ status: 'unreachable' });
  });

  it('a message for a channel that is not configured is retried, not lost', async () => {
    const clock = new ManualClock('2030-01-11T00:00:00Z');
    const acct = await seedAccount(db.db, { channel: 'zalo' });
    await enqueue(db.db, [
      { channel: 'zalo', accountId: acct.id, kind: 'test', dedupeKey: 'zalo:1', messages: [{ text: 'x' }] },
    ]);
    await dispatcher(new RecordingSender('telegram'), clock).runOnce();
    expect(await rowOf('zalo:1')).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: expect.stringContaining('not configured'),
    });
  });
});

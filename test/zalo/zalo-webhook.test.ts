import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { accounts, dialogStates, outbox, processedUpdates } from '../../src/db/schema/index.js';
import { FakeZalo, eventually, postZaloEvent, zaloEvents, zaloSignature, ZALO_APP } from '../helpers/fake-zalo.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { decodeQrPng } from '../helpers/qr.js';
import { holdSlowDialog, toyFeature } from './toy-feature.js';
import { ACK_BUDGET_MS } from '../../src/channels/zalo/webhook.js';
import type { ManualClock } from '../../src/core/clock.js';
import { until } from '../helpers/wait.js';

let fake: FakeZalo;
let svc: TestService;

beforeAll(async () => {
  fake = await new FakeZalo().start();
  svc = await startTestService({ env: fake.env(), features: [{ feature: toyFeature }] });
});
afterAll(async () => {
  await svc?.close();
  await fake?.stop();
});
beforeEach(() => fake.clear());

const count = async (table: 'accounts' | 'processed_updates') =>
  Number((await queryRows<{ n: string }>(svc.db.db, sql.raw(`select count(*)::text as n from ${table}`)))[0]!.n);

/**
 * Replies to one account leave in order (one send chain per account): once the reply to a later message has
 * arrived, nothing sent for an earlier one is still on its way. Used instead of sleeping before "nothing was sent".
 */
async function barrier(userId: string): Promise<void> {
  const n = fake.textsTo(userId).length;
  expect((await postZaloEvent(svc.app, zaloEvents.text(userId, '/help'))).statusCode).toBe(200);
  await eventually(() => expect(fake.textsTo(userId).slice(n)).toEqual(['menu']));
}

const account = (userId: string) =>
  svc.db.db.query.accounts.findFirst({ where: and(eq(accounts.channel, 'zalo'), eq(accounts.externalId, userId)) });

describe('POST /zalo/webhook signature', () => {
  it('accepts a correctly signed event and answers the person', async () => {
    const res = await postZaloEvent(svc.app, zaloEvents.text('9000000000000000001', '/start'));
    expect(res.statusCode).toBe(200);
    await eventually(() => expect(fake.textsTo('9000000000000000001')).toEqual(['welcome']));
    const call = fake.calls[0]!;
    expect(call.headers.access_token).toBe('access-0');
  });

  it('answers 401 and stores nothing for a wrong, missing or tampered signature', async () => {
    const before = { accounts: await count('accounts'), updates: await count('processed_updates') };
    const event = zaloEvents.text('9000000000000000002', '/start');
    const raw = JSON.stringify(event);

    const wrong = await postZaloEvent(svc.app, event, {
      signature: zaloSignature(raw, event.timestamp, ZALO_APP.appId, 'not-the-secret'),
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('BAD_SIGNATURE');

    expect((await postZaloEvent(svc.app, event, { signature: null })).statusCode).toBe(401);
    expect((await postZaloEvent(svc.app, event, { signature: 'garbage' })).statusCode).toBe(401);

    // Signed for the original bytes, delivered with another text: the hash covers the raw body.
    const tampered = raw.replace('/start', '/count');
    expect(
      (await postZaloEvent(svc.app, event, { rawBody: tampered, signature: zaloSignature(raw, event.timestamp) }))
        .statusCode,
    ).toBe(401);
    // Same JSON meaning, different bytes (whitespace): still not what was signed.
    expect(
      (
        await postZaloEvent(svc.app, event, {
          rawBody: JSON.stringify(event, null, 1),
          signature: zaloSignature(raw, event.timestamp),
        })
      ).statusCode,
    ).toBe(401);
    // A changed timestamp in the body breaks the signature too.
    const moved = { ...event, timestamp: String(Number(event.timestamp) + 1) };
    expect((await postZaloEvent(svc.app, moved, { signature: zaloSignature(raw, event.timestamp) })).statusCode).toBe(
      401,
    );

    expect({ accounts: await count('accounts'), updates: await count('processed_updates') }).toEqual(before);
    await barrier('9000000000000000002');
    expect(fake.calls).toHaveLength(1); // the barrier's reply only
  });

  it('accepts a signature keyed by the OA id (some integrations hash it instead of the app id)', async () => {
    const event = zaloEvents.text('9000000000000000003', '/start');
    const res = await postZaloEvent(svc.app, event, {
      signature: zaloSignature(JSON.stringify(event), event.timestamp, ZALO_APP.oaId),
    });
    expect(res.statusCode).toBe(200);
    // Wait for the reply, so it does not land in the next test's record of calls.
    await eventually(() => expect(fake.textsTo('9000000000000000003')).toEqual(['welcome']));
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/zalo/webhook',
      headers: { 'content-type': 'application/json', 'x-zevent-signature': 'mac=00' },
      payload: '{"event_name": "user_send_text", ',
    });
    expect(res.statusCode).toBe(400);
  });

  it('refuses validly signed events with wrong types (400), creating no account and sending nothing', async () => {
    const before = { accounts: await count('accounts'), updates: await count('processed_updates') };
    const good = zaloEvents.text('9000000000000000004', 'hello');
    const bad: Record<string, unknown>[] = [
      { ...good, event_name: 123 },
      { ...good, message: { ...good.message, text: 123 } },
      { ...good, sender: { id: { id: '1' } } },
      { ...good, sender: { id: 'not-a-zalo-id' } },
      { ...good, sender: 'x' },
      { ...good, message: [1, 2] },
      {
        ...zaloEvents.submitInfo('9000000000000000004', '0912345678', 'An'),
        info: { name: { first: 'x' }, phone: '1' },
      },
      { ...zaloEvents.follow('9000000000000000004'), follower: { id: 7 } },
      { ...good, timestamp: { toString: 'x' } },
      { ...good, timestamp: 'yesterday' },
    ];
    for (const event of bad) {
      const ts = typeof event.timestamp === 'string' ? event.timestamp : '';
      const raw = JSON.stringify(event);
      const res = await postZaloEvent(svc.app, event as { timestamp: string }, { signature: zaloSignature(raw, ts) });
      expect(res.statusCode, raw).toBe(400);
      expect(res.json().error.code).toBe('EVENT_INVALID');
    }
    expect({ accounts: await count('accounts'), updates: await count('processed_updates') }).toEqual(before);
    await barrier('9000000000000000004');
    expect(fake.calls).toHaveLength(1); // the barrier's reply only
  });

  it('refuses events older or newer than the time window (10 minutes), storing nothing', async () => {
    const before = { accounts: await count('accounts'), updates: await count('processed_updates') };
    const now = svc.clock.now().getTime();
    for (const offset of [-11 * 60_000, 11 * 60_000, -now]) {
      const event = { ...zaloEvents.text('9000000000000000005', '/start'), timestamp: String(now + offset) };
      const res = await postZaloEvent(svc.app, event);
      expect(res.statusCode, String(offset)).toBe(400);
      expect(res.json().error.code).toBe('EVENT_OUTSIDE_WINDOW');
    }
    expect({ accounts: await count('accounts'), updates: await count('processed_updates') }).toEqual(before);
    // Just inside the window is accepted; a numeric timestamp is read like the documented string.
    const late = { ...zaloEvents.text('9000000000000000005', '/start'), timestamp: String(now - 9 * 60_000) };
    expect((await postZaloEvent(svc.app, late)).statusCode).toBe(200);
    const numeric = { ...zaloEvents.text('9000000000000000005', '/start'), timestamp: now + 1 };
    const raw = JSON.stringify(numeric);
    const res = await postZaloEvent(svc.app, numeric as unknown as { timestamp: string }, {
      signature: zaloSignature(raw, String(now + 1)),
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('Zalo events', () => {
  it('handles a redelivered msg_id once', async () => {
    const user = '9000000000000000010';
    await postZaloEvent(svc.app, zaloEvents.text(user, '/count'));
    const event = zaloEvents.text(user, '5', 'dup-msg-1');
    expect((await postZaloEvent(svc.app, event)).statusCode).toBe(200);
    expect((await postZaloEvent(svc.app, event)).statusCode).toBe(200);
    await postZaloEvent(svc.app, zaloEvents.text(user, 'done'));
    await eventually(() => expect(fake.textsTo(user)).toEqual(['total 0', 'total 5', 'final 5']));
  });

  it('serializes two messages of one user arriving at once', async () => {
    const user = '9000000000000000011';
    await postZaloEvent(svc.app, zaloEvents.text(user, '/count'));
    const results = await Promise.all([
      postZaloEvent(svc.app, zaloEvents.text(user, '2')),
      postZaloEvent(svc.app, zaloEvents.text(user, '3')),
      postZaloEvent(svc.app, zaloEvents.text(user, '4')),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    await postZaloEvent(svc.app, zaloEvents.text(user, 'done'));
    await eventually(() => expect(fake.textsTo(user).at(-1)).toBe('final 9'));
    const acc = await account(user);
    const state = await svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, acc!.id) });
    expect(state!.version).toBe(5);
    // Each reply builds on the one before it (no update read a stale state), and replies arrive in order.
    const totals = fake
      .textsTo(user)
      .filter((t) => t.startsWith('total '))
      .map((t) => Number(t.slice(6)));
    expect(totals[0]).toBe(0);
    const steps = totals.slice(1).map((v, i) => v - totals[i]!);
    expect(steps.sort()).toEqual([2, 3, 4]);
  });

  it('carries a conversation with buttons, numbers, the info form and idle text', async () => {
    const user = '9000000000000000012';
    await postZaloEvent(svc.app, zaloEvents.follow(user));
    await eventually(() => expect(fake.textsTo(user)).toEqual(['welcome']));

    await postZaloEvent(svc.app, zaloEvents.text(user, '/ask'));
    await eventually(() => expect(fake.messages.filter((m) => m.userId === user)).toHaveLength(2));
    const question = fake.messages.at(-1)!.message as {
      text: string;
      attachment: { payload: { buttons: { title: string; type: string; payload: string }[] } };
    };
    expect(question.text).toContain('Có sốt không?');
    expect(question.text).toContain('1. Có');
    expect(question.text).toContain('2. Không');
    expect(question.text).toContain('gõ số');
    expect(question.attachment.payload.buttons).toEqual([
      { title: '1. Có', type: 'oa.query.hide', payload: '#kb:fever:yes' },
      { title: '2. Không', type: 'oa.query.hide', payload: '#kb:fever:no' },
    ]);

    // A number out of range is plain text: the step asks again and the menu still stands.
    await postZaloEvent(svc.app, zaloEvents.text(user, '7'));
    await eventually(() => expect(fake.textsTo(user)).toContain('please choose'));
    // Typing the number of an option is pressing it.
    await postZaloEvent(svc.app, zaloEvents.text(user, '2'));
    await eventually(() => expect(fake.textsTo(user).at(-1)).toBe('Số điện thoại?'));
    // Zalo's info form answers the phone question with the person's own number and name.
    await postZaloEvent(svc.app, zaloEvents.submitInfo(user, '84987654321', 'Nguyễn Văn An'));
    await eventually(() =>
      expect(fake.textsTo(user).at(-1)).toBe('done fever:no 84987654321 own=true name=Nguyễn Văn An'),
    );

    // After a message without options, a typed number is just a number again.
    await postZaloEvent(svc.app, zaloEvents.text(user, '1'));
    await eventually(() => expect(fake.textsTo(user).at(-1)).toBe('menu'));

    // A tapped query button arrives as the person's hidden message carrying the payload.
    await postZaloEvent(svc.app, zaloEvents.text(user, '/ask'));
    await eventually(() => expect(fake.textsTo(user).at(-1)).toContain('Có sốt không?'));
    await postZaloEvent(svc.app, zaloEvents.text(user, '#kb:fever:yes'));
    await eventually(() => expect(fake.textsTo(user).at(-1)).toBe('Số điện thoại?'));
    await postZaloEvent(svc.app, zaloEvents.text(user, '0987654321'));
    await eventually(() => expect(fake.textsTo(user).at(-1)).toBe('done fever:yes 0987654321'));
  });

  it('passes a typed venue code to the idle-text handlers', async () => {
    const user = '9000000000000000013';
    await postZaloEvent(svc.app, zaloEvents.text(user, 'CI abc234'));
    await postZaloEvent(svc.app, zaloEvents.text(user, 'XYZ789'));
    await eventually(() => expect(fake.textsTo(user)).toEqual(['checked in at ABC234', 'checked in at XYZ789']));
  });

  it('answers images and stickers with a hint, and ignores receipts and OA echoes', async () => {
    const user = '9000000000000000014';
    await postZaloEvent(svc.app, zaloEvents.image(user));
    await eventually(() => expect(fake.textsTo(user)[0]).toMatch(/tin nhắn chữ/));
    const seen = { ...zaloEvents.text(user, 'x'), event_name: 'user_seen_message' };
    const echo = { ...zaloEvents.text(user, 'x'), event_name: 'oa_send_text' };
    expect((await postZaloEvent(svc.app, seen)).statusCode).toBe(200);
    expect((await postZaloEvent(svc.app, echo)).statusCode).toBe(200);
    await barrier(user);
    expect(fake.textsTo(user)).toHaveLength(2); // the hint, then the barrier's reply: nothing for the receipt or the echo
  });

  it('marks an unfollowed account unreachable; following again makes it reachable', async () => {
    const user = '9000000000000000015';
    await postZaloEvent(svc.app, zaloEvents.follow(user));
    await eventually(() => expect(fake.textsTo(user)).toEqual(['welcome']));
    expect((await postZaloEvent(svc.app, zaloEvents.follow(user, 'unfollow'))).statusCode).toBe(200);
    const gone = await account(user);
    expect(gone!.unreachableAt).not.toBeNull();
    expect(gone!.unreachableReason).toBe('zalo_unfollow');
    await expect(
      svc.deps.channels.get('zalo')!.send(user, [{ text: 'alert' }], { proactive: true }),
    ).rejects.toMatchObject({ kind: 'unreachable' });

    await postZaloEvent(svc.app, zaloEvents.follow(user));
    await eventually(async () => expect((await account(user))!.unreachableAt).toBeNull());
  });

  it('splits a long text at sentence ends within 2,000 characters', async () => {
    const user = '9000000000000000016';
    await postZaloEvent(svc.app, zaloEvents.text(user, '/long'));
    await eventually(() => expect(fake.textsTo(user).length).toBeGreaterThan(1));
    const parts = fake.textsTo(user);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect(p).toMatch(/sức khỏe\.$/);
    }
    expect(parts.join(' ')).toBe(Array.from({ length: 120 }, (_, i) => `Câu số ${i + 1} nói về sức khỏe.`).join(' '));
  });

  it('sends the personal pass as an uploaded image with its caption; the QR opens the verify page', async () => {
    const user = '9000000000000000019';
    await postZaloEvent(svc.app, zaloEvents.text(user, '/pass'));
    await eventually(() => expect(fake.messages.filter((m) => m.userId === user)).toHaveLength(1));
    expect(fake.uploads).toHaveLength(1);
    const upload = fake.uploads[0]!;
    expect(upload.bytes.length).toBeLessThanOrEqual(1024 * 1024);
    expect(decodeQrPng(upload.bytes)).toMatch(/^https:\/\/khaibao\.test\/v\/.+/);
    const message = fake.messages.at(-1)!.message as {
      text: string;
      attachment: { payload: { template_type: string; elements: { attachment_id: string }[] } };
    };
    expect(message.attachment.payload.template_type).toBe('media');
    expect(message.attachment.payload.elements[0]!.attachment_id).toMatch(/^att-/);
    expect(message.text.length).toBeGreaterThan(20);
    expect(message.text.length).toBeLessThanOrEqual(2000);
  });

  it('answers Zalo within 2 s even when the dialog is slow, and replies when it is done', async () => {
    const user = '9000000000000000018';
    const clock = svc.clock as ManualClock;
    const finish = holdSlowDialog();
    let answered = false;
    const response = postZaloEvent(svc.app, zaloEvents.text(user, '/slow')).finally(() => (answered = true));
    // The answer budget (1.5 s, under Zalo's 2 s) runs on the clock: once it is armed, the dialog is still running.
    await until(() => clock.nextTimerIn() !== undefined);
    clock.advance(ACK_BUDGET_MS - 1);
    await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    clock.advance(1);
    const res = await response;
    expect(res.statusCode).toBe(200);
    expect(fake.textsTo(user)).toEqual([]);
    finish();
    await eventually(() => expect(fake.textsTo(user)).toEqual(['slow done']), 4000);
  });

  it('queues a reply for the outbox when Zalo is down after the dialog committed', async () => {
    const user = '9000000000000000017';
    await postZaloEvent(svc.app, zaloEvents.text(user, '/start'));
    await eventually(() => expect(fake.textsTo(user)).toEqual(['welcome']));
    const acc = await account(user);
    fake.failNext('/v3.0/oa/message/cs', -32, 'Rate limit exceeded', 1, user);
    const event = zaloEvents.text(user, '/count');
    await postZaloEvent(svc.app, event);
    await eventually(async () => {
      const rows = await svc.db.db.select().from(outbox).where(eq(outbox.accountId, acc!.id));
      expect(rows.map((r) => [r.kind, r.dedupeKey, r.status])).toEqual([
        ['reply', `zalo-reply:${event.message.msg_id}`, 'pending'],
      ]);
    });
    const state = await svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, acc!.id) });
    expect(state!.flow).toBe('count');
    const processed = await svc.db.db
      .select()
      .from(processedUpdates)
      .where(eq(processedUpdates.updateId, event.message.msg_id));
    expect(processed).toHaveLength(1);
  });
});

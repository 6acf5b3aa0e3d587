import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelSender } from '../../src/core/channel.js';
import { DeliveryError } from '../../src/core/channel.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { toyFeature } from './toy-feature.js';

/** The outbox's port: the real service's registered sender against the fake Bot API. */
let tg: FakeTelegram;
let svc: TestService;
let sender: ChannelSender;

beforeAll(async () => {
  tg = await startFakeTelegram();
  svc = await startTestService({
    env: {
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_WEBHOOK_SECRET: 'secret-for-sender-tests',
      TELEGRAM_API_ROOT: tg.apiRoot,
      TELEGRAM_RATE_PER_SECOND: '7',
    },
    features: [{ feature: toyFeature }],
  });
  sender = svc.deps.channels.get('telegram')!;
});
afterAll(async () => {
  await svc?.close();
  await tg?.close();
});
beforeEach(() => tg.reset());

async function failureOf(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('expected a DeliveryError');
}

describe('Telegram sender (outbox port)', () => {
  it('is registered with the configured rate', () => {
    expect(sender.name).toBe('telegram');
    expect(sender.ratePerSecond).toBe(7);
  });

  it('sends messages in order and returns the last message id for edits', async () => {
    const receipt = await sender.send('2001', [
      { text: 'một' },
      { text: 'hai', buttons: [[{ label: 'OK', payload: 'ack:1' }]] },
    ]);
    const sent = tg.sentTo(2001);
    expect(sent.map((c) => c.params.text)).toEqual(['một', 'hai']);
    expect(receipt.messageRef).toEqual(expect.stringMatching(/^\d+$/));

    await sender.edit!('2001', receipt.messageRef!, { text: 'hai (đã xem)' });
    const [edit] = tg.callsOf('editMessageText');
    expect(edit!.params).toMatchObject({ chat_id: 2001, message_id: Number(receipt.messageRef), text: 'hai (đã xem)' });
  });

  it('429 → retry after retry_after, without sleeping inside the send', async () => {
    tg.fail('sendMessage', { code: 429, retryAfter: 7 });
    const err = await failureOf(sender.send('2002', [{ text: 'x' }]));
    expect(err.kind).toBe('retry');
    expect(err.retryAfterMs).toBe(7000);
    expect(tg.callsOf('sendMessage')).toHaveLength(1);
  });

  it('403 blocked → unreachable', async () => {
    tg.fail('sendMessage', { code: 403 });
    expect((await failureOf(sender.send('2003', [{ text: 'x' }]))).kind).toBe('unreachable');
  });

  it('5xx → retry; other 4xx → fatal', async () => {
    tg.fail('sendMessage', { code: 502 });
    expect((await failureOf(sender.send('2004', [{ text: 'x' }]))).kind).toBe('retry');
    tg.fail('sendPhoto', { code: 500 });
    expect((await failureOf(sender.send('2004', [{ image: { png: Buffer.from('png') } }]))).kind).toBe('retry');
    tg.fail('sendMessage', { code: 400, description: 'Bad Request: chat not found' });
    expect((await failureOf(sender.send('2004', [{ text: 'x' }]))).kind).toBe('fatal');
    expect(tg.callsOf('sendMessage')).toHaveLength(2);
  });

  it('a network failure → retry', async () => {
    const closed = await startFakeTelegram();
    await closed.close();
    const { createTelegramSender } = await import('../../src/channels/telegram/sender.js');
    const { Api } = await import('grammy');
    const offline = createTelegramSender(new Api(tg.token, { apiRoot: closed.apiRoot, timeoutSeconds: 2 }), 25);
    expect((await failureOf(offline.send('2005', [{ text: 'x' }]))).kind).toBe('retry');
  });

  it('an edit of a message that is gone sends a new message; an unchanged edit is fine', async () => {
    tg.fail('editMessageText', { code: 400, description: 'Bad Request: message to edit not found' });
    await sender.edit!('2006', '77', { text: 'tiến độ 50%' });
    expect(tg.sentTo(2006).map((c) => c.params.text)).toEqual(['tiến độ 50%']);
    tg.reset();
    tg.fail('editMessageText', {
      code: 400,
      description:
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same',
    });
    expect(await sender.edit!('2006', '78', { text: 'tiến độ 50%' })).toEqual({ messageRef: '78' });
    expect(tg.sentTo(2006)).toHaveLength(0);
  });

  it('a button payload over 64 bytes is fatal, not sent', async () => {
    const err = await failureOf(
      sender.send('2007', [{ text: 'x', buttons: [[{ label: 'a', payload: 'p'.repeat(65) }]] }]),
    );
    expect(err.kind).toBe('fatal');
    expect(tg.calls).toHaveLength(0);
  });

  it('respects the fake’s rate limit by reporting 429s as retries', async () => {
    tg.setRateLimit(2);
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => sender.send('2008', [{ text: `m${i}` }])));
    const rejected = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as DeliveryError);
    expect(rejected.length).toBeGreaterThanOrEqual(2);
    for (const e of rejected) expect(e).toMatchObject({ kind: 'retry', retryAfterMs: 1000 });
  });
});

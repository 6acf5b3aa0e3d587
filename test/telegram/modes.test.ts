import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { accounts } from '../../src/db/schema/index.js';
import { postUpdate, startFakeTelegram, tgUpdates, tgUser, type FakeTelegram } from '../helpers/fake-telegram.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';
import { ManualClock } from '../../src/core/clock.js';
import { toyFeature } from './toy-feature.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function start(
  env: Record<string, string>,
  before?: (tg: FakeTelegram) => void,
  workers = true,
): Promise<{ tg: FakeTelegram; svc: TestService; clock: ManualClock }> {
  const tg = await startFakeTelegram();
  before?.(tg);
  cleanups.push(() => tg.close());
  const clock = new ManualClock();
  const svc = await startTestService({
    env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.apiRoot, ...env },
    features: [{ feature: toyFeature }],
    workers,
    clock,
  });
  cleanups.push(() => svc.close());
  return { tg, svc, clock };
}

describe('webhook mode start-up', () => {
  it('registers the webhook with its secret and allowed updates, and the command menus in vi and en', async () => {
    const { tg, svc } = await start({ TELEGRAM_MODE: 'webhook', TELEGRAM_WEBHOOK_SECRET: 'start-up-secret' });
    await tg.waitFor(() => tg.commands.has('en'));
    expect(tg.webhook).toEqual({
      url: 'https://khaibao.test/telegram/webhook',
      secretToken: 'start-up-secret',
      allowedUpdates: ['message', 'callback_query', 'my_chat_member'],
    });
    // Vietnamese names in the Vietnamese (and default) menu, English names in the English one.
    expect(tg.commands.get('vi')).toEqual([
      { command: 'start', description: 'Anh/Chị muốn làm gì?' },
      {
        command: 'khaibao',
        description: 'Hệ thống chỉ đọc được tin nhắn chữ và các nút bấm. Anh/Chị vui lòng gõ câu trả lời.',
      },
    ]);
    expect(tg.commands.get('')).toEqual(tg.commands.get('vi'));
    expect(tg.commands.get('en')).toEqual([
      { command: 'start', description: 'What would you like to do?' },
      { command: 'declare', description: 'I can only read text messages and buttons. Please type your answer.' },
    ]);
    expect(tg.callsOf('getMe')).toHaveLength(1);
    expect(svc.deps.links.telegramUsername()).toBe(tg.username);
    expect(tg.callsOf('getUpdates')).toHaveLength(0);
  });

  it('keeps trying when Telegram is down at start', async () => {
    const { tg, clock } = await start(
      { TELEGRAM_MODE: 'webhook', TELEGRAM_WEBHOOK_SECRET: 'start-up-secret' },
      (fake) => fake.fail('setWebhook', { code: 400, description: 'Bad Request: bad webhook: Failed to resolve host' }),
    );
    // The retry waits out its back-off (1 s) on the service's clock: move it along until the second try lands.
    await until(() => tg.webhook !== undefined && tg.commands.has('en'), {
      clock,
      stepMs: 250,
      what: 'webhook registered',
    });
    expect(tg.callsOf('setWebhook').map((c) => c.status)).toEqual([400, 200]);
  });
});

describe('Telegram unreachable', () => {
  it('answers 503 while getMe fails (Telegram redelivers), then handles the redelivery', async () => {
    const { tg, svc } = await start(
      { TELEGRAM_MODE: 'webhook', TELEGRAM_WEBHOOK_SECRET: 'unreachable-secret' },
      (fake) => fake.fail('getMe', { code: 400, description: 'Bad Request: something odd' }),
      false,
    );
    const update = tgUpdates.text(tgUser(3101), '/start');
    expect((await postUpdate(svc.app, update, 'unreachable-secret')).statusCode).toBe(503);
    expect(tg.sentTo(3101)).toHaveLength(0);
    expect((await postUpdate(svc.app, update, 'unreachable-secret')).statusCode).toBe(200);
    expect(tg.sentTo(3101).map((c) => c.params.text)).toEqual(['Xin chào! Anh/Chị muốn làm gì?']);
  });
});

describe('polling mode', () => {
  it('deletes the webhook, receives updates from getUpdates, replies, and stops cleanly', async () => {
    const { tg, svc } = await start({ TELEGRAM_MODE: 'polling' });
    await tg.waitFor(() => tg.callsOf('getUpdates').length > 0);
    const order = tg.calls.map((c) => c.method);
    expect(order.indexOf('deleteWebhook')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('deleteWebhook')).toBeLessThan(order.indexOf('getUpdates'));
    expect(tg.callsOf('getUpdates')[0]!.params).toMatchObject({
      timeout: 25,
      allowed_updates: ['message', 'callback_query', 'my_chat_member'],
    });

    const u = tgUser(3001);
    tg.pushUpdate(tgUpdates.text(u, '/khaibao'));
    await tg.waitFor(() => tg.sentTo(3001).length === 1);
    tg.pushUpdate(tgUpdates.button(u, 'male'), tgUpdates.text(u, '0901234567'));
    await tg.waitFor(() => tg.sentTo(3001).some((c) => c.params.text === 'Xong: male 0901234567'));
    expect(tg.sentTo(3001).map((c) => c.params.text)).toEqual([
      'Giới tính?',
      'Số điện thoại?',
      'Hoặc chọn bên dưới:',
      'Xong: male 0901234567',
    ]);

    // The next poll confirms what was handled (offset = last update_id + 1).
    await tg.waitFor(() => tg.callsOf('getUpdates').some((c) => Number(c.params.offset) > 0));
    const [acc] = await svc.db.db.select().from(accounts).where(eq(accounts.externalId, '3001'));
    expect(acc).toBeDefined();

    const started = Date.now();
    await svc.workers.stop();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

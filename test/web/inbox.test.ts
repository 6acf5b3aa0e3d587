import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { webInbox } from '../../src/db/schema/index.js';
import { applyRetention } from '../../src/features/retention/job.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { WebChatClient } from './chat-client.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc?.close());

describe('web chat inbox (messages the service sends on its own)', () => {
  it('the web sender queues messages that the page collects once; unknown ids get nothing', async () => {
    const c = new WebChatClient(svc.app);
    await c.start();
    const sender = svc.deps.channels.get('web')!;
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    await sender.send(c.clientId, [
      { text: 'Thông báo', buttons: [[{ label: 'Đã đọc', payload: 'ack:1' }]] },
      { image: { png } },
    ]);
    const inbox = () => svc.app.inject({ method: 'GET', url: `/chat/api/inbox?clientId=${c.clientId}` });
    const first = (await inbox()).json();
    expect(first.replies).toEqual([
      { text: 'Thông báo', buttons: [[{ label: 'Đã đọc', payload: 'ack:1' }]] },
      { image: `data:image/png;base64,${png.toString('base64')}` },
    ]);
    expect((await inbox()).json().replies).toEqual([]);
    await expect(sender.send('x'.repeat(20), [{ text: 'hi' }])).rejects.toMatchObject({ kind: 'unreachable' });
    expect((await svc.app.inject({ method: 'GET', url: `/chat/api/inbox?clientId=${'y'.repeat(20)}` })).json()).toEqual(
      { replies: [] },
    );
    expect((await svc.app.inject({ method: 'GET', url: '/chat/api/inbox?clientId=bad' })).statusCode).toBe(400);
  });

  it('two pages polling at once (two tabs, two instances) get each message once between them', async () => {
    const c = new WebChatClient(svc.app);
    await c.start();
    const sender = svc.deps.channels.get('web')!;
    for (let i = 0; i < 5; i++) await sender.send(c.clientId, [{ text: `Tin ${i}` }]);
    const inbox = () => svc.app.inject({ method: 'GET', url: `/chat/api/inbox?clientId=${c.clientId}` });
    const polls = await Promise.all(Array.from({ length: 8 }, inbox));
    const texts = polls.flatMap((r) => r.json().replies.map((m: { text: string }) => m.text));
    expect(texts.sort()).toEqual(['Tin 0', 'Tin 1', 'Tin 2', 'Tin 3', 'Tin 4']);
  });

  it('uncollected messages expire after 14 days, through the one retention job', async () => {
    const c = new WebChatClient(svc.app);
    await c.start();
    await svc.deps.channels.get('web')!.send(c.clientId, [{ text: 'old' }]);
    const clock = svc.clock as ManualClock;
    clock.advance(13 * 86_400_000);
    expect((await applyRetention(svc.db.db, clock.now())).webInbox).toBe(0);
    clock.advance(2 * 86_400_000);
    expect((await applyRetention(svc.db.db, clock.now())).webInbox).toBe(1);
    expect(await svc.db.db.$count(webInbox)).toBe(0);
    // Expiry lives in the retention policy only; the web channel runs no job of its own.
    expect(svc.workers.names).toContain('retention');
    expect(svc.workers.names.filter((n) => /inbox/.test(n))).toEqual([]);
  });
});

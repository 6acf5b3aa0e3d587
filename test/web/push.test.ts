import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptableEndpoint, PUSH_BODY_LIMIT, type PushPayload } from '../../src/channels/web/push.js';
import { ManualClock } from '../../src/core/clock.js';
import { accounts, webPushSubscriptions } from '../../src/db/schema/index.js';
import { queueDueBroadcasts } from '../../src/features/broadcast/index.js';
import { deleteAccountData } from '../../src/features/people/store.js';
import { createVenue } from '../../src/features/venues/store.js';
import { FakePushService, PushReceiver, verifyVapid } from '../helpers/fake-push.js';
import { adminHeaders, startTestService, type TestService } from '../helpers/service.js';
import { withClock } from '../helpers/wait.js';
import { answerFirstDeclaration, newResident, type WebChatClient } from './chat-client.js';

/**
 * Web Push end to end on the server side: a resident declares in the web chat and subscribes; an exposure
 * alert and an announcement go through the outbox to the web sender, which pushes an encrypted message to the
 * (fake, loopback) push service; decrypted with the browser's keys it is the alert's notification.
 */
const PUBLIC_URL = 'http://127.0.0.1:3999';
const clock = new ManualClock('2021-08-04T08:00:00+07:00');
let svc: TestService;
let push: FakePushService;
let cafe: { id: string; code: string };

const accountOf = async (chat: WebChatClient) =>
  (await svc.db.db.query.accounts.findFirst({
    where: and(eq(accounts.channel, 'web'), eq(accounts.externalId, chat.clientId)),
  }))!;
const subscribe = (chat: WebChatClient, body: object) =>
  svc.app.inject({ method: 'POST', url: '/chat/api/push', payload: { clientId: chat.clientId, ...body } });
const subscriptionsOf = async (chat: WebChatClient) =>
  (
    await svc.db.db
      .select()
      .from(webPushSubscriptions)
      .where(eq(webPushSubscriptions.accountId, (await accountOf(chat)).id))
  ).map((s) => s.endpoint);

async function checkIn(chat: WebChatClient, at: string) {
  clock.set(new Date(`2021-08-04T${at}:00+07:00`));
  await chat.start(`v_${cafe.code}`);
  await chat.tap('Xác nhận check-in');
}

beforeAll(async () => {
  push = await new FakePushService().start();
  svc = await startTestService({ clock, env: { PUBLIC_URL } });
  cafe = await createVenue(svc.db.db, { name: 'Cà phê Hạnh Phúc', kind: 'restaurant' });
});
afterAll(async () => {
  await svc?.close();
  await push?.close();
});

describe('web push', () => {
  let lan: WebChatClient;
  let ca: WebChatClient;
  let phone: PushReceiver;
  let laptop: PushReceiver;

  it('the page learns when to offer notifications: only once the account has declared', async () => {
    lan = await newResident(svc.app);
    const before = await svc.app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      payload: { clientId: lan.clientId, text: '/trogiup' },
    });
    expect(before.json()).toMatchObject({ declared: false });
    await answerFirstDeclaration(lan, { name: 'Nguyễn Thị Lan', phone: '0903 111 222' });
    const after = await svc.app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      payload: { clientId: lan.clientId, text: '/trogiup' },
    });
    expect(after.json()).toMatchObject({ declared: true });
    ca = await newResident(svc.app);
    await answerFirstDeclaration(ca, { name: 'Trần Văn Ca', phone: '0912 345 678' });
  });

  it('subscriptions are kept per web account; bad endpoints and unknown pages are refused', async () => {
    phone = new PushReceiver(`${push.base}/push/phone`);
    laptop = new PushReceiver(`${push.base}/push/laptop`);
    expect((await subscribe(lan, phone.toJSON())).statusCode).toBe(204);
    expect((await subscribe(lan, phone.toJSON())).statusCode).toBe(204); // sent again on every visit: one row
    expect((await subscribe(lan, laptop.toJSON())).statusCode).toBe(204);
    expect((await subscriptionsOf(lan)).sort()).toEqual([phone.endpoint, laptop.endpoint].sort());

    // The service POSTs to the endpoint: never inside the network.
    for (const endpoint of [
      'http://10.0.0.7/push',
      'http://169.254.169.254/latest',
      'file:///etc/passwd',
      'not a url',
    ]) {
      const res = await subscribe(lan, { ...phone.toJSON(), endpoint });
      expect(res.statusCode, endpoint).toBe(400);
    }
    expect((await subscribe(lan, { ...phone.toJSON(), keys: { p256dh: 'short', auth: 'x' } })).statusCode).toBe(400);
    const stranger = { clientId: 'z'.repeat(24), ...phone.toJSON() };
    expect((await svc.app.inject({ method: 'POST', url: '/chat/api/push', payload: stranger })).statusCode).toBe(404);
    // Behind https, only a push service's public https address.
    const prod = 'https://khaibao.example';
    expect(acceptableEndpoint('https://fcm.googleapis.com/fcm/send/abc', prod)).toBe(true);
    expect(acceptableEndpoint('https://updates.push.services.mozilla.com/wpush/v2/abc', prod)).toBe(true);
    for (const e of [
      'http://fcm.googleapis.com/x',
      'https://127.0.0.1/x',
      'https://localhost/x',
      'https://[::1]/x',
      'https://10.1.2.3/x',
      'https://u:p@fcm.googleapis.com/x',
    ]) {
      expect(acceptableEndpoint(e, prod), e).toBe(false);
    }
  });

  it('an exposure alert through the outbox is pushed, encrypted, to each browser, and waits in the inbox too', async () => {
    await checkIn(ca, '09:00');
    await checkIn(lan, '09:10');
    clock.set(new Date('2021-08-04T10:30:00+07:00'));
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/cases',
      // By person: a phone typed in the web chat is unverified and would only be a possible match.
      payload: { personId: (await accountOf(ca)).personId, onsetAt: '2021-08-04T10:00:00+07:00' },
      headers: adminHeaders,
    });
    expect(res.json()).toMatchObject({ contacts: 1, alertsQueued: 1 });
    push.requests.length = 0;
    expect(await withClock(svc.outbox.runOnce(), clock)).toBe(1);

    expect(push.requests.map((r) => r.path).sort()).toEqual(['/push/laptop', '/push/phone']);
    const vapidKey = (await svc.app.inject({ method: 'GET', url: '/chat' })).body.match(
      /"vapid":"([A-Za-z0-9_-]+)"/,
    )![1];
    for (const receiver of [phone, laptop]) {
      const req = push.requests.find((r) => receiver.endpoint.endsWith(r.path))!;
      expect(req.headers['content-encoding']).toBe('aes128gcm');
      expect(Number(req.headers.ttl)).toBeGreaterThan(3600);
      expect(req.headers.urgency).toBe('high');
      // Signed with the service's VAPID key, the one the page subscribes with.
      const { k, claims } = verifyVapid(req.headers.authorization, receiver.endpoint);
      expect(k).toBe(vapidKey);
      expect(claims.sub).toMatch(/^(mailto:|https:)/);
      // Nothing readable on the wire.
      expect(req.body.toString('latin1')).not.toContain('Hạnh Phúc');
      const payload = JSON.parse(receiver.decrypt(req.body)) as PushPayload;
      expect(payload).toEqual({
        title: 'Khai báo y tế Cần Thơ',
        body: expect.any(String),
        url: `${PUBLIC_URL}/chat`,
        tag: 'khaibao',
      });
      expect(payload.body).toMatch(/^⚠️ Cảnh báo: có mặt cùng địa điểm và thời gian với ca bệnh COVID-19/);
      expect(payload.body.length).toBeLessThanOrEqual(PUSH_BODY_LIMIT);
    }
    // The page, opened from the notification, shows the whole alert.
    const inbox = await lan.inbox();
    expect(inbox).toHaveLength(1);
    expect(inbox[0]!.text).toContain('Cà phê Hạnh Phúc');
    const decrypted = JSON.parse(phone.decrypt(push.requests[0]!.body)) as PushPayload;
    expect(inbox[0]!.text!.replace(/\s+/g, ' ').startsWith(decrypted.body.replace(/…$/, ''))).toBe(true);
  });

  it('an announcement is pushed; a subscription the push service calls gone (410) or unknown (404) is dropped', async () => {
    push.statusFor.set('/push/laptop', 410);
    const tablet = new PushReceiver(`${push.base}/push/tablet`);
    push.statusFor.set('/push/tablet', 404);
    expect((await subscribe(lan, tablet.toJSON())).statusCode).toBe(204);
    const res = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/broadcasts',
      payload: { text: 'Chợ An Hòa đóng cửa từ 12 giờ trưa nay.', audience: { all: true } },
      headers: adminHeaders,
    });
    expect(res.statusCode).toBe(201);
    await withClock(queueDueBroadcasts(svc.deps), clock);
    push.requests.length = 0;
    await withClock(svc.outbox.runOnce(), clock);

    const toLan = push.requests.filter((r) => r.path !== '/push/ca');
    expect(toLan.map((r) => r.path).sort()).toEqual(['/push/laptop', '/push/phone', '/push/tablet']);
    const payload = JSON.parse(phone.decrypt(toLan.find((r) => r.path === '/push/phone')!.body)) as PushPayload;
    expect(payload.body).toContain('Chợ An Hòa đóng cửa từ 12 giờ trưa nay.');
    expect(await subscriptionsOf(lan)).toEqual([phone.endpoint]);
    // The delivery itself succeeded: the message waits in the inbox whatever the push service said.
    expect((await lan.inbox()).map((r) => r.text).join('\n')).toContain('Chợ An Hòa đóng cửa');
  });

  it('deleting the account deletes its subscriptions', async () => {
    const acc = await accountOf(lan);
    await deleteAccountData(svc.db.db, acc.id, svc.deps.clock.now());
    expect(await svc.db.db.$count(webPushSubscriptions, eq(webPushSubscriptions.accountId, acc.id))).toBe(0);
  });

  it('the app: manifest, service worker allowed on /chat, icons as PNG', async () => {
    const page = await svc.app.inject({ method: 'GET', url: '/chat' });
    expect(page.body).toContain('<link rel="manifest" href="/chat/manifest.webmanifest">');
    const manifest = await svc.app.inject({
      method: 'GET',
      url: '/chat/manifest.webmanifest',
      headers: { 'accept-language': 'en' },
    });
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
    expect(manifest.json()).toMatchObject({
      name: 'Can Tho health declaration',
      start_url: '/chat',
      scope: '/chat',
      display: 'standalone',
    });
    const sw = await svc.app.inject({ method: 'GET', url: '/chat/sw.js' });
    expect(sw.headers['content-type']).toMatch(/^text\/javascript/);
    expect(sw.headers['service-worker-allowed']).toBe('/chat');
    for (const size of [192, 512]) {
      const icon = await svc.app.inject({ method: 'GET', url: `/chat/icon-${size}.png` });
      expect(icon.headers['content-type']).toBe('image/png');
      expect(icon.rawPayload.readUInt32BE(16)).toBe(size); // IHDR width
      expect(icon.rawPayload.readUInt32BE(20)).toBe(size);
    }
  });
});

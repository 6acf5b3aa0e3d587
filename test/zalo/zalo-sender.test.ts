import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ZaloSender } from '../../src/channels/zalo/index.js';
import { ZaloTokenStore } from '../../src/channels/zalo/token-store.js';
import { ZaloApi } from '../../src/channels/zalo/zalo-api.js';
import { DeliveryError, type ChannelSender } from '../../src/core/channel.js';
import type { ManualClock } from '../../src/core/clock.js';
import { accounts, dialogStates, settings } from '../../src/db/schema/index.js';
import { svgToPng } from '../../src/render/svg.js';
import { FakeZalo, eventually, postZaloEvent, zaloEvents, ZALO_APP } from '../helpers/fake-zalo.js';
import { startTestService, testLogger, type TestService } from '../helpers/service.js';
import { toyFeature } from './toy-feature.js';

let fake: FakeZalo;
let svc: TestService;
let sender: ChannelSender;
let clock: ManualClock;

beforeAll(async () => {
  fake = await new FakeZalo().start();
  svc = await startTestService({ env: fake.env(), features: [{ feature: toyFeature }] });
  sender = svc.deps.channels.get('zalo')!;
  clock = svc.clock as ManualClock;
});
afterAll(async () => {
  await svc?.close();
  await fake?.stop();
});
beforeEach(() => fake.clear());

/** A follower who wrote to the OA now (the webhook records lastInboundAt). */
async function follower(userId: string): Promise<void> {
  await postZaloEvent(svc.app, zaloEvents.text(userId, '/start'));
  await eventually(() => expect(fake.textsTo(userId)).toContain('welcome'));
  fake.clear();
}

function otherSender(overrides: Partial<NonNullable<TestService['config']['zalo']>>): ZaloSender {
  const zalo = { ...svc.config.zalo!, ...overrides };
  const api = new ZaloApi({
    apiRoot: zalo.apiRoot,
    oauthRoot: zalo.oauthRoot,
    appId: zalo.appId,
    appSecret: zalo.appSecret,
  });
  const tokens = new ZaloTokenStore(svc.db.db, api, clock, testLogger(), {
    accessToken: zalo.accessToken,
    refreshToken: zalo.refreshToken,
  });
  return new ZaloSender(svc.db.db, api, tokens, zalo, clock, testLogger());
}

const templateSender = () => otherSender({ templateId: 'tpl-alert-01', templateTextParam: 'noi_dung' });

describe('ZaloSender', () => {
  it('paces at the configured requests per minute', () => {
    expect(sender.name).toBe('zalo');
    expect(sender.ratePerSecond).toBeCloseTo(4000 / 60);
  });

  it('sends a proactive message inside the interaction window as a consultation message', async () => {
    const user = '9100000000000000001';
    await follower(user);
    clock.advanceMinutes(60 * 24 * 3);
    const receipt = await sender.send(user, [{ text: 'Cảnh báo tiếp xúc' }], { proactive: true });
    expect(receipt.messageRef).toMatch(/^mid-/);
    expect(fake.textsTo(user)).toEqual(['Cảnh báo tiếp xúc']);
  });

  it('outside the window without a template: undeliverable with the reason, nothing sent', async () => {
    const user = '9100000000000000002';
    await follower(user);
    clock.advanceMinutes(60 * 24 * 8);
    const err = await sender.send(user, [{ text: 'Cảnh báo' }], { proactive: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ kind: 'undeliverable' });
    expect((err as Error).message).toMatch(/interaction window.*ZALO_TEMPLATE_ID/);
    expect(fake.calls).toHaveLength(0);
    // A reply (not proactive) is still sent: the person has just written.
    await sender.send(user, [{ text: 'reply' }]);
    expect(fake.textsTo(user)).toEqual(['reply']);
  });

  it('outside the window with a template: sends the template message with the text', async () => {
    const user = '9100000000000000003';
    await follower(user);
    clock.advanceMinutes(60 * 24 * 8);
    const receipt = await templateSender().send(
      user,
      [{ text: 'Anh/Chị đã đến <b>Chợ An Bình</b>', format: 'html' }, { text: 'Gọi 1900 9095' }],
      {
        proactive: true,
      },
    );
    expect(receipt.messageRef).toMatch(/^tpl-/);
    expect(fake.messages).toHaveLength(0);
    expect(fake.templateCalls.map((c) => c.body)).toEqual([
      {
        user_id: user,
        template_id: 'tpl-alert-01',
        template_data: { noi_dung: 'Anh/Chị đã đến Chợ An Bình\n\nGọi 1900 9095' },
      },
    ]);
  });

  it('on -230 from Zalo: template when configured, otherwise undeliverable', async () => {
    const user = '9100000000000000004';
    await follower(user);
    fake.windowClosed.add(user);
    await expect(sender.send(user, [{ text: 'alert' }], { proactive: true })).rejects.toMatchObject({
      kind: 'undeliverable',
    });
    await expect(sender.send(user, [{ text: 'reply' }])).rejects.toMatchObject({ kind: 'undeliverable' });
    expect(fake.templateCalls).toHaveLength(0);
    const receipt = await templateSender().send(user, [{ text: 'alert' }], { proactive: true });
    expect(receipt.messageRef).toMatch(/^tpl-/);
    expect(fake.templateCalls).toHaveLength(1);
  });

  it('a proactive alert with a button: typing its number presses it', async () => {
    const user = '9100000000000000005';
    await follower(user);
    await sender.send(user, [{ text: 'Cảnh báo', buttons: [[{ label: 'Đã đọc', payload: 'ack:case-1' }]] }], {
      proactive: true,
    });
    expect(fake.textsTo(user)[0]).toContain('1. Đã đọc');
    await postZaloEvent(svc.app, zaloEvents.text(user, '1'));
    await eventually(() => expect(fake.textsTo(user).at(-1)).toBe('acknowledged case-1'));
  });

  it('a proactive message without choices after one with: a number typed next is no longer that choice', async () => {
    const user = '9100000000000000011';
    await follower(user);
    const account = await svc.db.db.query.accounts.findFirst({
      where: and(eq(accounts.channel, 'zalo'), eq(accounts.externalId, user)),
    });
    const menu = async () =>
      (await svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, account!.id) }))?.menu;
    await sender.send(user, [{ text: 'Cảnh báo', buttons: [[{ label: 'Đã đọc', payload: 'ack:case-2' }]] }], {
      proactive: true,
    });
    expect(await menu()).toEqual(['ack:case-2']);
    await sender.send(user, [{ text: 'Thông báo' }], { proactive: true });
    expect(fake.textsTo(user)).toEqual([expect.stringContaining('1. Đã đọc'), 'Thông báo']);
    expect(await menu()).toBeNull();
    await postZaloEvent(svc.app, zaloEvents.text(user, '1'));
    await eventually(() => expect(fake.textsTo(user)).toHaveLength(3));
    expect(fake.textsTo(user)).not.toContain('acknowledged case-2');
  });

  it('uploads an image and sends it as a media template with its caption', async () => {
    const user = '9100000000000000006';
    await follower(user);
    const png = svgToPng(
      '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="60"><rect width="60" height="60" fill="#2e7d32"/></svg>',
    );
    await sender.send(user, [{ text: 'Thẻ của Anh/Chị', image: { png, filename: 'pass.png' } }]);
    expect(fake.uploads).toHaveLength(1);
    expect(fake.uploads[0]!.bytes.equals(png)).toBe(true);
    expect(fake.uploads[0]!.contentType).toBe('image/png');
    const [msg] = fake.messages;
    expect(msg!.message).toEqual({
      text: 'Thẻ của Anh/Chị',
      attachment: {
        type: 'template',
        payload: {
          template_type: 'media',
          elements: [{ media_type: 'image', attachment_id: expect.stringMatching(/^att-/) }],
        },
      },
    });
    await expect(sender.send(user, [{ image: { png: Buffer.alloc(1024 * 1024 + 1) } }])).rejects.toMatchObject({
      kind: 'fatal',
    });
  });

  it('maps Zalo errors to what the outbox does', async () => {
    const user = '9100000000000000007';
    await follower(user);
    fake.failNext('/v3.0/oa/message/cs', -32, 'Rate limit exceeded');
    await expect(sender.send(user, [{ text: 'x' }], { proactive: true })).rejects.toMatchObject({
      kind: 'retry',
      retryAfterMs: 60_000,
    });
    fake.failNext('/v3.0/oa/message/cs', -213, 'User has not followed OA');
    await expect(sender.send(user, [{ text: 'x' }], { proactive: true })).rejects.toMatchObject({
      kind: 'unreachable',
    });
    fake.failNext('/v3.0/oa/message/cs', -201, 'Parameters are invalid');
    await expect(sender.send(user, [{ text: 'x' }], { proactive: true })).rejects.toMatchObject({ kind: 'fatal' });
    // Zalo itself unreachable: try later.
    const down = otherSender({ apiRoot: 'http://127.0.0.1:1' });
    await expect(down.send(user, [{ text: 'x' }])).rejects.toMatchObject({ kind: 'retry' });
  });

  it('an account never seen is outside the window', async () => {
    await expect(sender.send('9100000000000000099', [{ text: 'x' }], { proactive: true })).rejects.toMatchObject({
      kind: 'undeliverable',
    });
  });
});

describe('Zalo tokens', () => {
  const stored = async () =>
    (await svc.db.db.select().from(settings).where(eq(settings.key, 'zalo.tokens')))[0]!.value as {
      accessToken: string;
      refreshToken: string;
      expiresAt: string | null;
    };

  it('-216: refreshes with rotation, stores the new pair before using it, and retries', async () => {
    const user = '9200000000000000001';
    await follower(user);
    const before = await stored();
    fake.revokeAccessTokens();
    await sender.send(user, [{ text: 'after refresh' }]);
    expect(fake.refreshCalls).toEqual([
      {
        refreshToken: before.refreshToken,
        appId: ZALO_APP.appId,
        secretKey: ZALO_APP.appSecret,
        grantType: 'refresh_token',
      },
    ]);
    const after = await stored();
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    const sends = fake.calls.filter((c) => c.path === '/v3.0/oa/message/cs');
    expect(sends.map((c) => c.headers.access_token)).toEqual([before.accessToken, after.accessToken]);
    expect(sends.map((c) => c.error)).toEqual([-216, 0]);
    expect(fake.textsTo(user)).toEqual(['after refresh']);

    // The next refresh spends the new refresh token, never the old one.
    fake.revokeAccessTokens();
    await sender.send(user, [{ text: 'again' }]);
    expect(fake.refreshCalls.map((c) => c.refreshToken)).toEqual([before.refreshToken, after.refreshToken]);
  });

  it('refreshes before the access token expires', async () => {
    const user = '9200000000000000002';
    await follower(user);
    fake.clear();
    const pair = await stored();
    expect(pair.expiresAt).not.toBeNull();
    clock.set(new Date(new Date(pair.expiresAt!).getTime() - 10 * 60_000));
    await sender.send(user, [{ text: 'x' }]);
    expect(fake.refreshCalls.map((c) => c.refreshToken)).toEqual([pair.refreshToken]);
    expect(fake.calls.map((c) => c.headers.access_token)).toEqual([(await stored()).accessToken]);
  });

  it('two instances refreshing at once make one call and share the new pair', async () => {
    fake.oauthDelayMs = 150;
    try {
      const a = otherSender({});
      const b = otherSender({});
      const user = '9200000000000000003';
      await follower(user);
      fake.revokeAccessTokens();
      await Promise.all([
        a.send(user, [{ text: 'a' }]),
        b.send(user, [{ text: 'b' }]),
        sender.send(user, [{ text: 'c' }]),
      ]);
      expect(fake.refreshCalls).toHaveLength(1);
      expect(fake.textsTo(user).sort()).toEqual(['a', 'b', 'c']);
    } finally {
      fake.oauthDelayMs = 0;
    }
  });

  it('a refused refresh token leaves the pair alone and asks the outbox to retry later', async () => {
    const user = '9200000000000000004';
    await follower(user);
    const pair = await stored();
    // Another system spent our refresh token: Zalo now refuses it.
    await svc.db.db
      .update(settings)
      .set({ value: { ...pair, refreshToken: 'refresh-spent-elsewhere' } })
      .where(eq(settings.key, 'zalo.tokens'));
    fake.revokeAccessTokens();
    await expect(sender.send(user, [{ text: 'x' }])).rejects.toMatchObject({ kind: 'retry' });
    expect((await stored()).refreshToken).toBe('refresh-spent-elsewhere');
    expect(fake.messages).toHaveLength(0);
    // The operator puts a valid pair back: sending works again.
    await svc.db.db.update(settings).set({ value: pair }).where(eq(settings.key, 'zalo.tokens'));
    await sender.send(user, [{ text: 'y' }]);
    expect(fake.textsTo(user)).toEqual(['y']);
  });
});

describe('token upkeep', () => {
  it('rotates a pair of unknown age, then only near its end', async () => {
    const api = new ZaloApi({ ...svc.config.zalo!, timeoutMs: 2000 });
    // Pretend the operator put a pair in the environment whose expiry we do not know.
    const pair = (await svc.db.db.select().from(settings).where(eq(settings.key, 'zalo.tokens')))[0]!.value as {
      accessToken: string;
      refreshToken: string;
    };
    await svc.db.db
      .update(settings)
      .set({ value: { ...pair, expiresAt: null } })
      .where(eq(settings.key, 'zalo.tokens'));
    const store = new ZaloTokenStore(svc.db.db, api, clock, testLogger(), {});
    expect(await store.keepFresh()).toBe(true);
    expect(fake.refreshCalls.map((c) => c.refreshToken)).toEqual([pair.refreshToken]);
    expect(await store.keepFresh()).toBe(false);
    clock.advanceMinutes(25 * 60 - 20);
    expect(await store.keepFresh()).toBe(true);
    expect(fake.refreshCalls).toHaveLength(2);
  });
});

describe('token seeding', () => {
  it('a new pair in the environment replaces the stored chain; the same pair does not', async () => {
    const store = (access: string, refresh: string) =>
      new ZaloTokenStore(svc.db.db, new ZaloApi({ ...svc.config.zalo!, timeoutMs: 1000 }), clock, testLogger(), {
        accessToken: access,
        refreshToken: refresh,
      });
    const row = (await svc.db.db.select().from(settings).where(eq(settings.key, 'zalo.tokens')))[0]!;
    const current = row.value as { accessToken: string };
    // Same environment as at first start: the rotated pair in the database stays.
    expect(await store(fake.initialAccess, 'refresh-0').accessToken()).toBe(current.accessToken);
    expect(await store('access-reauthorised', 'refresh-reauthorised').accessToken()).toBe('access-reauthorised');
    const after = (await svc.db.db.select().from(settings).where(eq(settings.key, 'zalo.tokens')))[0]!.value as {
      refreshToken: string;
    };
    expect(after.refreshToken).toBe('refresh-reauthorised');
    await svc.db.db.update(settings).set({ value: row.value }).where(eq(settings.key, 'zalo.tokens'));
  });
});

describe('account lookup', () => {
  it('records the last inbound time the window is measured from', async () => {
    const user = '9300000000000000001';
    await follower(user);
    const acc = await svc.db.db.query.accounts.findFirst({
      where: and(eq(accounts.channel, 'zalo'), eq(accounts.externalId, user)),
    });
    expect(acc!.lastInboundAt!.getTime()).toBe(clock.now().getTime());
  });
});

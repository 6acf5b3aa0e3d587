import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelCapabilities } from '../../src/core/channel.js';
import type { Feature } from '../../src/core/dialog.js';
import { accounts, dialogStates } from '../../src/db/schema/index.js';
import type { FeatureModule } from '../../src/core/module.js';
import { featureModules } from '../../src/features/index.js';
import type { AppDeps } from '../../src/http/app.js';
import { OutboxDispatcher } from '../../src/outbox/dispatcher.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { testLogger, type TestService } from '../helpers/service.js';

/** What one person saw after one step: the texts, and the choices offered (buttons, or numbered lines). */
export interface Seen {
  texts: string[];
  choices: string[];
}

/** One person on one channel, driven through the platform's fake exactly as the platform would. */
export interface ChatPerson {
  /** the channel's account id (chat id, Zalo user id, web client id) */
  readonly externalId: string;
  start(): Promise<Seen>;
  say(text: string): Promise<Seen>;
  /** pick an offered choice by label: press its button, or type its number where choices are numbered */
  choose(label: string): Promise<Seen>;
  /** deliver the last update once more, as the platform does after a timeout */
  redeliver(): Promise<Seen>;
  /** what the service sent on its own since the last look */
  received(): Promise<Seen>;
  /** the platform refuses everything to this person from now on (blocked the bot, unfollowed); absent = no such thing */
  block?(): void;
}

/** A channel under test: the real service with this adapter on, behind the platform's fake. */
export interface ChannelHarness {
  svc: TestService;
  person(n: number): ChatPerson;
  close(): Promise<void>;
}

export type StartHarness = (features: (deps: AppDeps) => FeatureModule<AppDeps>[]) => Promise<ChannelHarness>;

/** Longer than any platform's message: one sentence a line, as announcements are written. */
export const LONG_TEXT = Array.from({ length: 400 }, (_, i) => `Câu số ${i + 1} nói về sức khỏe cộng đồng.`).join('\n');

/** What the contract needs beyond the real features: a long text, and a button that works outside any flow. */
const contractFeature: Feature = {
  name: 'contract',
  commands: [{ names: ['contractlong'], run: async (ctx) => ctx.reply({ text: LONG_TEXT }) }],
  buttonHandlers: [{ prefix: 'ctr', run: async (ctx, rest) => ctx.reply({ text: `Đã ghi nhận ${rest}` }) }],
};

/**
 * The scenarios every channel adapter must pass. A new channel is one folder in src/channels, one fake in
 * test/helpers and one `runChannelContract` call with its harness.
 */
export function runChannelContract(name: string, startHarness: StartHarness): void {
  describe(`channel contract: ${name}`, () => {
    let h: ChannelHarness;
    let caps: ChannelCapabilities;
    let n = 0;
    beforeAll(async () => {
      h = await startHarness((deps) => [...featureModules(deps), { feature: contractFeature }]);
      const sender = h.svc.deps.channels.get(name.split(' ')[0]!);
      if (!sender) throw new Error(`no sender registered for ${name}`);
      caps = sender.capabilities;
    });
    afterAll(() => h?.close());

    const accountOf = (p: ChatPerson) =>
      h.svc.db.db.query.accounts.findFirst({
        where: and(eq(accounts.channel, name.split(' ')[0]!), eq(accounts.externalId, p.externalId)),
      });

    it('declares capabilities within what the core can use', () => {
      expect(caps.textLimit).toBeGreaterThanOrEqual(1000);
      if (caps.buttons) expect(caps.buttons.total).toBeGreaterThanOrEqual(caps.buttons.perRow);
    });

    it('start offers the language choice; choosing by button or by number leads on the same way', async () => {
      const p = h.person(++n);
      const welcome = await p.start();
      expect(welcome.choices).toEqual(expect.arrayContaining(['Tiếng Việt', 'English']));
      const notice = await p.choose('Tiếng Việt');
      expect(notice.choices).toEqual(expect.arrayContaining(['Đồng ý', 'Không đồng ý']));
      const first = await p.choose('Đồng ý');
      expect(first.texts.at(-1)).toContain('Họ và tên của Anh/Chị?');
      expect((await accountOf(p))?.consentedAt).toBeTruthy();
    });

    it('a duplicate delivery changes nothing and is answered with nothing', async () => {
      const p = h.person(++n);
      await p.start();
      await p.choose('Tiếng Việt');
      const account = await accountOf(p);
      const before = await h.svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, account!.id) });
      const again = await p.redeliver();
      expect(again.texts).toEqual([]);
      const after = await h.svc.db.db.query.dialogStates.findFirst({ where: eq(dialogStates.accountId, account!.id) });
      expect(after).toEqual(before);
    });

    it('a long text arrives whole, split within the declared text limit', async () => {
      const p = h.person(++n);
      await p.start();
      const seen = await p.say('/contractlong');
      expect(seen.texts.length).toBeGreaterThan(LONG_TEXT.length > caps.textLimit ? 1 : 0);
      for (const t of seen.texts) expect(t.length).toBeLessThanOrEqual(caps.textLimit);
      expect(seen.texts.join(' ').split(/\s+/)).toEqual(LONG_TEXT.split(/\s+/));
    });

    it('a message from the outbox arrives with its choice, and picking it works', async () => {
      const p = h.person(++n);
      await p.start();
      const account = await accountOf(p);
      await enqueue(h.svc.db.db, [
        {
          channel: account!.channel,
          accountId: account!.id,
          kind: 'contract',
          dedupeKey: `contract:${account!.id}`,
          messages: [{ text: 'Thông báo thử', buttons: [[{ label: 'Tôi đã biết', payload: 'ctr:ack' }]] }],
        },
      ]);
      const dispatcher = new OutboxDispatcher({
        database: h.svc.db,
        channels: h.svc.deps.channels,
        clock: h.svc.clock,
        log: testLogger(),
        maxAttempts: 3,
        perChatIntervalMs: 0,
      });
      expect(await dispatcher.runOnce()).toBe(1);
      const seen = await p.received();
      expect(seen.texts.join('\n')).toContain('Thông báo thử');
      expect(seen.choices).toEqual(['Tôi đã biết']);
      expect((await p.choose('Tôi đã biết')).texts).toEqual(['Đã ghi nhận ack']);
    });

    it('an account the platform refuses is marked unreachable', async (t) => {
      const p = h.person(++n);
      if (!p.block) return t.skip();
      await p.start();
      p.block();
      await p.say('xin chào');
      await expect.poll(async () => (await accountOf(p))?.unreachableAt).toBeTruthy();
    });
  });
}

import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { WebReply } from '../../src/channels/web/index.js';
import {
  callbackButtons,
  postUpdate,
  startFakeTelegram,
  tgUpdates,
  tgUser,
  type RecordedCall,
  webhookEnv,
} from '../helpers/fake-telegram.js';
import { FakeZalo, postZaloEvent, zaloEvents } from '../helpers/fake-zalo.js';
import { until } from '../helpers/wait.js';
import { startTestService } from '../helpers/service.js';
import type { ChatPerson, Seen, StartHarness } from './contract.js';

/** Telegram: updates posted to the webhook, replies read from the fake Bot API. */
export const telegramHarness: StartHarness = async (features) => {
  const SECRET = 'contract-secret_0123456789';
  const tg = await startFakeTelegram();
  const svc = await startTestService({
    env: webhookEnv(tg, SECRET),
    features,
  });
  const seen = (calls: RecordedCall[]): Seen => ({
    texts: calls.map((c) => String(c.params.text ?? c.params.caption ?? '')),
    choices: calls.flatMap((c) => callbackButtons(c).map((b) => b.text)),
  });
  const person = (n: number): ChatPerson => {
    const user = tgUser(7_000_000 + n);
    let last: RecordedCall[] = [];
    let lastUpdate: unknown;
    let looked = 0;
    const post = async (update: unknown) => {
      lastUpdate = update;
      const before = tg.sentTo(user.id).length;
      const res = await postUpdate(svc.app, update, SECRET, tg);
      expect(res.statusCode).toBe(200);
      last = tg.sentTo(user.id).slice(before);
      looked = tg.sentTo(user.id).length;
      return seen(last);
    };
    return {
      externalId: String(user.id),
      start: () => post(tgUpdates.text(user, '/start')),
      say: (text) => post(tgUpdates.text(user, text)),
      choose: (label) => {
        for (const call of [...last].reverse()) {
          const b = callbackButtons(call).find((x) => x.text === label);
          if (b) return post(tgUpdates.button(user, b.data, b.messageId));
        }
        throw new Error(`no button "${label}"`);
      },
      redeliver: () => post(lastUpdate),
      received: async () => {
        last = tg.sentTo(user.id).slice(looked);
        looked = tg.sentTo(user.id).length;
        return seen(last);
      },
      block: () => tg.blocked.add(String(user.id)),
    };
  };
  return { svc, person, close: async () => (await svc.close(), await tg.close()) };
};

/**
 * Zalo: signed events posted to the webhook; replies (sent after Zalo's 200) read from the fake OA API once they
 * stop coming. Choices are read, and picked, by their numbers, as a follower whose client shows no buttons does.
 */
export const zaloHarness =
  (buttonMode: 'buttons' | 'numbered'): StartHarness =>
  async (features) => {
    const fake = await new FakeZalo().start();
    const svc = await startTestService({ env: fake.env({ ZALO_BUTTONS: buttonMode }), features });
    // Replies go out after Zalo's 200; the service counts them in flight until each is sent (or queued, or
    // refused), so the test reads them the moment the last one is through instead of waiting for a silence.
    const inFlight = async () =>
      (await svc.deps.metrics.repliesInFlight.get()).values.find((v) => v.labels.channel === 'zalo')?.value ?? 0;
    const settle = async (userId: string, before: number): Promise<string[]> => {
      await until(async () => (await inFlight()) === 0, { what: 'Zalo replies sent' });
      return fake.textsTo(userId).slice(before);
    };
    const seen = (texts: string[]): Seen => ({
      texts,
      choices: texts.flatMap((t) => [...t.matchAll(/^\d+\. (.+)$/gm)].map((m) => m[1]!)),
    });
    const person = (n: number): ChatPerson => {
      const userId = String(9_100_000_000_000_000_000n + BigInt(n));
      let last: string[] = [];
      let lastEvent: ({ timestamp: string } & Record<string, unknown>) | undefined;
      let looked = 0;
      const post = async (event: { timestamp: string } & Record<string, unknown>) => {
        lastEvent = event;
        const before = fake.textsTo(userId).length;
        const res = await postZaloEvent(svc.app, event);
        expect(res.statusCode).toBe(200);
        last = await settle(userId, before);
        looked = fake.textsTo(userId).length;
        return seen(last);
      };
      return {
        externalId: userId,
        start: () => post(zaloEvents.follow(userId)),
        say: (text) => post(zaloEvents.text(userId, text)),
        choose: (label) => {
          for (const t of [...last].reverse()) {
            const m = [...t.matchAll(/^(\d+)\. (.+)$/gm)].find((x) => x[2] === label);
            if (m) return post(zaloEvents.text(userId, m[1]!));
          }
          throw new Error(`no numbered choice "${label}" in:\n${last.join('\n---\n')}`);
        },
        redeliver: () => post(lastEvent!),
        received: async () => {
          last = await settle(userId, looked);
          looked = fake.textsTo(userId).length;
          return seen(last);
        },
        block: () => fake.failNext('/v3.0/oa/message/cs', -213, 'user has not followed the OA', 10, userId),
      };
    };
    return { svc, person, close: async () => (await svc.close(), await fake.stop()) };
  };

/** The web chat: the page's HTTP API (app.inject on /chat/api/…). Nothing can block it. */
export const webHarness: StartHarness = async (features) => {
  const svc = await startTestService({ env: { WEB_CHAT: 'on' }, features });
  const seen = (replies: WebReply[]): Seen => ({
    texts: replies.filter((r) => r.text !== undefined).map((r) => r.text!),
    choices: replies.flatMap((r) => (r.buttons ?? []).flat().map((b) => b.label)),
  });
  const person = (): ChatPerson => {
    const clientId = randomBytes(16).toString('base64url');
    let last: WebReply[] = [];
    let lastBody: Record<string, unknown> = {};
    const post = async (body: Record<string, unknown>) => {
      lastBody = { clientId, messageId: randomBytes(8).toString('hex'), ...body };
      return send(lastBody);
    };
    const send = async (payload: Record<string, unknown>) => {
      const res = await svc.app.inject({ method: 'POST', url: '/chat/api/messages', payload });
      expect(res.statusCode).toBe(200);
      last = (res.json() as { replies: WebReply[] }).replies;
      return seen(last);
    };
    return {
      externalId: clientId,
      start: () => post({ start: '' }),
      say: (text) => post({ text }),
      choose: (label) => {
        const b = last.flatMap((r) => (r.buttons ?? []).flat()).find((x) => x.label === label);
        if (!b) throw new Error(`no button "${label}"`);
        return post({ payload: b.payload });
      },
      redeliver: () => send(lastBody),
      received: async () => {
        const res = await svc.app.inject({ method: 'GET', url: `/chat/api/inbox?clientId=${clientId}` });
        last = (res.json() as { replies: WebReply[] }).replies;
        return seen(last);
      },
    };
  };
  return { svc, person, close: () => svc.close() };
};

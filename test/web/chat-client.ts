import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebReply } from '../../src/channels/web/index.js';
import { answerHealthQuestions as answerAsAsked, type FormDriver } from '../helpers/declaration-form.js';

/**
 * A person in the web chat, driven through the channel's HTTP API like the page does. `tap` presses a button
 * that the last answer actually offered (by label), so a test fails when the button is missing.
 */
export class WebChatClient {
  readonly clientId = randomBytes(16).toString('base64url');
  /** replies to the last message sent */
  last: WebReply[] = [];
  sent = 0;
  received = 0;

  constructor(private readonly app: FastifyInstance) {}

  async post(body: Record<string, unknown>): Promise<WebReply[]> {
    const res = await this.app.inject({
      method: 'POST',
      url: '/chat/api/messages',
      payload: { clientId: this.clientId, messageId: randomBytes(8).toString('hex'), ...body },
    });
    if (res.statusCode !== 200) throw new Error(`POST /chat/api/messages → ${res.statusCode} ${res.body}`);
    this.last = (res.json() as { replies: WebReply[] }).replies;
    // Telegram's callback_data limit: every button any dialog offers must fit.
    for (const b of this.last.flatMap((r) => (r.buttons ?? []).flat())) {
      if (Buffer.byteLength(b.payload) > 64) throw new Error(`button payload over 64 bytes: ${b.payload}`);
    }
    this.sent++;
    this.received += this.last.length;
    return this.last;
  }

  /** Collect what the service sent on its own (GET /chat/api/inbox); its buttons can then be tapped. */
  async inbox(): Promise<WebReply[]> {
    const res = await this.app.inject({ method: 'GET', url: `/chat/api/inbox?clientId=${this.clientId}` });
    if (res.statusCode !== 200) throw new Error(`GET /chat/api/inbox → ${res.statusCode} ${res.body}`);
    this.last = (res.json() as { replies: WebReply[] }).replies;
    return this.last;
  }

  start(param = '') {
    return this.post({ start: param });
  }

  say(text: string) {
    return this.post({ text });
  }

  /** Press the button labelled `label` (exact, or containing it) among the last replies. */
  tap(label: string) {
    const buttons = this.last.flatMap((r) => (r.buttons ?? []).flat());
    const b = buttons.find((x) => x.label === label) ?? buttons.find((x) => x.label.includes(label));
    if (!b)
      throw new Error(
        `no button "${label}" in: ${buttons.map((x) => x.label).join(' | ') || '(none)'}\n${this.transcript()}`,
      );
    return this.post({ payload: b.payload });
  }

  /** This chat for the declaration-form helpers (test/helpers/declaration-form.ts). */
  form(): FormDriver {
    return {
      offered: () => this.last.flatMap((r) => (r.buttons ?? []).flat()),
      tap: (label) => this.tap(label),
      say: (text) => this.say(text),
    };
  }

  /** All text of the last replies, one string. */
  transcript(): string {
    return this.last.map((r) => r.text ?? (r.image ? '[image]' : '')).join('\n---\n');
  }

  resetCounts() {
    this.sent = 0;
    this.received = 0;
  }
}

export interface WebResident {
  name: string;
  phone: string;
  birthYear?: number;
  locale?: 'vi' | 'en';
  /** what is typed at the ward question and the ward button then pressed (default: cai khe → Phường Cái Khế) */
  ward?: { typed: string; pick: string };
}

/**
 * Answers a first declaration the way a resident types it (the ward from Can Tho's shipped list, then the
 * street), from the first question to the confirmed summary. Typed answers work in either language; the
 * summary is confirmed with its button. Returns the replies to the confirmation.
 */
export async function answerFirstDeclaration(c: WebChatClient, r: WebResident): Promise<WebReply[]> {
  if (!/Họ và tên|full name/i.test(c.transcript())) throw new Error(`not at the name question:\n${c.transcript()}`);
  const no = r.locale === 'en' ? 'no' : 'không';
  const ward = r.ward ?? { typed: 'cai khe', pick: 'Phường Cái Khế' };
  for (const answer of [
    r.name,
    String(r.birthYear ?? 1985),
    r.locale === 'en' ? 'female' : 'nam',
    r.phone,
    'skip',
    ward.typed,
  ])
    await c.say(answer);
  await c.tap(ward.pick);
  await c.say('12 Trần Văn Khéo');
  await answerAsAsked(c.form(), { typed: true, no });
  await c.say('skip'); // vaccine doses
  return confirmSummary(c, r.locale);
}

/** A re-declaration: every health question answered "no" (typed) as it is asked, then the summary confirmed. */
export async function answerHealthQuestions(c: WebChatClient, locale: 'vi' | 'en' = 'vi'): Promise<WebReply[]> {
  await answerAsAsked(c.form(), { typed: true, no: locale === 'en' ? 'no' : 'không' });
  return confirmSummary(c, locale);
}

function confirmSummary(c: WebChatClient, locale: 'vi' | 'en' = 'vi'): Promise<WebReply[]> {
  return c.tap(locale === 'en' ? '✅ Confirm' : '✅ Xác nhận');
}

/** A new resident opening the chat: language, then consent. Leaves them at the first declaration question. */
export async function newResident(app: FastifyInstance, locale: 'vi' | 'en' = 'vi'): Promise<WebChatClient> {
  const c = new WebChatClient(app);
  await c.start();
  await c.tap(locale === 'en' ? 'English' : 'Tiếng Việt');
  await c.tap(locale === 'en' ? 'I agree' : 'Đồng ý');
  return c;
}

import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebReply } from '../../src/channels/web/index.js';

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
    if (!b) throw new Error(`no button "${label}" in: ${buttons.map((x) => x.label).join(' | ') || '(none)'}\n${this.transcript()}`);
    return this.post({ payload: b.payload });
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

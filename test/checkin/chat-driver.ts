import type { HandleResult } from '../../src/core/dialog.js';
import type { Inbound, Outbound } from '../../src/core/messages.js';
import type { TestService } from '../helpers/service.js';

let seq = 0;

/** Sends updates through the real dialog runner as one web-chat account, like a channel adapter would. */
export function chat(svc: TestService, accountId: string, channel: Inbound['channel'] = 'web') {
  const send = (i: Record<string, unknown>) =>
    svc.runner.handle({ channel, accountId, messageId: `m${++seq}-${accountId}`, ...i } as Inbound);
  return {
    start: (param: string) => send({ kind: 'start', param }),
    text: (text: string) => send({ kind: 'text', text }),
    press: (payload: string) => send({ kind: 'button', payload }),
  };
}

export const textOf = (r: HandleResult) => r.replies.map((m) => m.text ?? '').join('\n');
export const buttonsOf = (r: HandleResult) => r.replies.flatMap((m: Outbound) => (m.buttons ?? []).flat());
export const payloads = (r: HandleResult) => buttonsOf(r).map((b) => b.payload);

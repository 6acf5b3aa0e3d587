import { numbersChoices, type ChannelCapabilities } from './channel.js';
import { plainText } from './html-text.js';
import type { T } from './i18n.js';
import type { Button, Inbound, Outbound } from './messages.js';

/** A typed option number: "2", " 3. ", "4)". */
const NUMBER = /^\s*(\d{1,2})\s*[.)]?\s*$/;

/**
 * On channels without reliable buttons, choices are also listed as numbered lines in the text (with a hint
 * saying whether buttons show too), and the payloads are remembered in the dialog state so a typed number
 * answers them. Returns the messages to send and the menu to remember: the payloads of the last message that
 * offered choices, null when none did (a number typed next is then an answer, not a choice), undefined when
 * this channel needs no numbering.
 */
export function numberChoices(
  messages: Outbound[],
  caps: ChannelCapabilities,
  t: T,
): { messages: Outbound[]; menu: string[] | null | undefined } {
  if (!numbersChoices(caps)) return { messages, menu: undefined };
  let menu: string[] | null = null;
  const out = messages.map((m): Outbound => {
    const buttons: Button[] = (m.buttons ?? []).flat();
    if (buttons.length === 0) return m;
    menu = buttons.map((b) => b.payload);
    if (m.numbered) return m;
    const shown = caps.buttons !== undefined && buttons.length <= caps.buttons.total;
    const options = buttons.map((b, i) => `${i + 1}. ${b.label}`).join('\n');
    const hint = t(shown ? 'common:choices_hint_buttons' : 'common:choices_hint_typed');
    // The options are plain lines: formatting is dropped rather than mixed with them.
    const text = [plainText(m), options, hint].filter((s) => s.trim() !== '').join('\n\n');
    const { format: _format, ...rest } = m;
    return { ...rest, text, numbered: true };
  });
  return { messages: out, menu };
}

/** A typed number answering the last numbered menu becomes that option's button press. */
export function resolveNumberedChoice(inbound: Inbound, menu: string[] | null | undefined): Inbound {
  if (inbound.kind !== 'text' || !menu?.length) return inbound;
  const n = NUMBER.exec(inbound.text);
  const payload = n ? menu[Number(n[1]) - 1] : undefined;
  if (payload === undefined) return inbound;
  const { text: _text, html: _html, kind: _kind, ...rest } = inbound;
  return { ...rest, kind: 'button', payload };
}

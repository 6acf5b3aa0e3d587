import { plainText } from '../../core/html-text.js';
import type { Button, Outbound } from '../../core/messages.js';

/** Zalo's limit for one consultation text. */
export const MAX_TEXT = 2000;
/**
 * Most buttons one Zalo message shows (sources say 5; not documented where we could read it). Longer menus
 * are numbered only.
 */
export const MAX_BUTTONS = 5;
/** What a Zalo query button sends back as the person's (hidden) message: this prefix + our payload. */
export const BUTTON_PREFIX = '#kb:';

/** One Zalo `message` object for POST /v3.0/oa/message/cs (recipient added by the sender). */
export type ZaloMessage = Record<string, unknown>;

export interface RenderOptions {
  buttonMode: 'buttons' | 'numbered';
  /** the line under numbered options, in the person's language: with Zalo buttons shown, and without */
  hints: { buttons: string; typed: string };
  requestInfo?: { imageUrl: string; subtitle: string };
}

export interface RenderedOutbound {
  /** text messages to send, in order; the last one carries the buttons */
  messages: ZaloMessage[];
  /** an image to upload and send as a media template with `caption` */
  image?: { png: Buffer; filename: string; caption?: string };
  /** payloads in on-screen number order, when the message offers choices */
  menu?: string[];
}

/** Outbound → the Zalo messages that show it. Pure, so tests can read what a person would see. */
export function renderOutbound(m: Outbound, opts: RenderOptions): RenderedOutbound {
  let text = plainText(m);
  const buttons: Button[] = (m.buttons ?? []).flat();
  const out: RenderedOutbound = { messages: [] };
  const showButtons = opts.buttonMode === 'buttons' && buttons.length > 0 && buttons.length <= MAX_BUTTONS;
  if (buttons.length > 0) {
    out.menu = buttons.map((b) => b.payload);
    const options = buttons.map((b, i) => `${i + 1}. ${b.label}`).join('\n');
    text = [text, options, showButtons ? opts.hints.buttons : opts.hints.typed].filter((s) => s.trim() !== '').join('\n\n');
  }
  const zaloButtons: Record<string, unknown>[] = [];
  if (showButtons) {
    for (const [i, b] of buttons.entries()) {
      zaloButtons.push({ title: `${i + 1}. ${b.label}`.slice(0, 100), type: 'oa.query.hide', payload: BUTTON_PREFIX + b.payload });
    }
  }
  if (m.link && zaloButtons.length < MAX_BUTTONS) {
    zaloButtons.push({ title: m.link.label.slice(0, 100), type: 'oa.open.url', payload: { url: m.link.url } });
  }

  if (m.image) {
    // The caption goes with the image when it fits; a longer text is sent before it.
    const chunks = text ? splitText(text, MAX_TEXT) : [];
    const caption = chunks.pop();
    out.messages = chunks.map((c) => ({ text: c }));
    out.image = { png: m.image.png, filename: m.image.filename ?? 'image.png', caption };
    if (zaloButtons.length > 0) out.messages.push(withButtons({ text: caption ?? '' }, zaloButtons));
    return out;
  }

  const chunks = text ? splitText(text, MAX_TEXT) : [];
  out.messages = chunks.map((c) => ({ text: c }));
  const last = out.messages.at(-1);
  if (zaloButtons.length > 0) {
    if (last) out.messages[out.messages.length - 1] = withButtons(last, zaloButtons);
    else out.messages.push(withButtons({ text: '…' }, zaloButtons));
  }
  if (m.requestContact && opts.requestInfo) {
    out.messages.push({
      attachment: {
        type: 'template',
        payload: {
          template_type: 'request_user_info',
          elements: [{ title: m.requestContact.label.slice(0, 100), subtitle: opts.requestInfo.subtitle, image_url: opts.requestInfo.imageUrl }],
        },
      },
    });
  }
  return out;
}

function withButtons(message: ZaloMessage, buttons: Record<string, unknown>[]): ZaloMessage {
  return { ...message, attachment: { type: 'template', payload: { buttons } } };
}

/** The media template Zalo shows an uploaded image with. */
export function mediaMessage(attachmentId: string, caption?: string): ZaloMessage {
  return {
    ...(caption ? { text: caption } : {}),
    attachment: { type: 'template', payload: { template_type: 'media', elements: [{ media_type: 'image', attachment_id: attachmentId }] } },
  };
}

/**
 * Split text into pieces of at most `max` characters, preferring paragraph, line, then sentence ends, then
 * spaces, so no sentence is cut mid-word unless a single word is longer than `max`.
 */
export function splitText(text: string, max = MAX_TEXT): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const cut =
      lastBreak(window, /\n\s*\n/g) ?? lastBreak(window, /\n/g) ?? lastBreak(window, /[.!?…]["”')\]]*\s/g) ?? lastBreak(window, /\s/g) ?? max;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/**
 * End (exclusive) of the last match in `window` past its first quarter. Matches end in whitespace, so a cut
 * at window.length (= max + 1) still leaves at most max characters once trimmed.
 */
function lastBreak(window: string, re: RegExp): number | undefined {
  let best: number | undefined;
  for (const m of window.matchAll(re)) {
    if (m.index > window.length / 4) best = m.index + m[0].length;
  }
  return best;
}

import { plainText } from '../../core/html-text.js';
import type { ChannelCapabilities } from '../../core/channel.js';
import type { Button, Outbound } from '../../core/messages.js';
import { splitText } from '../../core/text-split.js';

export { splitText };

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
  requestInfo?: { imageUrl: string; subtitle: string };
}

export interface RenderedOutbound {
  /** text messages to send, in order; the last one carries the buttons */
  messages: ZaloMessage[];
  /** an image to upload and send as a media template with `caption` */
  image?: { png: Buffer; filename: string; caption?: string };
}

/** What the Zalo OA API offers: 2,000 characters, no edits, buttons that some clients do not show. */
export function zaloCapabilities(opts: {
  buttonMode: 'buttons' | 'numbered';
  windowHours: number;
}): ChannelCapabilities {
  return {
    textLimit: MAX_TEXT,
    editsInPlace: false,
    // The request_user_info card (when configured) is a separate card, not a button on the question.
    contactRequest: false,
    buttons: opts.buttonMode === 'buttons' ? { perRow: 1, total: MAX_BUTTONS } : undefined,
    numberedChoices: true,
    photoUpload: true,
    proactiveWindowHours: opts.windowHours,
  };
}

/**
 * Outbound → the Zalo messages that show it. Pure, so tests can read what a person would see. The core has
 * already listed the choices as numbered lines (capabilities.numberedChoices); this adds the query buttons
 * that send a choice back, when Zalo can show them all.
 */
export function renderOutbound(m: Outbound, opts: RenderOptions): RenderedOutbound {
  const text = plainText(m);
  const buttons: Button[] = (m.buttons ?? []).flat();
  const out: RenderedOutbound = { messages: [] };
  const showButtons = opts.buttonMode === 'buttons' && buttons.length > 0 && buttons.length <= MAX_BUTTONS;
  const zaloButtons: Record<string, unknown>[] = [];
  if (showButtons) {
    for (const [i, b] of buttons.entries()) {
      zaloButtons.push({
        title: `${i + 1}. ${b.label}`.slice(0, 100),
        type: 'oa.query.hide',
        payload: BUTTON_PREFIX + b.payload,
      });
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
          elements: [
            {
              title: m.requestContact.label.slice(0, 100),
              subtitle: opts.requestInfo.subtitle,
              image_url: opts.requestInfo.imageUrl,
            },
          ],
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
    attachment: {
      type: 'template',
      payload: { template_type: 'media', elements: [{ media_type: 'image', attachment_id: attachmentId }] },
    },
  };
}

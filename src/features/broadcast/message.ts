import type { ChannelRegistry } from '../../core/channel.js';
import { tFor } from '../../core/i18n.js';
import type { ChannelName, Outbound } from '../../core/messages.js';

/**
 * Longest text a channel takes in one message, as its adapter declares (capabilities.textLimit); undefined for
 * a channel this instance does not serve (its rows wait in the outbox for one that does).
 */
export type TextLimits = (channel: ChannelName) => number | undefined;
export const declaredTextLimits =
  (channels: ChannelRegistry | undefined): TextLimits =>
  (channel) =>
    channels?.get(channel)?.capabilities.textLimit;
export type BroadcastFormat = 'plain' | 'html';

/** The message residents get, in their language: a short header, then the official's text as written. */
export function broadcastMessage(text: string, format: BroadcastFormat, locale: string): Outbound {
  const header = tFor(locale)('broadcast:header');
  return { text: `${header}\n\n${text}`, format };
}

/** What the platform counts: Telegram measures text after parsing HTML entities. */
export function visibleLength(text: string, format: BroadcastFormat): number {
  const visible =
    format === 'html' ? text.replace(/<[^>]*>/g, '').replace(/&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/gi, '_') : text;
  return [...visible].length;
}

/** Channels (with recipients) whose limit the message exceeds. */
export function lengthProblems(
  text: string,
  format: BroadcastFormat,
  channels: Iterable<ChannelName>,
  limits: TextLimits,
): { channel: ChannelName; limit: number; length: number }[] {
  const out: { channel: ChannelName; limit: number; length: number }[] = [];
  for (const channel of channels) {
    // Vietnamese header is the longer one; check with it so both languages fit.
    const length = visibleLength(broadcastMessage(text, format, 'vi').text!, format);
    const limit = limits(channel);
    if (limit !== undefined && length > limit) out.push({ channel, limit, length });
  }
  return out;
}

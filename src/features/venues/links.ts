import type { Deps } from '../../core/dialog.js';

/** The poster's QR target: a small landing page (works for every channel, unlike a bare t.me link). */
export function checkinUrl(deps: Pick<Deps, 'links'>, code: string): string {
  return deps.links.venueCheckin(code);
}

/** Telegram start parameter of a venue (≤ 64 chars of A-Za-z0-9_-). */
export function checkinStartParam(code: string): string {
  return `v_${code}`;
}

/** The Telegram deep link that checks in at the venue, when the bot's username is known. */
export function telegramCheckinUrl(deps: Pick<Deps, 'links'>, code: string): string | undefined {
  return deps.links.telegramStart(checkinStartParam(code));
}

/** The web chat opened on the venue: the page sends the check-in start parameter, no code to type. */
export function webChatCheckinUrl(deps: Pick<Deps, 'links'>, code: string): string {
  return deps.links.webChat(checkinStartParam(code));
}

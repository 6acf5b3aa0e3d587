import type { Deps } from '../../core/dialog.js';
import { cardById } from './card.js';
import { CARD_TOKEN_VERSION, tokenVersion, verifyCardToken, verifyPassToken, type TokenRefusal } from './token.js';

/** Why a scanned pass or card names nobody: the verify page's refusals (verify-page.ts). */
export type ScannedRefusal = TokenRefusal | 'gone' | 'card_expired' | 'card_revoked' | 'card_reissued';

export type ScannedPass =
  { ok: true; personId: string; card: boolean } | { ok: false; reason: ScannedRefusal; card: boolean };

const TOKEN_CHARS = /^[A-Za-z0-9_-]{20,400}$/;

/**
 * The pass token in what a QR reader returned: the verify page's URL (`…/v/<token>`, any host: a pass printed
 * before a domain change still reads) or the bare token. Undefined for any other text (a CCCD, a web link).
 */
export function passTokenIn(text: string): string | undefined {
  const s = text.trim();
  const m = /^https?:\/\/[^/\s]+\/v\/([^?#\s]+)/i.exec(s);
  const token = m ? m[1]! : s;
  return TOKEN_CHARS.test(token) ? token : undefined;
}

/**
 * Whose pass or printed card a token is, checked as the verify page checks it: the signature and expiry, and for
 * a card its row (revoked, reissued, deleted person). The colour is not decided here: read it live (status.ts).
 */
export async function personOfPassToken(
  deps: Pick<Deps, 'secrets' | 'database'>,
  token: string,
  now: Date,
): Promise<ScannedPass> {
  const key = deps.secrets().passPublicKey;
  if (tokenVersion(token) === CARD_TOKEN_VERSION) {
    const result = verifyCardToken(token, key, now);
    if (!result.ok)
      return { ok: false, card: true, reason: result.reason === 'expired' ? 'card_expired' : result.reason };
    const card = await cardById(deps.database.db, result.claims.cardId);
    if (!card) return { ok: false, card: true, reason: 'gone' };
    if (card.revokedAt)
      return { ok: false, card: true, reason: card.revokedReason === 'reissued' ? 'card_reissued' : 'card_revoked' };
    return { ok: true, card: true, personId: card.personId };
  }
  const result = verifyPassToken(token, key, now);
  if (!result.ok) return { ok: false, card: false, reason: result.reason };
  return { ok: true, card: false, personId: result.claims.personId };
}

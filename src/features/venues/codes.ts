import { randomInt } from 'node:crypto';

/**
 * Venue codes: 6 characters people read off a poster and type into Zalo. The alphabet leaves out the
 * look-alikes 0/O and 1/I/L; each character is drawn independently from a CSPRNG, so one code says nothing
 * about another (31^6 ≈ 887 million codes).
 */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const CODE_LENGTH = 6;

export function newVenueCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

const CODE_RE = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

/** The canonical form of a code from a URL or a start parameter, or undefined when it cannot be one. */
export function normalizeVenueCode(raw: string): string | undefined {
  const code = raw.trim().toUpperCase().replace(/[\s-]/g, '');
  return CODE_RE.test(code) ? code : undefined;
}

/**
 * A venue code typed in chat: `ABC234`, `abc 234`, `abc-234`, `a b c 2 3 4`, `CI ABC234`, `ci: abc-234`.
 * `looksLikeCode` = an unknown code deserves "no venue with this code" rather than the menu: the person wrote
 * the CI prefix, or the six characters hold a digit or are all capitals (`ZZZZZZ`, `wzfe 24`); a plain word such
 * as "thanks" is not taken for a code.
 */
export function parseTypedVenueCode(text: string): { code: string; looksLikeCode: boolean } | undefined {
  const m = /^(ci[\s:.-]*)?([a-z0-9](?:[a-z0-9]|[\s-](?=[a-z0-9]))*)$/i.exec(text.trim());
  if (!m) return undefined;
  const compact = m[2]!.replace(/[\s-]/g, '');
  if (compact.length !== CODE_LENGTH) return undefined;
  const looksLikeCode = !!m[1] || /\d/.test(compact) || compact === compact.toUpperCase();
  const code = normalizeVenueCode(compact);
  if (!code) return looksLikeCode ? { code: compact.toUpperCase(), looksLikeCode } : undefined;
  return { code, looksLikeCode };
}

/** Claim codes of imported required venues: 8 characters of the same alphabet (31^8 ≈ 8.5 × 10^11), shown as XXXX-XXXX. */
export const CLAIM_CODE_LENGTH = 8;

export function newClaimCode(): string {
  let code = '';
  for (let i = 0; i < CLAIM_CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** "abcd-2345", "ABCD 2345" → "ABCD2345"; undefined when it cannot be a claim code. */
export function normalizeClaimCode(raw: string): string | undefined {
  const code = raw.trim().toUpperCase().replace(/[\s-]/g, '');
  return new RegExp(`^[${CODE_ALPHABET}]{${CLAIM_CODE_LENGTH}}$`).test(code) ? code : undefined;
}

/** How a claim code is printed for people: "ABCD-2345". */
export const formatClaimCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

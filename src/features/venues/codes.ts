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
 * A venue code typed in chat: `ABC234`, `abc 234`, `CI ABC234`, `ci: abc-234`.
 * `explicit` = the person wrote the CI prefix, so an unknown code deserves an answer rather than the menu.
 */
export function parseTypedVenueCode(text: string): { code: string; explicit: boolean } | undefined {
  const m = /^(ci[\s:.-]*)?([a-z0-9]{3})[\s-]?([a-z0-9]{3})$/i.exec(text.trim());
  if (!m) return undefined;
  const code = normalizeVenueCode(m[2]! + m[3]!);
  if (!code) return m[1] ? { code: (m[2]! + m[3]!).toUpperCase(), explicit: true } : undefined;
  return { code, explicit: !!m[1] };
}

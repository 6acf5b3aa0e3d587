import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Deps } from '../../core/dialog.js';

/**
 * HMAC signatures for short-lived capabilities (poster download links, staff sessions, staff check-in
 * tickets). The key is derived from the data key every instance loads from the database, one sub-key per
 * purpose, so a value signed for one purpose never verifies for another and any instance can check it.
 */
const keys = new WeakMap<Buffer, Map<string, Buffer>>();

function keyFor(deps: Pick<Deps, 'secrets'>, purpose: string): Buffer {
  const dataKey = deps.secrets().dataKey;
  let byPurpose = keys.get(dataKey);
  if (!byPurpose) keys.set(dataKey, (byPurpose = new Map()));
  let k = byPurpose.get(purpose);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', dataKey, Buffer.from('khaibao'), Buffer.from(`venues:${purpose}:v1`), 32));
    byPurpose.set(purpose, k);
  }
  return k;
}

export function sign(deps: Pick<Deps, 'secrets'>, purpose: string, payload: string): string {
  return createHmac('sha256', keyFor(deps, purpose)).update(payload).digest('base64url');
}

export function verifySignature(deps: Pick<Deps, 'secrets'>, purpose: string, payload: string, sig: string): boolean {
  const expected = Buffer.from(sign(deps, purpose, payload));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** "a.b.c" + "." + signature, expiring at `expiresAt`. Parts must not contain dots. */
export function signedToken(deps: Pick<Deps, 'secrets'>, purpose: string, parts: string[], expiresAt: Date): string {
  const payload = [...parts, String(Math.floor(expiresAt.getTime() / 1000))].join('.');
  return `${payload}.${sign(deps, purpose, payload)}`;
}

/**
 * A one-time download link for an account in chat (no bearer token on a phone): a token signed for (subject,
 * account, a random nonce) under `purpose`, valid `validMs`; the route spends it on the first download (its
 * audit row records the nonce). `path` is the route's path for the subject, e.g. `/venues/<id>/visits.csv`.
 */
export function oneTimeLink(
  deps: Pick<Deps, 'config' | 'secrets'>,
  o: { purpose: string; subjectId: string; accountId: string; path: string; validMs: number; now: Date },
): string {
  const nonce = randomBytes(9).toString('base64url');
  const token = signedToken(deps, o.purpose, [o.subjectId, o.accountId, nonce], new Date(o.now.getTime() + o.validMs));
  return `${deps.config.publicUrl}${o.path}?t=${encodeURIComponent(token)}`;
}

/** The parts of a signed token when its signature holds and it has not expired; otherwise undefined. */
export function readSignedToken(
  deps: Pick<Deps, 'secrets'>,
  purpose: string,
  token: string,
  now: Date,
  partCount: number,
): string[] | undefined {
  const pieces = token.split('.');
  if (pieces.length !== partCount + 2) return undefined;
  const sig = pieces.pop()!;
  const payload = pieces.join('.');
  if (!verifySignature(deps, purpose, payload, sig)) return undefined;
  const exp = Number(pieces.pop());
  if (!Number.isFinite(exp) || exp * 1000 <= now.getTime()) return undefined;
  return pieces;
}

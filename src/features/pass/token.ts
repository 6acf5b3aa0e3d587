import { sign, verify, type KeyObject } from 'node:crypto';
import { PASS_STATUSES, type PassStatus } from './status.js';

/**
 * Pass token: base64url of 89 bytes, so the QR stays at version 8–9 and scans from a cracked phone screen or
 * a worn printout. Binary, not JSON/JWT, because every byte makes the QR denser.
 *
 *   byte 0        high nibble: format version (1); low nibble: status (0 grey, 1 green, 2 yellow, 3 red)
 *   bytes 1..16   person id (UUID, 16 bytes)
 *   bytes 17..20  issued at, unix seconds, uint32 big-endian
 *   bytes 21..24  expires at, unix seconds, uint32 big-endian
 *   bytes 25..88  Ed25519 signature over bytes 0..24
 *
 * Anyone can verify offline with the public keys at /.well-known/khaibao/pass-keys.json (README shows how).
 */
export const TOKEN_VERSION = 1;
/**
 * Printed card token (thẻ in): the same 89 bytes and the same key, format version 2, no status (the colour is
 * read live when scanned) and the card id where a pass has the person id:
 *
 *   byte 0        high nibble: format version (2); low nibble: 0
 *   bytes 1..16   card id (UUID; `pass_cards.id`, which names the person)
 *   bytes 17..20  issued at, unix seconds, uint32 big-endian
 *   bytes 21..24  expires at (issued + CARD_VALID_DAYS), unix seconds, uint32 big-endian
 *   bytes 25..88  Ed25519 signature over bytes 0..24
 */
export const CARD_TOKEN_VERSION = 2;
export const PAYLOAD_BYTES = 25;
export const SIGNATURE_BYTES = 64;
export const TOKEN_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES;
/** length of the base64url text (no padding) */
export const TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 4) / 3);

const STATUS_CODES: Record<PassStatus, number> = { grey: 0, green: 1, yellow: 2, red: 3 };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64URL_RE = /^[A-Za-z0-9_-]+$/;

export interface PassClaims {
  personId: string;
  status: PassStatus;
  issuedAt: Date;
  expiresAt: Date;
}

/**
 * Why a token is refused:
 * - `malformed`: not a token of ours at all (wrong characters, length, version or fields);
 * - `bad-signature`: well-formed but no published key signed it: forged with another key, or any byte
 *   changed after signing (Ed25519 cannot tell the two apart, and the page need not);
 * - `expired`: authentic but past its expiry.
 */
export type TokenRefusal = 'malformed' | 'bad-signature' | 'expired';

export type VerifyResult =
  | { ok: true; claims: PassClaims }
  | { ok: false; reason: 'expired'; claims: PassClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' };

function seconds(d: Date): number {
  const s = Math.floor(d.getTime() / 1000);
  if (!Number.isFinite(s) || s < 0 || s > 0xffffffff) throw new RangeError('pass time out of range');
  return s;
}

export function signPassToken(claims: PassClaims, privateKey: KeyObject): string {
  if (!UUID_RE.test(claims.personId)) throw new TypeError('personId must be a UUID');
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  payload[0] = (TOKEN_VERSION << 4) | STATUS_CODES[claims.status];
  Buffer.from(claims.personId.replace(/-/g, ''), 'hex').copy(payload, 1);
  payload.writeUInt32BE(seconds(claims.issuedAt), 17);
  payload.writeUInt32BE(seconds(claims.expiresAt), 21);
  const signature = sign(null, payload, privateKey);
  return Buffer.concat([payload, signature]).toString('base64url');
}

export interface CardClaims {
  cardId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export type CardVerifyResult =
  | { ok: true; claims: CardClaims }
  | { ok: false; reason: 'expired'; claims: CardClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' };

function uuidBytes(id: string): Buffer {
  if (!UUID_RE.test(id)) throw new TypeError('id must be a UUID');
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function signCardToken(claims: CardClaims, privateKey: KeyObject): string {
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  payload[0] = CARD_TOKEN_VERSION << 4;
  uuidBytes(claims.cardId).copy(payload, 1);
  payload.writeUInt32BE(seconds(claims.issuedAt), 17);
  payload.writeUInt32BE(seconds(claims.expiresAt), 21);
  const signature = sign(null, payload, privateKey);
  return Buffer.concat([payload, signature]).toString('base64url');
}

/** The format version of a well-shaped token (1 pass, 2 printed card), before any signature check. */
export function tokenVersion(token: string): number | undefined {
  if (token.length !== TOKEN_LENGTH || !BASE64URL_RE.test(token)) return undefined;
  return Buffer.from(token.slice(0, 2), 'base64url')[0]! >> 4;
}

/** Signature checked as for a pass (same keys), then the card's fields and expiry. */
export function verifyCardToken(token: string, publicKeys: KeyObject | KeyObject[], now: Date): CardVerifyResult {
  const payload = signedPayload(token, publicKeys);
  if (payload === 'malformed' || payload === 'bad-signature') return { ok: false, reason: payload };
  if (payload[0] !== CARD_TOKEN_VERSION << 4) return { ok: false, reason: 'malformed' };
  const issuedAt = new Date(payload.readUInt32BE(17) * 1000);
  const expiresAt = new Date(payload.readUInt32BE(21) * 1000);
  if (expiresAt.getTime() <= issuedAt.getTime()) return { ok: false, reason: 'malformed' };
  const claims = { cardId: uuidText(payload.subarray(1, 17)), issuedAt, expiresAt };
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}

/** Shape and signature of any token version: the signed payload, or why not. */
function signedPayload(token: string, publicKeys: KeyObject | KeyObject[]): Buffer | 'malformed' | 'bad-signature' {
  if (token.length !== TOKEN_LENGTH || !BASE64URL_RE.test(token)) return 'malformed';
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== TOKEN_BYTES || bytes.toString('base64url') !== token) return 'malformed';
  const payload = bytes.subarray(0, PAYLOAD_BYTES);
  const keys = Array.isArray(publicKeys) ? publicKeys : [publicKeys];
  if (!keys.some((k) => verify(null, payload, k, bytes.subarray(PAYLOAD_BYTES)))) return 'bad-signature';
  return payload;
}

function decodePayload(payload: Buffer): PassClaims | undefined {
  if (payload[0]! >> 4 !== TOKEN_VERSION) return undefined;
  const status = PASS_STATUSES.find((s) => STATUS_CODES[s] === (payload[0]! & 0x0f));
  if (!status) return undefined;
  const hex = payload.subarray(1, 17).toString('hex');
  const personId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const issuedAt = new Date(payload.readUInt32BE(17) * 1000);
  const expiresAt = new Date(payload.readUInt32BE(21) * 1000);
  if (expiresAt.getTime() <= issuedAt.getTime()) return undefined;
  return { personId, status, issuedAt, expiresAt };
}

/**
 * Check a token against the published public keys (several during a key rotation).
 * Order matters: shape, then signature, then fields and time, so an expired forgery reads as forged.
 */
export function verifyPassToken(token: string, publicKeys: KeyObject | KeyObject[], now: Date): VerifyResult {
  if (token.length !== TOKEN_LENGTH || !BASE64URL_RE.test(token)) return { ok: false, reason: 'malformed' };
  const bytes = Buffer.from(token, 'base64url');
  // Node ignores stray bits in the last character; re-encoding rejects such non-canonical spellings.
  if (bytes.length !== TOKEN_BYTES || bytes.toString('base64url') !== token) return { ok: false, reason: 'malformed' };
  const payload = bytes.subarray(0, PAYLOAD_BYTES);
  const signature = bytes.subarray(PAYLOAD_BYTES);
  // Signature before fields: any byte changed in a well-shaped token reads as tampered, not as malformed.
  const keys = Array.isArray(publicKeys) ? publicKeys : [publicKeys];
  if (!keys.some((k) => verify(null, payload, k, signature))) return { ok: false, reason: 'bad-signature' };
  const claims = decodePayload(payload);
  if (!claims) return { ok: false, reason: 'malformed' };
  if (now.getTime() >= claims.expiresAt.getTime()) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}

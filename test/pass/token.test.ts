import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  signPassToken,
  TOKEN_BYTES,
  TOKEN_LENGTH,
  verifyPassToken,
  type PassClaims,
} from '../../src/features/pass/token.js';

const keys = generateKeyPairSync('ed25519');
const otherKeys = generateKeyPairSync('ed25519');
const issuedAt = new Date('2021-08-01T08:00:00+07:00');
const claims: PassClaims = {
  personId: randomUUID(),
  status: 'yellow',
  issuedAt,
  expiresAt: new Date(issuedAt.getTime() + 24 * 3_600_000),
};
const later = (ms: number) => new Date(issuedAt.getTime() + ms);

describe('pass token', () => {
  it('round-trips person, status and times, in 119 base64url characters', () => {
    const token = signPassToken(claims, keys.privateKey);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(TOKEN_LENGTH).toBe(119);
    for (const status of ['grey', 'green', 'yellow', 'red'] as const) {
      const r = verifyPassToken(signPassToken({ ...claims, status }, keys.privateKey), keys.publicKey, later(1000));
      expect(r).toEqual({ ok: true, claims: { ...claims, status } });
    }
  });

  it('refuses a token signed with another key as bad-signature', () => {
    const forged = signPassToken(claims, otherKeys.privateKey);
    expect(verifyPassToken(forged, keys.publicKey, later(1000))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('accepts any of several published keys (key rotation)', () => {
    const token = signPassToken(claims, otherKeys.privateKey);
    expect(verifyPassToken(token, [keys.publicKey, otherKeys.publicKey], later(1000)).ok).toBe(true);
  });

  it('refuses a token with any one byte changed', () => {
    const bytes = Buffer.from(signPassToken(claims, keys.privateKey), 'base64url');
    expect(bytes).toHaveLength(TOKEN_BYTES);
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i] = tampered[i]! ^ 0x01;
      const r = verifyPassToken(tampered.toString('base64url'), keys.publicKey, later(1000));
      expect(r, `byte ${i}`).toEqual({ ok: false, reason: 'bad-signature' });
    }
  });

  it('refuses a token whose status was upgraded by hand', () => {
    const bytes = Buffer.from(signPassToken({ ...claims, status: 'red' }, keys.privateKey), 'base64url');
    bytes[0] = (bytes[0]! & 0xf0) | 1; // red → green
    expect(verifyPassToken(bytes.toString('base64url'), keys.publicKey, later(1000))).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it.each([
    ['empty', ''],
    ['short', 'abc'],
    ['one character short', signPassToken(claims, keys.privateKey).slice(1)],
    ['one character extra', `${signPassToken(claims, keys.privateKey)}A`],
    ['not base64url', `${signPassToken(claims, keys.privateKey).slice(0, -2)}+/`],
    ['padding', `${signPassToken(claims, keys.privateKey).slice(0, -1)}=`],
    ['a JWT', 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
    ['very long', 'A'.repeat(5000)],
  ])('refuses a malformed token: %s', (_name, token) => {
    expect(verifyPassToken(token, keys.publicKey, later(1000))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a non-canonical spelling of the last character', () => {
    const token = signPassToken(claims, keys.privateKey);
    // 89 bytes leave 4 unused bits in the last character; setting one keeps the bytes but changes the text.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1)!);
    const odd = token.slice(0, -1) + alphabet[last ^ 1]!;
    expect(Buffer.from(odd, 'base64url')).toEqual(Buffer.from(token, 'base64url'));
    expect(verifyPassToken(odd, keys.publicKey, later(1000))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses an expired token, telling what it said', () => {
    const token = signPassToken(claims, keys.privateKey);
    expect(verifyPassToken(token, keys.publicKey, later(24 * 3_600_000 - 1000)).ok).toBe(true);
    expect(verifyPassToken(token, keys.publicKey, later(24 * 3_600_000))).toEqual({
      ok: false,
      reason: 'expired',
      claims,
    });
  });

  it('calls an expired forgery forged, not expired', () => {
    const forged = signPassToken(claims, otherKeys.privateKey);
    expect(verifyPassToken(forged, keys.publicKey, later(48 * 3_600_000))).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });
});

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * National ID numbers at rest: AES-256-GCM with the service data key, stored as base64(iv ‖ tag ‖ ciphertext),
 * plus the last 4 digits in clear so a person can recognise their own record without decrypting it.
 */
export function encryptNationalId(dataKey: Buffer, number: string): { enc: string; last4: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  const ct = Buffer.concat([cipher.update(number, 'utf8'), cipher.final()]);
  return { enc: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64'), last4: number.slice(-4) };
}

export function decryptNationalId(dataKey: Buffer, enc: string): string {
  const buf = Buffer.from(enc, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, buf.subarray(0, 12));
  decipher.setAuthTag(buf.subarray(12, 28));
  return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
}

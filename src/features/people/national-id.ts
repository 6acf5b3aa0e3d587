import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * National ID numbers at rest: AES-256-GCM with the service data key, stored as base64(iv ‖ tag ‖ ciphertext),
 * plus the last 4 digits in clear so a person can recognise their own record without decrypting it.
 */
export function encryptNationalId(
  keys: { dataKey: Buffer; idLookupKey: Buffer },
  number: string,
): { enc: string; last4: string; hash: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.dataKey, iv);
  const ct = Buffer.concat([cipher.update(number, 'utf8'), cipher.final()]);
  return {
    enc: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64'),
    last4: number.slice(-4),
    hash: nationalIdLookupHash(keys.idLookupKey, number),
  };
}

/**
 * The keyed lookup hash of an ID number (persons.id_number_hash): HMAC-SHA256 under the ID lookup key kept in
 * settings (wrapped like the data key), hex. The number is reduced to its digits first, so "0920 0101 2345" and
 * "092001012345" meet. Equal numbers give equal hashes, so a card read at the door finds its person; without
 * the key the hash cannot be tested against the small space of ID numbers.
 */
export function nationalIdLookupHash(idLookupKey: Buffer, number: string): string {
  const digits = number.replace(/\s+/g, '').toUpperCase();
  return createHmac('sha256', idLookupKey).update(`national-id:${digits}`).digest('hex');
}

export function decryptNationalId(dataKey: Buffer, enc: string): string {
  const buf = Buffer.from(enc, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, buf.subarray(0, 12));
  decipher.setAuthTag(buf.subarray(12, 28));
  return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
}

/** What the QR on a Vietnamese chip ID card (CCCD) says. */
export interface CccdCard {
  /** the 12-digit number */
  number: string;
  /** the old 9-digit CMND number, when printed */
  oldNumber: string | null;
  fullName: string;
  birthDate: { day: number; month: number; year: number };
  gender: 'male' | 'female' | 'other';
  address: string;
}

/**
 * The CCCD QR's text: `number|old number|name|date of birth (ddmmyyyy)|gender|address|issue date (ddmmyyyy)`.
 * Undefined for anything else. The number is personal data: keep it out of logs and store it only encrypted
 * (encryptNationalId).
 */
export function parseCccdQr(text: string): CccdCard | undefined {
  const f = text.trim().split('|');
  if (f.length < 6) return undefined;
  const [number, old, name, dob, gender, address] = f.map((x) => x.trim()) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d{12}$/.test(number) || !/^(\d{9})?$/.test(old) || !/^\d{8}$/.test(dob) || !name) return undefined;
  const day = Number(dob.slice(0, 2));
  const month = Number(dob.slice(2, 4));
  const year = Number(dob.slice(4));
  if (day < 1 || day > 31 || month < 1 || month > 12 || year < 1900) return undefined;
  const g = gender.normalize('NFC').toLowerCase();
  return {
    number,
    oldNumber: old || null,
    fullName: name.normalize('NFC').replace(/\s+/g, ' '),
    birthDate: { day, month, year },
    gender: g === 'nam' ? 'male' : g === 'nữ' || g === 'nu' ? 'female' : 'other',
    address,
  };
}

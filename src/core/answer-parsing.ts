import { foldText } from './text-fold.js';

/**
 * Parsing what people type that more than one feature needs (yes/no, phone numbers, folded text). Each parser
 * returns `{ok: true, value}` or `{ok: false, reason}` where reason is a locale key (declaration namespace)
 * saying why the answer was refused.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export const parsedOk = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const parsedNo = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** Lower case, without diacritics (đ → d), single spaces: "  Không  " → "khong". */
export const fold = foldText;

const YES = new Set(['co', 'c', 'yes', 'y', 'ok', 'da co', 'co a', 'vang', 'u', 'dung']);
const NO = new Set(['khong', 'ko', 'k', 'no', 'n', 'kh', 'khong co', 'chua', 'khong a']);

/** có / co / c / yes / y → true; không / khong / ko / k / no / n → false. */
export function parseYesNo(text: string): Parsed<boolean> {
  const f = fold(text).replace(/[.!]+$/, '');
  if (YES.has(f)) return parsedOk(true);
  if (NO.has(f)) return parsedOk(false);
  return parsedNo('err_yes_no');
}

/** True only for a typed "no" (không, ko, no…): how people decline an optional question. */
export function isTypedNo(text: string): boolean {
  const r = parseYesNo(text);
  return r.ok && !r.value;
}

/** 0912 345 678 / +84912345678 / 84912345678 / 0084… → +84912345678 (Vietnamese mobile and landline numbers). */
/**
 * A stored number (+84…) as Vietnamese people write it: "+84912345678" → "0912 345 678", a landline
 * "+842923820111" → "0292 3820 111". Anything else is shown as stored.
 */
export function displayPhone(stored: string): string {
  const m = /^\+84(\d{9,10})$/.exec(stored);
  if (!m) return stored;
  const national = `0${m[1]}`;
  return national.length === 10
    ? `${national.slice(0, 4)} ${national.slice(4, 7)} ${national.slice(7)}`
    : `${national.slice(0, 4)} ${national.slice(4, 8)} ${national.slice(8)}`;
}

export function parsePhone(text: string): Parsed<string> {
  const raw = text.replace(/[\s.\-()]/g, '');
  if (!/^\+?\d+$/.test(raw)) return parsedNo('err_phone');
  let national: string;
  if (raw.startsWith('+84')) national = raw.slice(3);
  else if (raw.startsWith('0084')) national = raw.slice(4);
  else if (raw.startsWith('84') && raw.length === 11) national = raw.slice(2);
  else if (raw.startsWith('0')) national = raw.slice(1);
  else return parsedNo('err_phone');
  // Vietnamese subscriber numbers have 9 digits after the country code (10 for a few landlines).
  if (!/^[1-9]\d{8,9}$/.test(national)) return parsedNo('err_phone');
  return parsedOk(`+84${national}`);
}

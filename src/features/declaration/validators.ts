import { foldText } from '../../core/text-fold.js';
/**
 * Parsers for what residents type. Each returns `{ok: true, value}` or `{ok: false, reason}` where reason is a
 * locale key (declaration namespace) saying why the answer was refused.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** Lower case, without diacritics (đ → d), single spaces: "  Không  " → "khong". */
export const fold = foldText;

const YES = new Set(['co', 'c', 'yes', 'y', 'ok', 'da co', 'co a', 'vang', 'u', 'dung']);
const NO = new Set(['khong', 'ko', 'k', 'no', 'n', 'kh', 'khong co', 'chua', 'khong a']);

/** có / co / c / yes / y → true; không / khong / ko / k / no / n → false. */
export function parseYesNo(text: string): Parsed<boolean> {
  const f = fold(text).replace(/[.!]+$/, '');
  if (YES.has(f)) return ok(true);
  if (NO.has(f)) return ok(false);
  return no('err_yes_no');
}

/** 0912 345 678 / +84912345678 / 84912345678 / 0084… → +84912345678 (Vietnamese mobile and landline numbers). */
export function parsePhone(text: string): Parsed<string> {
  const raw = text.replace(/[\s.\-()]/g, '');
  if (!/^\+?\d+$/.test(raw)) return no('err_phone');
  let national: string;
  if (raw.startsWith('+84')) national = raw.slice(3);
  else if (raw.startsWith('0084')) national = raw.slice(4);
  else if (raw.startsWith('84') && raw.length === 11) national = raw.slice(2);
  else if (raw.startsWith('0')) national = raw.slice(1);
  else return no('err_phone');
  // Vietnamese subscriber numbers have 9 digits after the country code (10 for a few landlines).
  if (!/^[1-9]\d{8,9}$/.test(national)) return no('err_phone');
  return ok(`+84${national}`);
}

export const MIN_BIRTH_YEAR = 1900;

/** A four-digit year from 1900 to the current year. */
export function parseBirthYear(text: string, now: Date): Parsed<number> {
  const t = text.trim();
  const m = /^(?:\d{1,2}[/.-]\d{1,2}[/.-])?(\d{4})$/.exec(t.replace(/\s+/g, ''));
  if (!m) return no('err_birth_year');
  const year = Number(m[1]);
  if (year < MIN_BIRTH_YEAR || year > now.getUTCFullYear()) return no('err_birth_year_range');
  return ok(year);
}

export type IdKind = 'cccd' | 'cmnd' | 'passport';

/** CCCD = 12 digits, CMND = 9 digits, passport = letters and digits (6–9, at least one of each). */
export function parseNationalId(text: string): Parsed<{ kind: IdKind; number: string }> {
  const v = text.replace(/[\s.-]/g, '').toUpperCase();
  if (/^\d{12}$/.test(v)) return ok({ kind: 'cccd', number: v });
  if (/^\d{9}$/.test(v)) return ok({ kind: 'cmnd', number: v });
  if (/^[A-Z0-9]{6,9}$/.test(v) && /[A-Z]/.test(v) && /\d/.test(v)) return ok({ kind: 'passport', number: v });
  return no('err_id_number');
}

/** 2–80 letters (any script, Vietnamese included), spaces, apostrophes, hyphens, dots; no digits. */
export function parseName(text: string): Parsed<string> {
  const v = text.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (/\d/.test(v)) return no('err_name_digits');
  const letters = v.replace(/[^\p{L}\p{M}]/gu, '');
  if (letters.length < 2 || v.length > 80) return no('err_name_length');
  if (!/^[\p{L}\p{M}][\p{L}\p{M} '.-]*$/u.test(v)) return no('err_name_chars');
  return ok(v);
}

export type Gender = 'male' | 'female' | 'other';

export function parseGender(text: string): Parsed<Gender> {
  const f = fold(text);
  if (['nam', 'male', 'm', 'trai'].includes(f)) return ok('male');
  if (['nu', 'female', 'f', 'gai'].includes(f)) return ok('female');
  if (['khac', 'other', 'o'].includes(f)) return ok('other');
  return no('err_gender');
}

const DOSE_WORDS: Record<string, number> = {
  khong: 0, chua: 0, 'chua tiem': 0, none: 0, zero: 0,
  mot: 1, one: 1, hai: 2, two: 2, ba: 3, three: 3, bon: 4, four: 4, tu: 4,
};

/** Vaccine doses 0..5, as digits or words ("hai", "2 mũi"). */
export function parseDoses(text: string): Parsed<number> {
  const f = fold(text).replace(/\s*(mui|doses?|lieu)$/, '').trim();
  const n = /^\d+$/.test(f) ? Number(f) : DOSE_WORDS[f];
  if (n === undefined || n < 0 || n > 5) return no('err_doses');
  return ok(n);
}

/** Free text (places, street): 2–200 characters. */
export function parseFreeText(text: string, max = 200): Parsed<string> {
  const v = text.replace(/\s+/g, ' ').trim();
  if (v.length < 2) return no('err_text_short');
  if (v.length > max) return no('err_text_long');
  return ok(v);
}

export const SYMPTOMS = ['fever', 'cough', 'breath', 'sore_throat', 'fatigue', 'taste_smell'] as const;
export type Symptom = (typeof SYMPTOMS)[number];

const SYMPTOM_WORDS: [string, Symptom][] = [
  ['sot', 'fever'], ['fever', 'fever'],
  ['ho', 'cough'], ['cough', 'cough'],
  ['kho tho', 'breath'], ['breath', 'breath'], ['breathing', 'breath'],
  ['dau hong', 'sore_throat'], ['hong', 'sore_throat'], ['sore throat', 'sore_throat'], ['throat', 'sore_throat'],
  ['met', 'fatigue'], ['met moi', 'fatigue'], ['fatigue', 'fatigue'], ['tired', 'fatigue'], ['tiredness', 'fatigue'],
  ['mat vi giac', 'taste_smell'], ['mat khuu giac', 'taste_smell'], ['vi giac', 'taste_smell'], ['khuu giac', 'taste_smell'],
  ['mat vi giac/khuu giac', 'taste_smell'], ['taste', 'taste_smell'], ['smell', 'taste_smell'], ['loss of taste', 'taste_smell'],
];

/** "sốt, ho" → ['fever','cough']; "không" → []; unknown words → refusal. */
export function parseSymptoms(text: string): Parsed<Symptom[]> {
  if (parseYesNo(text).ok && !(parseYesNo(text) as { value: boolean }).value) return ok([]);
  const parts = fold(text)
    .split(/[,;+]|\s+va\s+|\s+and\s+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const found = new Set<Symptom>();
  for (const p of parts) {
    const hit = SYMPTOM_WORDS.find(([w]) => w === p);
    if (!hit) return no('err_symptoms');
    found.add(hit[1]);
  }
  if (found.size === 0) return no('err_symptoms');
  return ok(SYMPTOMS.filter((s) => found.has(s)));
}

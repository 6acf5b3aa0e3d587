import { fold, isTypedNo, parsedNo, parsedOk, type Parsed } from '../../core/answer-parsing.js';

/**
 * Parsers for the declaration's own answers. Yes/no, phone and folding are shared by other features and live in
 * src/core/answer-parsing.ts (re-exported here for the declaration's code and tests).
 */
export { fold, parsePhone, parseYesNo, type Parsed } from '../../core/answer-parsing.js';

const ok = parsedOk;
const no = parsedNo;

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
  return ok(capitalizeName(v));
}

/**
 * Names as Vietnamese writes them, each word capitalised: "nguyễn văn an" and "NGUYỄN VĂN AN" → "Nguyễn Văn An",
 * "lê thị-mai" → "Lê Thị-Mai". A name typed in mixed case ("McKay", "Đỗ Thị LAN Anh") is kept as typed,
 * apart from a lower-case first letter of a word.
 */
export function capitalizeName(name: string): string {
  const letters = name.replace(/[^\p{L}]/gu, '');
  const uniform = letters === letters.toLowerCase() || letters === letters.toUpperCase();
  return name.replace(/\p{L}+/gu, (word) => {
    const rest = uniform ? word.slice(1).toLowerCase() : word.slice(1);
    return word.charAt(0).toUpperCase() + rest;
  });
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
  khong: 0,
  chua: 0,
  'chua tiem': 0,
  none: 0,
  zero: 0,
  mot: 1,
  one: 1,
  hai: 2,
  two: 2,
  ba: 3,
  three: 3,
  bon: 4,
  four: 4,
  tu: 4,
};

/** Vaccine doses 0..5, as digits or words ("hai", "2 mũi"). */
export function parseDoses(text: string): Parsed<number> {
  const f = fold(text)
    .replace(/\s*(mui|doses?|lieu)$/, '')
    .trim();
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

/** The national domestic declaration's symptoms, in its order; `other` asks a short text (questions.ts). */
export const SYMPTOMS = [
  'fever',
  'cough',
  'breath',
  'sore_throat',
  'pneumonia',
  'nausea',
  'diarrhea',
  'skin_bleeding',
  'rash',
  'fatigue',
  'taste_smell',
  'other',
] as const;
export type Symptom = (typeof SYMPTOMS)[number];

const SYMPTOM_WORDS: [string, Symptom][] = [
  ['sot', 'fever'],
  ['fever', 'fever'],
  ['ho', 'cough'],
  ['cough', 'cough'],
  ['kho tho', 'breath'],
  ['breath', 'breath'],
  ['breathing', 'breath'],
  ['dau hong', 'sore_throat'],
  ['hong', 'sore_throat'],
  ['sore throat', 'sore_throat'],
  ['throat', 'sore_throat'],
  ['viem phoi', 'pneumonia'],
  ['pneumonia', 'pneumonia'],
  ['non', 'nausea'],
  ['buon non', 'nausea'],
  ['non/buon non', 'nausea'],
  ['nausea', 'nausea'],
  ['vomiting', 'nausea'],
  ['tieu chay', 'diarrhea'],
  ['diarrhea', 'diarrhea'],
  ['diarrhoea', 'diarrhea'],
  ['xuat huyet', 'skin_bleeding'],
  ['xuat huyet ngoai da', 'skin_bleeding'],
  ['bleeding', 'skin_bleeding'],
  ['noi ban', 'rash'],
  ['noi ban ngoai da', 'rash'],
  ['rash', 'rash'],
  ['met', 'fatigue'],
  ['met moi', 'fatigue'],
  ['fatigue', 'fatigue'],
  ['tired', 'fatigue'],
  ['tiredness', 'fatigue'],
  ['mat vi giac', 'taste_smell'],
  ['mat khuu giac', 'taste_smell'],
  ['vi giac', 'taste_smell'],
  ['khuu giac', 'taste_smell'],
  ['mat vi giac/khuu giac', 'taste_smell'],
  ['taste', 'taste_smell'],
  ['smell', 'taste_smell'],
  ['loss of taste', 'taste_smell'],
  ['khac', 'other'],
  ['other', 'other'],
];

/** Ticks from typed words: "không" → []; unknown words → refusal `error`. */
function parseTicks<V extends string>(
  text: string,
  words: [string, V][],
  order: readonly V[],
  error: string,
): Parsed<V[]> {
  if (isTypedNo(text)) return ok([]);
  const parts = fold(text)
    .split(/[,;+]|\s+va\s+|\s+and\s+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const found = new Set<V>();
  for (const p of parts) {
    const hit = words.find(([w]) => w === p);
    if (!hit) return no(error);
    found.add(hit[1]);
  }
  if (found.size === 0) return no(error);
  return ok(order.filter((s) => found.has(s)));
}

/** "sốt, ho" → ['fever','cough']; "không" → []; unknown words → refusal. */
export function parseSymptoms(text: string): Parsed<Symptom[]> {
  return parseTicks(text, SYMPTOM_WORDS, SYMPTOMS, 'err_symptoms');
}

/** Chronic conditions (bệnh nền) as the national form lists them; `other` asks a short text. */
export const CONDITIONS = [
  'heart',
  'blood_pressure',
  'diabetes',
  'lung',
  'kidney',
  'liver',
  'cancer',
  'immunodeficiency',
  'pregnant',
  'other',
] as const;
export type Condition = (typeof CONDITIONS)[number];

const CONDITION_WORDS: [string, Condition][] = [
  ['tim', 'heart'],
  ['tim mach', 'heart'],
  ['benh tim', 'heart'],
  ['heart', 'heart'],
  ['huyet ap', 'blood_pressure'],
  ['cao huyet ap', 'blood_pressure'],
  ['blood pressure', 'blood_pressure'],
  ['hypertension', 'blood_pressure'],
  ['tieu duong', 'diabetes'],
  ['dai thao duong', 'diabetes'],
  ['diabetes', 'diabetes'],
  ['phoi', 'lung'],
  ['benh phoi', 'lung'],
  ['lung', 'lung'],
  ['than', 'kidney'],
  ['benh than', 'kidney'],
  ['kidney', 'kidney'],
  ['gan', 'liver'],
  ['benh gan', 'liver'],
  ['liver', 'liver'],
  ['ung thu', 'cancer'],
  ['cancer', 'cancer'],
  ['suy giam mien dich', 'immunodeficiency'],
  ['mien dich', 'immunodeficiency'],
  ['immunodeficiency', 'immunodeficiency'],
  ['mang thai', 'pregnant'],
  ['dang mang thai', 'pregnant'],
  ['co thai', 'pregnant'],
  ['pregnant', 'pregnant'],
  ['khac', 'other'],
  ['other', 'other'],
];

export function parseConditions(text: string): Parsed<Condition[]> {
  return parseTicks(text, CONDITION_WORDS, CONDITIONS, 'err_conditions');
}

export const HOME_NATIONALITY = 'Việt Nam';

/** The nationality: the button (`VN`) or "viet nam"/"vn" → Việt Nam; any other country's name as typed (2–60). */
export function parseNationality(text: string): Parsed<string> {
  const f = fold(text);
  if (['vn', 'viet nam', 'vietnam', 'vietnamese', 'nuoc viet nam'].includes(f)) return ok(HOME_NATIONALITY);
  if (/\d/.test(text)) return no('err_nationality');
  const v = text.replace(/\s+/g, ' ').trim();
  if (v.length < 2 || v.length > 60) return no('err_nationality');
  return ok(v);
}

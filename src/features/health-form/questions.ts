import { displayPhone, type Parsed } from '../../core/answer-parsing.js';
import type { T } from '../../core/i18n.js';
import { provinceByCode } from '../wards/admin-units.js';
import {
  CONDITIONS,
  parseBirthYear,
  parseConditions,
  parseDoses,
  parseFreeText,
  parseGender,
  parseName,
  parseNationality,
  parseSymptoms,
  SYMPTOMS,
} from './validators.js';

/**
 * The health declaration, one row per question. The dialog's steps and their order, the edit menu, the summary
 * shown before confirming (self and family), /dulieu and the pass colour's inputs are all read from here.
 *
 * Adding a question: a row here, its column (src/db/schema/people.ts + `npx drizzle-kit generate`) and its
 * locale keys `ask_<key>`, `ask_<key>_family` and `field_<key>` in locales/{vi,en}/declaration.json.
 *
 * Rows are asked in table order (a first declaration asks them all; a re-declaration only `health` and `reask`
 * rows; a profile edit only `profile`). Summaries and the edit menu show `profile` rows first, then `health` rows.
 */
export type QuestionKind = 'text' | 'year' | 'choice' | 'multi-choice' | 'yes-no' | 'phone' | 'national-id' | 'ward';

/** Why a declared answer turns the pass yellow (pass/status.ts): a yes, or at least one ticked option. */
export type PassEffect = 'symptoms' | 'contact-declared';

export interface ChoiceOption {
  value: string;
  /** locale key (declaration namespace); absent = the value itself is shown (e.g. "2") */
  label?: string;
}

export interface QuestionRow {
  /** step name, edit-menu payload (`d.e.<key>`), and the stem of its locale keys */
  key: string;
  kind: QuestionKind;
  /** profile: kept on the person (persons); health: one per declaration (declarations) */
  section: 'profile' | 'health';
  /** the column (drizzle property of persons or declarations) and the dialog data's field */
  column: string;
  /** locale keys (declaration namespace): the question, and its label in summaries and the edit menu */
  ask: string;
  label: string;
  /**
   * what a missing answer reads as: '' (blank), «Không có» (none: the answer is "nothing"), «Không cung cấp»
   * (not_given: a skipped, optional answer) or «Chưa khai» (not_declared)
   */
  empty?: 'blank' | 'none' | 'not_given' | 'not_declared';
  pass?: PassEffect;
  /** typed answers (text, year, choice, multi-choice) */
  parse?: (text: string, now: Date) => Parsed<unknown>;
  /** refusal locale key when a button or typed answer does not fit (choice, multi-choice) */
  error?: string;
  /** button payload code: `d.<payload>.<value>` (choice, multi-choice) */
  payload?: string;
  options?: readonly ChoiceOption[];
  /** offers «Bỏ qua» (the answer is then null) */
  skippable?: boolean;
  /** multi-choice: the prompt once something is ticked, and the finish / nothing buttons */
  askMore?: string;
  doneLabel?: string;
  noneLabel?: string;
  /**
   * A short text asked only after «Có» (yes/no) or after ticking `when` (multi-choice: «Khác»), stored in its own
   * column (null otherwise)
   */
  followUp?: { key: string; column: string; ask: string; parse: (text: string) => Parsed<string>; when?: string };
  /** /dulieu layout: the person's heading, or on the previous line after « · » */
  myData?: 'heading' | 'same-line';
  /** a profile answer also written on each declaration (the vaccine doses at the time) */
  onDeclaration?: boolean;
  /** a profile question asked again at each re-declaration, with a «Không thay đổi» button (`<payload>.same`) */
  reask?: boolean;
  /**
   * the button value of the answer "nothing to report" (tests answer with it: test/helpers/declaration-form.ts):
   * a profile row that has one is answered by it when a test answers the health questions
   */
  defaultAnswer?: string;
}

export const QUESTIONS = [
  {
    key: 'name',
    kind: 'text',
    section: 'profile',
    column: 'fullName',
    ask: 'ask_name',
    label: 'field_name',
    empty: 'blank',
    parse: (t) => parseName(t),
    myData: 'heading',
  },
  {
    key: 'birth_year',
    kind: 'year',
    section: 'profile',
    column: 'birthYear',
    ask: 'ask_birth_year',
    label: 'field_birth_year',
    empty: 'blank',
    parse: (t, now) => parseBirthYear(t, now),
  },
  {
    key: 'gender',
    kind: 'choice',
    section: 'profile',
    column: 'gender',
    ask: 'ask_gender',
    label: 'field_gender',
    empty: 'blank',
    payload: 'g',
    options: [
      { value: 'male', label: 'gender_male' },
      { value: 'female', label: 'gender_female' },
      { value: 'other', label: 'gender_other' },
    ],
    parse: (t) => parseGender(t),
    error: 'err_gender',
    myData: 'same-line',
  },
  {
    key: 'phone',
    kind: 'phone',
    section: 'profile',
    column: 'phone',
    ask: 'ask_phone',
    label: 'field_phone',
    empty: 'not_given',
  },
  {
    key: 'id_number',
    kind: 'national-id',
    section: 'profile',
    column: 'idNumber',
    ask: 'ask_id_number',
    label: 'field_id_number',
    empty: 'not_given',
  },
  {
    key: 'ward',
    kind: 'ward',
    section: 'profile',
    column: 'wardCode',
    ask: 'ask_ward',
    label: 'field_ward',
    empty: 'not_given',
    payload: 'w',
  },
  {
    key: 'street',
    kind: 'text',
    section: 'profile',
    column: 'street',
    ask: 'ask_street',
    label: 'field_street',
    empty: 'not_given',
    parse: (t) => parseFreeText(t),
  },
  {
    key: 'nationality',
    kind: 'choice',
    section: 'profile',
    column: 'nationality',
    ask: 'ask_nationality',
    label: 'field_nationality',
    empty: 'blank',
    payload: 'nat',
    options: [{ value: 'VN', label: 'nationality_vn' }],
    parse: (t) => parseNationality(t),
    error: 'err_nationality',
    onDeclaration: true,
    defaultAnswer: 'VN',
  },
  {
    key: 'conditions',
    kind: 'multi-choice',
    section: 'profile',
    column: 'chronicConditions',
    ask: 'ask_conditions',
    label: 'field_conditions',
    empty: 'not_declared',
    payload: 'cc',
    options: CONDITIONS.map((c) => ({ value: c, label: `condition_${c}` })),
    parse: (t) => parseConditions(t),
    error: 'err_conditions',
    askMore: 'ask_conditions_more',
    doneLabel: 'btn_symptoms_done',
    noneLabel: 'btn_no_conditions',
    followUp: {
      key: 'conditions_other',
      column: 'chronicOther',
      ask: 'ask_conditions_other',
      parse: (t) => parseFreeText(t, 100),
      when: 'other',
    },
    onDeclaration: true,
    defaultAnswer: 'none',
  },
  {
    key: 'travel',
    kind: 'yes-no',
    section: 'health',
    column: 'travel',
    ask: 'ask_travel',
    label: 'field_travel',
    followUp: {
      key: 'travel_places',
      column: 'travelPlaces',
      ask: 'ask_travel_places',
      parse: (t) => parseFreeText(t),
    },
  },
  {
    key: 'symptoms',
    kind: 'multi-choice',
    section: 'health',
    column: 'symptoms',
    ask: 'ask_symptoms',
    label: 'field_symptoms',
    empty: 'none',
    payload: 's',
    options: SYMPTOMS.map((s) => ({ value: s, label: `symptom_${s}` })),
    parse: (t) => parseSymptoms(t),
    error: 'err_symptoms',
    askMore: 'ask_symptoms_more',
    doneLabel: 'btn_symptoms_done',
    noneLabel: 'btn_no_symptoms',
    followUp: {
      key: 'symptoms_other',
      column: 'symptomsOther',
      ask: 'ask_symptoms_other',
      parse: (t) => parseFreeText(t, 100),
      when: 'other',
    },
    pass: 'symptoms',
  },
  {
    key: 'contact_case',
    kind: 'yes-no',
    section: 'health',
    column: 'contactCase',
    ask: 'ask_contact_case',
    label: 'field_contact_case',
    pass: 'contact-declared',
  },
  {
    key: 'contact_area',
    kind: 'yes-no',
    section: 'health',
    column: 'contactOutbreakArea',
    ask: 'ask_contact_area',
    label: 'field_contact_area',
    pass: 'contact-declared',
  },
  {
    key: 'contact_symptoms',
    kind: 'yes-no',
    section: 'health',
    column: 'contactSymptoms',
    ask: 'ask_contact_symptoms',
    label: 'field_contact_symptoms',
    pass: 'contact-declared',
  },
  {
    key: 'vaccine',
    kind: 'choice',
    section: 'profile',
    column: 'vaccineDoses',
    ask: 'ask_vaccine',
    label: 'field_vaccine',
    empty: 'not_declared',
    payload: 'v',
    options: ['0', '1', '2', '3'].map((value) => ({ value })),
    parse: (t) => parseDoses(t),
    error: 'err_doses',
    skippable: true,
    onDeclaration: true,
    reask: true,
    defaultAnswer: 'same',
  },
] as const satisfies readonly QuestionRow[];

export type Question = (typeof QUESTIONS)[number];
export type QuestionKey = Question['key'];

type ParsedValue<Q> = Q extends { parse: (...args: never[]) => Parsed<infer V> } ? V : never;
type FollowUpValue<Q> = Q extends { followUp: { column: infer C extends string } }
  ? { [K in C]?: string | null }
  : unknown;
/** The value each kind keeps in the dialog data and its column. */
type AnswerValue<Q> = Q extends { kind: 'yes-no' }
  ? boolean
  : Q extends { kind: 'phone' | 'ward' }
    ? string | null
    : Q extends { kind: 'national-id' }
      ? { enc: string; last4: string; hash?: string; kind: string } | null
      : | ParsedValue<Q>
        | (Q extends { skippable: true } ? null : never)
        | (Q extends { empty: 'none' | 'not_given' } ? null : never);

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every answer by its column, as the dialog collects them (absent = not answered yet). */
export type Answers = { [Q in Question as Q['column']]?: AnswerValue<Q> } & UnionToIntersection<
  FollowUpValue<Question>
>;

/** What turns the pass yellow, by column: exactly the rows with a `pass` effect. */
export type PassAnswers = {
  [Q in Question as Q extends { pass: PassEffect } ? Q['column'] : never]: Q extends { kind: 'multi-choice' }
    ? readonly string[]
    : boolean;
};

export const PROFILE_QUESTIONS: readonly QuestionRow[] = QUESTIONS.filter((q) => q.section === 'profile');
export const HEALTH_QUESTIONS: readonly QuestionRow[] = QUESTIONS.filter((q) => q.section === 'health');
/** What a re-declaration asks, in table order: the health rows and the profile rows asked again (vaccine doses). */
export const REDECLARATION_QUESTIONS: readonly QuestionRow[] = (QUESTIONS as readonly QuestionRow[]).filter(
  (q) => q.section === 'health' || q.reask,
);
/** Summary, edit menu and /dulieu order. */
export const SHOWN_ORDER: readonly QuestionRow[] = [...PROFILE_QUESTIONS, ...HEALTH_QUESTIONS];

export const questionByKey = (key: string): QuestionRow | undefined => QUESTIONS.find((q) => q.key === key);

/** A declared answer that turns the pass yellow: a yes, or at least one option ticked. */
export function raisesPass(q: QuestionRow, value: unknown): boolean {
  if (q.kind === 'multi-choice') return Array.isArray(value) && value.length > 0;
  return value === true;
}

/** The reasons (in the order the rules list them) that the declared answers give for a yellow pass. */
export function passEffects(answers: Readonly<Record<string, unknown>>): PassEffect[] {
  const out = new Set<PassEffect>();
  for (const q of QUESTIONS as readonly QuestionRow[]) {
    if (q.pass && raisesPass(q, answers[q.column])) out.add(q.pass);
  }
  return (['symptoms', 'contact-declared'] as const).filter((e) => out.has(e));
}

/**
 * One answer as a summary or /dulieu line shows it. `view` holds the answers by column; the national ID as
 * `{kind, last4}` and the ward as `wardName`. /dulieu writes the ID with a space ("CCCD •••• 1234").
 */
export function formatAnswer(
  q: QuestionRow,
  view: Readonly<Record<string, unknown>>,
  t: (key: string) => string,
  style: 'summary' | 'record' = 'summary',
): string {
  const d = (key: string) => t(`declaration:${key}`);
  const v = view[q.column];
  const empty = q.empty === 'blank' || q.empty === undefined ? '' : d(q.empty);
  switch (q.kind) {
    case 'yes-no': {
      const extra = q.followUp && v === true ? view[q.followUp.column] : undefined;
      return `${d(v ? 'yes' : 'no')}${typeof extra === 'string' && extra ? ` (${extra})` : ''}`;
    }
    case 'multi-choice': {
      const ticked = Array.isArray(v) ? (v as string[]) : [];
      if (ticked.length === 0) return (v === null || v === undefined) && q.empty !== 'none' ? empty : d('none');
      const extra = q.followUp ? view[q.followUp.column] : undefined;
      return ticked
        .map((s) =>
          s === q.followUp?.when && typeof extra === 'string' && extra
            ? `${optionLabel(q, s, d)} (${extra})`
            : optionLabel(q, s, d),
        )
        .join(', ');
    }
    case 'choice':
      return v === undefined || v === null ? empty : optionLabel(q, String(v), d);
    case 'national-id': {
      const id = v as { kind?: string | null; last4: string } | null | undefined;
      if (!id) return empty;
      if (style === 'record') return `${id.kind ? `${d(`id_kind_${id.kind}`)} ` : ''}•••• ${id.last4}`;
      return `${d(`id_kind_${id.kind}`)} ••••${id.last4}`;
    }
    case 'ward':
      return typeof view.wardName === 'string' ? view.wardName : empty;
    case 'phone':
      return typeof v === 'string' && v ? displayPhone(v) : empty;
    default:
      return v === undefined || v === null ? empty : String(v);
  }
}

/** "Tỉnh Hậu Giang (ngoài Cần Thơ)": the ward answer of someone living outside the city (persons.province_code). */
export function otherProvinceLabel(t: T, provinceCode: string): string {
  return t('declaration:ward_other_province', { province: provinceByCode(provinceCode)?.name ?? provinceCode });
}

function optionLabel(q: QuestionRow, value: string, d: (key: string) => string): string {
  const o = q.options?.find((x) => x.value === value);
  return o?.label ? d(o.label) : value;
}

import type { DialogContext, Flow, Step, StepInput } from '../../core/dialog.js';
import type { Button } from '../../core/messages.js';
import { passMessage } from '../pass/pass-message.js';
import { encryptNationalId } from '../people/national-id.js';
import { addDeclaration, savePerson, type ProfileInput } from '../people/store.js';
import { searchWards, wardByCode, wardCount, WARD_CHOICES } from '../wards/store.js';
import {
  fold,
  parseBirthYear,
  parseDoses,
  parseFreeText,
  parseGender,
  parseName,
  parseNationalId,
  parsePhone,
  parseSymptoms,
  parseYesNo,
  SYMPTOMS,
  type Parsed,
  type Symptom,
} from './validators.js';

export const DECLARE_FLOW = 'declare';

/**
 * What the dialog collects, kept in the dialog state between updates. The national ID is only ever held here
 * encrypted (the state row is stored too).
 */
export interface DeclarationData {
  /** 'full' = profile + health (first time), 'health' = re-declaration, 'profile' = edit a profile only */
  mode: 'full' | 'health' | 'profile';
  target: 'self' | 'family';
  personId?: string;
  resumeStart?: string;
  /** set while changing one field from the summary: the next answer returns to the summary */
  editing?: boolean;
  fullName?: string;
  birthYear?: number;
  gender?: 'male' | 'female' | 'other';
  phone?: string | null;
  /** undefined = keep what is stored; null = none */
  idNumber?: { enc: string; last4: string; kind: string } | null;
  /** last 4 digits and kind of the stored ID (shown in the summary when unchanged) */
  storedId?: { last4: string; kind: string } | null;
  wardCode?: string | null;
  wardName?: string | null;
  wardChoices?: string[];
  street?: string | null;
  vaccineDoses?: number | null;
  travel?: boolean;
  travelPlaces?: string | null;
  symptoms?: Symptom[];
  contactCase?: boolean;
  contactOutbreakArea?: boolean;
  contactSymptoms?: boolean;
}

const PROFILE_STEPS = ['name', 'birth_year', 'gender', 'phone', 'id_number', 'ward_query', 'street'] as const;
const HEALTH_STEPS = ['travel', 'symptoms', 'contact_case', 'contact_area', 'contact_symptoms'] as const;

function order(mode: DeclarationData['mode']): string[] {
  if (mode === 'health') return [...HEALTH_STEPS];
  if (mode === 'profile') return [...PROFILE_STEPS, 'vaccine'];
  return [...PROFILE_STEPS, ...HEALTH_STEPS, 'vaccine'];
}

const data = (ctx: DialogContext) => ctx.state.data as unknown as DeclarationData;

/** Go to the question after `from`, or back to the summary when one field was being changed. */
async function next(ctx: DialogContext, from: string): Promise<void> {
  const d = data(ctx);
  if (d.editing) return ctx.goto('summary');
  const steps = order(d.mode);
  return ctx.goto(steps[steps.indexOf(from) + 1] ?? 'summary');
}

const tk = (key: string) => `declaration:${key}`;

function refuse(ctx: DialogContext, reason: string): Promise<void> {
  ctx.reply({ text: ctx.t(tk(reason)) });
  return ctx.goto(ctx.state.step!);
}

const answer = (input: StepInput): string | undefined =>
  input.kind === 'text' ? input.text : input.kind === 'button' ? input.payload : undefined;

const yesNoButtons = (ctx: DialogContext): Button[][] => [
  [
    { label: ctx.t(tk('btn_yes')), payload: 'd.yes' },
    { label: ctx.t(tk('btn_no')), payload: 'd.no' },
  ],
];

function parseYesNoAnswer(input: StepInput): Parsed<boolean> {
  const a = answer(input);
  if (a === 'd.yes') return { ok: true, value: true };
  if (a === 'd.no') return { ok: true, value: false };
  return a === undefined ? { ok: false, reason: 'err_yes_no' } : parseYesNo(a);
}

/** A step that takes a typed answer through a parser. */
function typedStep<T>(
  name: string,
  promptKey: string,
  parse: (text: string, ctx: DialogContext) => Parsed<T> | Promise<Parsed<T>>,
  store: (d: DeclarationData, v: T) => void,
  extra?: (ctx: DialogContext) => Partial<{ buttons: Button[][]; requestContact: { label: string } }>,
  onButton?: (ctx: DialogContext, payload: string) => Promise<boolean>,
): Step {
  return {
    ask: async (ctx) => {
      ctx.reply({ text: ctx.t(tk(promptKey), promptParams(ctx)), ...(extra?.(ctx) ?? {}) });
    },
    handle: async (ctx, input) => {
      if (input.kind === 'button' && onButton && (await onButton(ctx, input.payload))) return;
      if (input.kind !== 'text') return refuse(ctx, 'err_type_answer');
      const r = await parse(input.text, ctx);
      if (!r.ok) return refuse(ctx, r.reason);
      store(data(ctx), r.value);
      return next(ctx, name);
    },
  };
}

function promptParams(ctx: DialogContext): Record<string, unknown> {
  const d = data(ctx);
  return { name: d.fullName ?? '', context: d.target === 'family' ? 'family' : undefined };
}

/** Yes/no question stored in one field. */
function yesNoStep(name: string, promptKey: string, store: (d: DeclarationData, v: boolean) => void): Step {
  return {
    ask: async (ctx) => {
      ctx.reply({ text: ctx.t(tk(promptKey), promptParams(ctx)), buttons: yesNoButtons(ctx) });
    },
    handle: async (ctx, input) => {
      const r = parseYesNoAnswer(input);
      if (!r.ok) return refuse(ctx, r.reason);
      store(data(ctx), r.value);
      return next(ctx, name);
    },
  };
}

const skipButton = (ctx: DialogContext): Button[][] => [[{ label: ctx.t(tk('btn_skip')), payload: 'd.skip' }]];

const steps: Record<string, Step> = {
  name: typedStep('name', 'ask_name', (t) => parseName(t), (d, v) => (d.fullName = v)),

  birth_year: typedStep('birth_year', 'ask_birth_year', (t, ctx) => parseBirthYear(t, ctx.deps.clock.now()), (d, v) => (d.birthYear = v)),

  gender: {
    ask: async (ctx) => {
      ctx.reply({
        text: ctx.t(tk('ask_gender'), promptParams(ctx)),
        buttons: [
          [
            { label: ctx.t(tk('gender_male')), payload: 'd.g.male' },
            { label: ctx.t(tk('gender_female')), payload: 'd.g.female' },
            { label: ctx.t(tk('gender_other')), payload: 'd.g.other' },
          ],
        ],
      });
    },
    handle: async (ctx, input) => {
      const a = answer(input);
      const r = a?.startsWith('d.g.') ? parseGender(a.slice(4)) : a !== undefined ? parseGender(a) : undefined;
      if (!r?.ok) return refuse(ctx, 'err_gender');
      data(ctx).gender = r.value;
      return next(ctx, 'gender');
    },
  },

  phone: {
    ask: async (ctx) => {
      const d = data(ctx);
      const self = d.target === 'self';
      ctx.reply({
        // Only Telegram can offer the share-contact button; elsewhere the number is typed.
        text: ctx.t(tk(!self ? 'ask_phone_family' : ctx.channel === 'telegram' ? 'ask_phone' : 'ask_phone_typed'), promptParams(ctx)),
        ...(self ? { requestContact: { label: ctx.t(tk('btn_share_phone')) } } : { buttons: skipButton(ctx) }),
      });
    },
    handle: async (ctx, input) => {
      const d = data(ctx);
      if (input.kind === 'contact') {
        // Only a number the platform vouches for is the sender's own; anyone can forward someone else's card.
        if (!input.isOwn) return refuse(ctx, 'err_contact_not_own');
        const r = parsePhone(input.phone);
        if (!r.ok) return refuse(ctx, r.reason);
        d.phone = r.value;
        return next(ctx, 'phone');
      }
      if (input.kind === 'button' && input.payload === 'd.skip' && d.target === 'family') {
        d.phone = null;
        return next(ctx, 'phone');
      }
      if (input.kind !== 'text') return refuse(ctx, 'err_type_answer');
      if (d.target === 'family' && parseYesNo(input.text).ok && !(parseYesNo(input.text) as { value: boolean }).value) {
        d.phone = null;
        return next(ctx, 'phone');
      }
      const r = parsePhone(input.text);
      if (!r.ok) return refuse(ctx, r.reason);
      d.phone = r.value;
      return next(ctx, 'phone');
    },
  },

  id_number: {
    ask: async (ctx) => {
      ctx.reply({ text: ctx.t(tk('ask_id_number'), promptParams(ctx)), buttons: skipButton(ctx) });
    },
    handle: async (ctx, input) => {
      const d = data(ctx);
      const a = answer(input);
      if (a === undefined) return refuse(ctx, 'err_type_answer');
      if (a === 'd.skip' || (parseYesNo(a).ok && !(parseYesNo(a) as { value: boolean }).value) || fold(a) === 'bo qua' || fold(a) === 'skip') {
        d.idNumber = null;
        return next(ctx, 'id_number');
      }
      const r = parseNationalId(a);
      if (!r.ok) return refuse(ctx, r.reason);
      const enc = encryptNationalId(ctx.deps.secrets!.dataKey, r.value.number);
      d.idNumber = { ...enc, kind: r.value.kind };
      return next(ctx, 'id_number');
    },
  },

  ward_query: {
    ask: async (ctx) => {
      if ((await wardCount(ctx.tx)) === 0) {
        // No ward list imported yet: the street answer carries the whole address.
        data(ctx).wardCode = null;
        data(ctx).wardName = null;
        return next(ctx, 'ward_query');
      }
      ctx.reply({ text: ctx.t(tk('ask_ward'), promptParams(ctx)) });
    },
    handle: async (ctx, input) => {
      if (input.kind !== 'text') return refuse(ctx, 'err_type_answer');
      return offerWards(ctx, input.text);
    },
  },

  ward_pick: {
    ask: async (ctx) => {
      const d = data(ctx);
      const codes = d.wardChoices ?? [];
      const buttons: Button[][] = [];
      for (const code of codes) {
        const w = await wardByCode(ctx.tx, code);
        if (w) buttons.push([{ label: `${w.name}, ${w.district}`, payload: `d.w.${code}` }]);
      }
      buttons.push([{ label: ctx.t(tk('btn_search_again')), payload: 'd.w.again' }]);
      ctx.reply({ text: ctx.t(tk('ask_ward_pick')), buttons });
    },
    handle: async (ctx, input) => {
      const d = data(ctx);
      if (input.kind === 'text') return offerWards(ctx, input.text);
      if (input.kind !== 'button' || !input.payload.startsWith('d.w.')) return refuse(ctx, 'err_pick_ward');
      const code = input.payload.slice(4);
      if (code === 'again') return ctx.goto('ward_query');
      const w = (d.wardChoices ?? []).includes(code) ? await wardByCode(ctx.tx, code) : undefined;
      if (!w) return refuse(ctx, 'err_pick_ward');
      d.wardCode = w.code;
      d.wardName = `${w.name}, ${w.district}`;
      delete d.wardChoices;
      return next(ctx, 'ward_query');
    },
  },

  street: typedStep('street', 'ask_street', (t) => parseFreeText(t), (d, v) => (d.street = v)),

  travel: {
    ask: async (ctx) => {
      const d = data(ctx);
      const buttons = yesNoButtons(ctx);
      if (d.mode === 'health' && !d.editing) buttons.push([{ label: ctx.t(tk('btn_update_profile')), payload: 'd.profile' }]);
      ctx.reply({ text: ctx.t(tk('ask_travel'), promptParams(ctx)), buttons });
    },
    handle: async (ctx, input) => {
      const d = data(ctx);
      if (input.kind === 'button' && input.payload === 'd.profile') {
        d.mode = 'full';
        return ctx.goto('name');
      }
      const r = parseYesNoAnswer(input);
      if (!r.ok) return refuse(ctx, r.reason);
      d.travel = r.value;
      if (r.value) return ctx.goto('travel_places');
      d.travelPlaces = null;
      return next(ctx, 'travel');
    },
  },

  travel_places: typedStep('travel', 'ask_travel_places', (t) => parseFreeText(t), (d, v) => (d.travelPlaces = v)),

  symptoms: {
    ask: async (ctx) => {
      const d = data(ctx);
      const chosen = new Set(d.symptoms ?? []);
      const buttons: Button[][] = [];
      for (let i = 0; i < SYMPTOMS.length; i += 2) {
        buttons.push(
          SYMPTOMS.slice(i, i + 2).map((s) => ({
            label: `${chosen.has(s) ? '☑' : '☐'} ${ctx.t(tk(`symptom_${s}`))}`,
            payload: `d.s.${s}`,
          })),
        );
      }
      buttons.push([
        chosen.size > 0
          ? { label: ctx.t(tk('btn_symptoms_done')), payload: 'd.s.done' }
          : { label: ctx.t(tk('btn_no_symptoms')), payload: 'd.s.none' },
      ]);
      ctx.reply({ text: ctx.t(tk(chosen.size > 0 ? 'ask_symptoms_more' : 'ask_symptoms'), promptParams(ctx)), buttons });
    },
    handle: async (ctx, input) => {
      const d = data(ctx);
      if (input.kind === 'button' && input.payload.startsWith('d.s.')) {
        const v = input.payload.slice(4);
        if (v === 'none') {
          d.symptoms = [];
          return next(ctx, 'symptoms');
        }
        if (v === 'done') return next(ctx, 'symptoms');
        if ((SYMPTOMS as readonly string[]).includes(v)) {
          const set = new Set(d.symptoms ?? []);
          if (set.has(v as Symptom)) set.delete(v as Symptom);
          else set.add(v as Symptom);
          d.symptoms = SYMPTOMS.filter((s) => set.has(s));
          return ctx.goto('symptoms');
        }
      }
      if (input.kind !== 'text') return refuse(ctx, 'err_symptoms');
      const r = parseSymptoms(input.text);
      if (!r.ok) return refuse(ctx, r.reason);
      d.symptoms = r.value;
      return next(ctx, 'symptoms');
    },
  },

  contact_case: yesNoStep('contact_case', 'ask_contact_case', (d, v) => (d.contactCase = v)),
  contact_area: yesNoStep('contact_area', 'ask_contact_area', (d, v) => (d.contactOutbreakArea = v)),
  contact_symptoms: yesNoStep('contact_symptoms', 'ask_contact_symptoms', (d, v) => (d.contactSymptoms = v)),

  vaccine: {
    ask: async (ctx) => {
      ctx.reply({
        text: ctx.t(tk('ask_vaccine'), promptParams(ctx)),
        buttons: [
          [0, 1, 2, 3].map((n) => ({ label: String(n), payload: `d.v.${n}` })),
          [{ label: ctx.t(tk('btn_skip')), payload: 'd.skip' }],
        ],
      });
    },
    handle: async (ctx, input) => {
      const d = data(ctx);
      const a = answer(input);
      if (a === undefined) return refuse(ctx, 'err_doses');
      if (a === 'd.skip' || fold(a) === 'bo qua' || fold(a) === 'skip') {
        d.vaccineDoses = null;
        return next(ctx, 'vaccine');
      }
      const r = parseDoses(a.startsWith('d.v.') ? a.slice(4) : a);
      if (!r.ok) return refuse(ctx, r.reason);
      d.vaccineDoses = r.value;
      return next(ctx, 'vaccine');
    },
  },

  summary: {
    ask: async (ctx) => {
      const d = data(ctx);
      delete d.editing;
      ctx.reply({
        text: summaryText(ctx, d),
        buttons: [
          [
            { label: ctx.t(tk(d.mode === 'profile' ? 'btn_save' : 'btn_confirm')), payload: 'd.confirm' },
            { label: ctx.t(tk('btn_edit')), payload: 'd.edit' },
          ],
        ],
      });
    },
    handle: async (ctx, input) => {
      const a = answer(input);
      if (a === 'd.edit' || (a !== undefined && ['sua', 'edit'].includes(fold(a)))) return ctx.goto('edit');
      if (a === 'd.confirm' || (a !== undefined && ['xac nhan', 'confirm', 'ok', 'dong y'].includes(fold(a)))) {
        return confirm(ctx);
      }
      return refuse(ctx, 'err_summary');
    },
  },

  edit: {
    ask: async (ctx) => {
      const fields = editableFields(data(ctx));
      const buttons: Button[][] = [];
      for (let i = 0; i < fields.length; i += 2) {
        buttons.push(fields.slice(i, i + 2).map((f) => ({ label: ctx.t(tk(`field_${f}`)), payload: `d.e.${f}` })));
      }
      buttons.push([{ label: ctx.t(tk('btn_back_summary')), payload: 'd.e.back' }]);
      ctx.reply({ text: ctx.t(tk('ask_edit_field')), buttons });
    },
    handle: async (ctx, input) => {
      const d = data(ctx);
      if (input.kind !== 'button' || !input.payload.startsWith('d.e.')) return refuse(ctx, 'err_pick_field');
      const f = input.payload.slice(4);
      if (f === 'back') return ctx.goto('summary');
      if (!editableFields(d).includes(f)) return refuse(ctx, 'err_pick_field');
      d.editing = true;
      return ctx.goto(f === 'ward' ? 'ward_query' : f);
    },
  },
};

function editableFields(d: DeclarationData): string[] {
  const profile = ['name', 'birth_year', 'gender', 'phone', 'id_number', 'ward', 'street', 'vaccine'];
  const health = ['travel', 'symptoms', 'contact_case', 'contact_area', 'contact_symptoms'];
  return d.mode === 'profile' ? profile : [...profile, ...health];
}

async function offerWards(ctx: DialogContext, text: string): Promise<void> {
  const d = data(ctx);
  const found = await searchWards(ctx.tx, text);
  if (found.length === 0) {
    ctx.reply({ text: ctx.t(tk('err_ward_none')) });
    return ctx.goto('ward_query');
  }
  if (found.length > WARD_CHOICES) ctx.reply({ text: ctx.t(tk('ward_many'), { count: WARD_CHOICES }) });
  d.wardChoices = found.slice(0, WARD_CHOICES).map((w) => w.code);
  return ctx.goto('ward_pick');
}

function summaryText(ctx: DialogContext, d: DeclarationData): string {
  const t = ctx.t;
  const yn = (v: boolean | undefined) => t(tk(v ? 'yes' : 'no'));
  const none = t(tk('none'));
  const id = d.idNumber ?? (d.idNumber === undefined ? d.storedId : null);
  const lines = [
    t(tk(d.mode === 'profile' ? 'summary_profile_title' : 'summary_title')),
    '',
    `${t(tk('field_name'))}: ${d.fullName ?? ''}`,
    `${t(tk('field_birth_year'))}: ${d.birthYear ?? ''}`,
    `${t(tk('field_gender'))}: ${d.gender ? t(tk(`gender_${d.gender}`)) : ''}`,
    `${t(tk('field_phone'))}: ${d.phone ?? none}`,
    `${t(tk('field_id_number'))}: ${id ? `${t(tk(`id_kind_${id.kind}`))} ••••${id.last4}` : none}`,
    `${t(tk('field_ward'))}: ${d.wardName ?? none}`,
    `${t(tk('field_street'))}: ${d.street ?? none}`,
    `${t(tk('field_vaccine'))}: ${d.vaccineDoses ?? t(tk('not_declared'))}`,
  ];
  if (d.mode !== 'profile') {
    lines.push(
      `${t(tk('field_travel'))}: ${yn(d.travel)}${d.travel && d.travelPlaces ? ` (${d.travelPlaces})` : ''}`,
      `${t(tk('field_symptoms'))}: ${d.symptoms?.length ? d.symptoms.map((s) => t(tk(`symptom_${s}`))).join(', ') : none}`,
      `${t(tk('field_contact_case'))}: ${yn(d.contactCase)}`,
      `${t(tk('field_contact_area'))}: ${yn(d.contactOutbreakArea)}`,
      `${t(tk('field_contact_symptoms'))}: ${yn(d.contactSymptoms)}`,
    );
  }
  lines.push('', t(tk(d.mode === 'profile' ? 'summary_hint_profile' : 'summary_hint')));
  return lines.join('\n');
}

async function confirm(ctx: DialogContext): Promise<void> {
  const d = data(ctx);
  const now = ctx.deps.clock.now();
  const profile: ProfileInput = {
    fullName: d.fullName!,
    birthYear: d.birthYear!,
    gender: d.gender!,
    phone: d.phone ?? null,
    idNumber: d.idNumber,
    wardCode: d.wardCode ?? null,
    street: d.street ?? null,
    vaccineDoses: d.vaccineDoses ?? null,
  };
  const personId = await savePerson(ctx.tx, ctx.account.id, profile, {
    personId: d.personId,
    isSelf: d.target === 'self',
    now,
  });
  const resumeStart = d.resumeStart;
  const mode = d.mode;
  if (mode !== 'profile') {
    await addDeclaration(
      ctx.tx,
      personId,
      ctx.account.id,
      {
        travel: d.travel ?? false,
        travelPlaces: d.travel ? (d.travelPlaces ?? null) : null,
        symptoms: d.symptoms ?? [],
        contactCase: d.contactCase ?? false,
        contactOutbreakArea: d.contactOutbreakArea ?? false,
        contactSymptoms: d.contactSymptoms ?? false,
        vaccineDoses: d.vaccineDoses ?? null,
      },
      now,
    );
  }
  ctx.end();
  if (mode === 'profile') {
    ctx.reply({ text: ctx.t(tk('profile_saved'), { name: d.fullName }) });
    return;
  }
  ctx.reply({ text: ctx.t(tk(d.target === 'self' ? 'declared' : 'declared_family'), { name: d.fullName }) });
  ctx.reply(await passMessage(ctx.tx, ctx.deps, personId, ctx.locale));
  if (resumeStart) await ctx.runStart(resumeStart);
}

export const declarationFlow: Flow = { name: DECLARE_FLOW, steps };

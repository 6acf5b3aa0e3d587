import { fold, parsePhone, parseYesNo, isTypedNo, type Parsed } from '../../core/answer-parsing.js';
import { callbackData } from '../../core/callback-data.js';
import { defineFlow, type DialogContext, type Step, type StepInput } from '../../core/dialog.js';
import type { Button } from '../../core/messages.js';
import { passMessage } from '../pass/pass-message.js';
import { encryptNationalId } from '../people/national-id.js';
import { addDeclaration, savePerson, type HealthInput, type ProfileInput } from '../people/store.js';
import { HOME_PROVINCE_CODE, matchProvinces, provinceByCode } from '../wards/admin-units.js';
import { findWards, wardByCode, wardLabel, WARD_CHOICES } from '../wards/store.js';
import {
  formatAnswer,
  HEALTH_QUESTIONS,
  otherProvinceLabel,
  PROFILE_QUESTIONS,
  QUESTIONS,
  REDECLARATION_QUESTIONS,
  SHOWN_ORDER,
  questionByKey,
  type Answers,
  type Question,
  type QuestionRow,
} from '../health-form/questions.js';
import { parseNationalId } from '../health-form/validators.js';

export const DECLARE_FLOW = 'declare';

/**
 * What the dialog collects, kept in the dialog state between updates: the answers by column (questions.ts) and
 * where the dialog is. The national ID is only ever held here encrypted (the state row is stored too).
 */
export type DeclarationData = Answers & {
  /** 'full' = profile + health (first time), 'health' = re-declaration, 'profile' = edit a profile only */
  mode: 'full' | 'health' | 'profile';
  target: 'self' | 'family';
  personId?: string;
  resumeStart?: string;
  /** set while changing one field from the summary: the next answer returns to the summary */
  editing?: boolean;
  /** last 4 digits and kind of the stored ID (shown in the summary when unchanged) */
  storedId?: { last4: string; kind: string } | null;
  /** how the ward answer is shown: "Phường Cái Khế, Quận Ninh Kiều", or the province of someone outside the city */
  wardName?: string | null;
  wardChoices?: string[];
  /** GSO code of the province of someone living outside the city (their ward is then null) */
  provinceCode?: string | null;
  provinceChoices?: string[];
  /** how the phone answered in this dialog came (unset: not answered here, the stored flag stays) */
  phoneSource?: 'telegram_contact' | 'zalo_submit_info' | 'typed' | null;
};

/** The steps a question takes: its key, a ward's search and pick, a yes/no's follow-up. */
type StepsOf<Q> = Q extends { kind: 'ward' }
  ? 'ward_query' | 'ward_pick' | 'ward_province'
  : Q extends { key: infer K extends string; followUp: { key: infer F extends string } }
    ? K | F
    : Q extends { key: infer K extends string }
      ? K
      : never;
export type DeclarationStep = StepsOf<Question> | 'summary' | 'edit';
type Ctx = DialogContext<DeclarationStep, DeclarationData>;
type DeclarationStepDef = Step<DeclarationStep, DeclarationData>;

/** Every button of the declaration: `d.yes.<key>`, `d.g.male`, `d.s.fever`, `d.e.<key>`, `d.confirm`… */
const D = callbackData('d', '.');

/** Answers by column, for the rows' generic reading and writing (the same object as ctx.data). */
const answers = (ctx: Ctx): Record<string, unknown> => ctx.data;

function order(mode: DeclarationData['mode']): readonly QuestionRow[] {
  if (mode === 'health') return REDECLARATION_QUESTIONS;
  if (mode === 'profile') return PROFILE_QUESTIONS;
  return ALL;
}

const ALL: readonly QuestionRow[] = QUESTIONS;

/** The step that asks a question. */
const entryStep = (q: QuestionRow): DeclarationStep => (q.kind === 'ward' ? 'ward_query' : (q.key as DeclarationStep));

/** Go to the question after `from` (a question key), or back to the summary when one field was being changed. */
async function next(ctx: Ctx, from: string): Promise<void> {
  const d = ctx.data;
  if (d.editing) return ctx.goto('summary');
  const qs = order(d.mode);
  const after = qs[qs.findIndex((q) => q.key === from) + 1];
  return ctx.goto(after ? entryStep(after) : 'summary');
}

const tk = (key: string) => `declaration:${key}`;

function refuse(ctx: Ctx, reason: string): Promise<void> {
  ctx.reply({ text: ctx.t(tk(reason)) });
  return ctx.repeat();
}

const answer = (input: StepInput): string | undefined =>
  input.kind === 'text' ? input.text : input.kind === 'button' ? input.payload : undefined;

const isSkip = (a: string) => a === D.data('skip') || fold(a) === 'bo qua' || fold(a) === 'skip';

function promptParams(ctx: Ctx): Record<string, unknown> {
  const d = ctx.data;
  return { name: d.fullName ?? '', context: d.target === 'family' ? 'family' : undefined };
}

const skipButton = (ctx: Ctx): Button[][] => [[{ label: ctx.t(tk('btn_skip')), payload: D.data('skip') }]];

/** Yes/no buttons carry the question's key (`d.yes.travel`), so what is asked can be read from them. */
function parseYesNoAnswer(input: StepInput): Parsed<boolean> {
  const a = answer(input);
  const rest = a === undefined ? undefined : D.rest(a);
  if (rest !== undefined && /^yes(\.|$)/.test(rest)) return { ok: true, value: true };
  if (rest !== undefined && /^no(\.|$)/.test(rest)) return { ok: true, value: false };
  return a === undefined ? { ok: false, reason: 'err_yes_no' } : parseYesNo(a);
}

/** A typed answer through the row's parser (text, year) or a follow-up's. */
function typedStep(
  key: string,
  ask: string,
  parse: (text: string, now: Date) => Parsed<unknown>,
  column: string,
): DeclarationStepDef {
  return {
    ask: async (ctx) => {
      ctx.reply({ text: ctx.t(tk(ask), promptParams(ctx)) });
    },
    handle: async (ctx, input) => {
      if (input.kind !== 'text') return refuse(ctx, 'err_type_answer');
      const r = parse(input.text, ctx.deps.clock.now());
      if (!r.ok) return refuse(ctx, r.reason);
      answers(ctx)[column] = r.value;
      return next(ctx, key);
    },
  };
}

function yesNoStep(q: QuestionRow): DeclarationStepDef {
  const first = HEALTH_QUESTIONS[0]?.key === q.key;
  return {
    ask: async (ctx) => {
      const d = ctx.data;
      const buttons: Button[][] = [
        [
          { label: ctx.t(tk('btn_yes')), payload: D.data('yes', q.key) },
          { label: ctx.t(tk('btn_no')), payload: D.data('no', q.key) },
        ],
      ];
      // A re-declaration starts here: the one place to reach the profile without /giadinh.
      if (first && d.mode === 'health' && !d.editing)
        buttons.push([{ label: ctx.t(tk('btn_update_profile')), payload: D.data('profile') }]);
      ctx.reply({ text: ctx.t(tk(q.ask), promptParams(ctx)), buttons });
    },
    handle: async (ctx, input) => {
      const d = ctx.data;
      if (first && input.kind === 'button' && input.payload === D.data('profile')) {
        d.mode = 'full';
        return ctx.goto(entryStep(ALL[0]!));
      }
      const r = parseYesNoAnswer(input);
      if (!r.ok) return refuse(ctx, r.reason);
      answers(ctx)[q.column] = r.value;
      if (q.followUp) {
        if (r.value) return ctx.goto(q.followUp.key as DeclarationStep);
        answers(ctx)[q.followUp.column] = null;
      }
      return next(ctx, q.key);
    },
  };
}

/** A `reask` row in a re-declaration (not while changing one field from the summary) offers «Không thay đổi». */
const offersSame = (ctx: Ctx, q: QuestionRow) => !!q.reask && ctx.data.mode === 'health' && !ctx.data.editing;
const SAME_WORDS = ['khong thay doi', 'nhu cu', 'van vay', 'no change', 'same'];

function choiceStep(q: QuestionRow): DeclarationStepDef {
  const head = `${q.payload}.`;
  return {
    ask: async (ctx) => {
      const buttons: Button[][] = [
        (q.options ?? []).map((o) => ({
          label: o.label ? ctx.t(tk(o.label)) : o.value,
          payload: D.data(q.payload!, o.value),
        })),
      ];
      if (offersSame(ctx, q)) {
        // A re-declaration: one tap keeps the answer given last time.
        const v = answers(ctx)[q.column];
        const label =
          v === undefined || v === null
            ? ctx.t(tk('btn_no_change'))
            : ctx.t(tk('btn_no_change_value'), { value: formatAnswer(q, answers(ctx), ctx.t) });
        buttons.unshift([{ label, payload: D.data(q.payload!, 'same') }]);
      }
      if (q.skippable) buttons.push(...skipButton(ctx));
      ctx.reply({ text: ctx.t(tk(q.ask), promptParams(ctx)), buttons });
    },
    handle: async (ctx, input) => {
      const a = answer(input);
      if (a === undefined) return refuse(ctx, q.error!);
      if (offersSame(ctx, q) && (a === D.data(q.payload!, 'same') || SAME_WORDS.includes(fold(a)))) {
        answers(ctx)[q.column] ??= null;
        return next(ctx, q.key);
      }
      if (q.skippable && isSkip(a)) {
        answers(ctx)[q.column] = null;
        return next(ctx, q.key);
      }
      const rest = D.rest(a);
      const r = q.parse!(rest?.startsWith(head) ? rest.slice(head.length) : a, ctx.deps.clock.now());
      if (!r.ok) return refuse(ctx, r.reason);
      answers(ctx)[q.column] = r.value;
      return next(ctx, q.key);
    },
  };
}

function multiChoiceStep(q: QuestionRow): DeclarationStepDef {
  const head = `${q.payload}.`;
  const values = (q.options ?? []).map((o) => o.value);
  return {
    ask: async (ctx) => {
      const chosen = new Set((answers(ctx)[q.column] as string[] | undefined) ?? []);
      const options = q.options ?? [];
      const buttons: Button[][] = [];
      for (let i = 0; i < options.length; i += 2) {
        buttons.push(
          options.slice(i, i + 2).map((o) => ({
            label: `${chosen.has(o.value) ? '☑' : '☐'} ${o.label ? ctx.t(tk(o.label)) : o.value}`,
            payload: D.data(q.payload!, o.value),
          })),
        );
      }
      buttons.push([
        chosen.size > 0
          ? { label: ctx.t(tk(q.doneLabel!)), payload: D.data(q.payload!, 'done') }
          : { label: ctx.t(tk(q.noneLabel!)), payload: D.data(q.payload!, 'none') },
      ]);
      ctx.reply({ text: ctx.t(tk(chosen.size > 0 && q.askMore ? q.askMore : q.ask), promptParams(ctx)), buttons });
    },
    handle: async (ctx, input) => {
      const rest = input.kind === 'button' ? D.rest(input.payload) : undefined;
      if (rest?.startsWith(head)) {
        const v = rest.slice(head.length);
        if (v === 'none') {
          answers(ctx)[q.column] = [];
          return afterTicks(ctx, q);
        }
        if (v === 'done') return afterTicks(ctx, q);
        if (values.includes(v)) {
          const set = new Set((answers(ctx)[q.column] as string[] | undefined) ?? []);
          if (set.has(v)) set.delete(v);
          else set.add(v);
          answers(ctx)[q.column] = values.filter((s) => set.has(s));
          return ctx.repeat();
        }
      }
      if (input.kind !== 'text') return refuse(ctx, q.error!);
      const r = q.parse!(input.text, ctx.deps.clock.now());
      if (!r.ok) return refuse(ctx, r.reason);
      answers(ctx)[q.column] = r.value;
      return afterTicks(ctx, q);
    },
  };
}

/** After a multi-choice: its short text when «Khác» is ticked (the follow-up), else the next question. */
function afterTicks(ctx: Ctx, q: QuestionRow): Promise<void> {
  const ticked = (answers(ctx)[q.column] as string[] | undefined) ?? [];
  if (q.followUp) {
    if (q.followUp.when !== undefined && ticked.includes(q.followUp.when))
      return ctx.goto(q.followUp.key as DeclarationStep);
    answers(ctx)[q.followUp.column] = null;
  }
  return next(ctx, q.key);
}

function phoneStep(q: QuestionRow): DeclarationStepDef {
  const store = (ctx: Ctx, phone: string | null, source: DeclarationData['phoneSource']) => {
    answers(ctx)[q.column] = phone;
    ctx.data.phoneSource = phone ? source : null;
    return next(ctx, q.key);
  };
  return {
    ask: async (ctx) => {
      const self = ctx.data.target === 'self';
      ctx.reply({
        // Where the channel cannot offer a share-contact button, the number is typed.
        text: ctx.t(
          tk(!self ? `${q.ask}_family` : ctx.capabilities.contactRequest ? q.ask : `${q.ask}_typed`),
          promptParams(ctx),
        ),
        ...(self ? { requestContact: { label: ctx.t(tk('btn_share_phone')) } } : { buttons: skipButton(ctx) }),
      });
    },
    handle: async (ctx, input) => {
      const family = ctx.data.target === 'family';
      if (input.kind === 'contact') {
        // Only a number the platform vouches for is the sender's own; anyone can forward someone else's card.
        if (!input.isOwn) return refuse(ctx, 'err_contact_not_own');
        const r = parsePhone(input.phone);
        if (!r.ok) return refuse(ctx, r.reason);
        // The platform vouched for it: Telegram's contact share, Zalo's user_submit_info (issue 15).
        return store(
          ctx,
          r.value,
          ctx.channel === 'zalo' ? 'zalo_submit_info' : ctx.channel === 'telegram' ? 'telegram_contact' : 'typed',
        );
      }
      if (input.kind === 'button' && input.payload === D.data('skip') && family) return store(ctx, null, null);
      if (input.kind !== 'text') return refuse(ctx, 'err_type_answer');
      if (family && isTypedNo(input.text)) return store(ctx, null, null);
      const r = parsePhone(input.text);
      if (!r.ok) return refuse(ctx, r.reason);
      return store(ctx, r.value, 'typed');
    },
  };
}

function nationalIdStep(q: QuestionRow): DeclarationStepDef {
  return {
    ask: async (ctx) => {
      ctx.reply({ text: ctx.t(tk(q.ask), promptParams(ctx)), buttons: skipButton(ctx) });
    },
    handle: async (ctx, input) => {
      const a = answer(input);
      if (a === undefined) return refuse(ctx, 'err_type_answer');
      if (isSkip(a) || isTypedNo(a)) {
        answers(ctx)[q.column] = null;
        return next(ctx, q.key);
      }
      const r = parseNationalId(a);
      if (!r.ok) return refuse(ctx, r.reason);
      const enc = encryptNationalId(ctx.deps.secrets(), r.value.number);
      answers(ctx)[q.column] = { ...enc, kind: r.value.kind };
      return next(ctx, q.key);
    },
  };
}

/** "tỉnh/thành khác", "tinh khac", "ngoai can tho", "other province": the resident lives outside the city. */
const isOtherProvince = (text: string) =>
  /^(tinh ?\/? ?thanh( pho)?|tinh|thanh pho|tp) khac$|^ngoai can tho$|^khac$|^other( province)?$/.test(fold(text));

function wardSteps(q: QuestionRow): Record<'ward_query' | 'ward_pick' | 'ward_province', DeclarationStepDef> {
  const WARD = `${q.payload!}.`;
  const PROVINCE = `${WARD}p.`;
  const otherButton = (ctx: Ctx): Button => ({
    label: ctx.t(tk('btn_other_province')),
    payload: D.data(`${WARD}other`),
  });
  const isOtherButton = (input: StepInput) => input.kind === 'button' && input.payload === D.data(`${WARD}other`);
  async function offerWards(ctx: Ctx, text: string): Promise<void> {
    if (isOtherProvince(text)) return ctx.goto('ward_province');
    const found = await findWards(ctx.tx, text);
    if (found.wards.length === 0) {
      ctx.reply({ text: ctx.t(tk('err_ward_none')) });
      return ctx.goto('ward_query');
    }
    if (found.more) ctx.reply({ text: ctx.t(tk('ward_many'), { count: found.wards.length }) });
    ctx.data.wardChoices = found.wards.map((w) => w.code);
    return ctx.goto('ward_pick');
  }
  function chooseProvince(ctx: Ctx, code: string): Promise<void> {
    const d = ctx.data;
    // Someone who names the city itself picks a ward after all.
    if (code === HOME_PROVINCE_CODE) return ctx.goto('ward_query');
    answers(ctx)[q.column] = null;
    d.provinceCode = code;
    d.wardName = otherProvinceLabel(ctx.t, code);
    delete d.provinceChoices;
    delete d.wardChoices;
    return next(ctx, q.key);
  }
  return {
    ward_query: {
      ask: async (ctx) => {
        ctx.reply({ text: ctx.t(tk(q.ask), promptParams(ctx)), buttons: [[otherButton(ctx)]] });
      },
      handle: async (ctx, input) => {
        if (isOtherButton(input)) return ctx.goto('ward_province');
        if (input.kind !== 'text') return refuse(ctx, 'err_type_answer');
        return offerWards(ctx, input.text);
      },
    },
    ward_pick: {
      ask: async (ctx) => {
        const buttons: Button[][] = [];
        for (const code of ctx.data.wardChoices ?? []) {
          const w = await wardByCode(ctx.tx, code);
          if (w) buttons.push([{ label: wardLabel(w), payload: D.data(WARD + code) }]);
        }
        buttons.push([{ label: ctx.t(tk('btn_search_again')), payload: D.data(`${WARD}again`) }, otherButton(ctx)]);
        ctx.reply({ text: ctx.t(tk(`${q.ask}_pick`)), buttons });
      },
      handle: async (ctx, input) => {
        const d = ctx.data;
        if (input.kind === 'text') return offerWards(ctx, input.text);
        if (isOtherButton(input)) return ctx.goto('ward_province');
        const rest = input.kind === 'button' ? D.rest(input.payload) : undefined;
        if (!rest?.startsWith(WARD)) return refuse(ctx, 'err_pick_ward');
        const code = rest.slice(WARD.length);
        if (code === 'again') return ctx.goto('ward_query');
        const w = (d.wardChoices ?? []).includes(code) ? await wardByCode(ctx.tx, code) : undefined;
        if (!w) return refuse(ctx, 'err_pick_ward');
        answers(ctx)[q.column] = w.code;
        d.wardName = wardLabel(w);
        d.provinceCode = null;
        delete d.wardChoices;
        return next(ctx, q.key);
      },
    },
    ward_province: {
      ask: async (ctx) => {
        const choices = (ctx.data.provinceChoices ?? []).flatMap((c) => {
          const p = provinceByCode(c);
          return p ? [[{ label: p.name, payload: D.data(PROVINCE + p.code) }]] : [];
        });
        const back = [{ label: ctx.t(tk('btn_back_to_wards')), payload: D.data(`${WARD}again`) }];
        ctx.reply({
          text: ctx.t(tk(choices.length > 0 ? 'ask_province_pick' : 'ask_province'), promptParams(ctx)),
          buttons: [...choices, back],
        });
      },
      handle: async (ctx, input) => {
        const d = ctx.data;
        const rest = input.kind === 'button' ? D.rest(input.payload) : undefined;
        if (rest === `${WARD}again`) {
          delete d.provinceChoices;
          return ctx.goto('ward_query');
        }
        if (rest?.startsWith(PROVINCE)) {
          const code = rest.slice(PROVINCE.length);
          if (!(d.provinceChoices ?? []).includes(code) || !provinceByCode(code))
            return refuse(ctx, 'err_province_none');
          return chooseProvince(ctx, code);
        }
        if (input.kind !== 'text') return refuse(ctx, 'err_type_answer');
        const found = matchProvinces(input.text);
        if (found.length === 1) return chooseProvince(ctx, found[0]!.code);
        if (found.length === 0) {
          delete d.provinceChoices;
          return refuse(ctx, 'err_province_none');
        }
        d.provinceChoices = found.slice(0, WARD_CHOICES).map((p) => p.code);
        return ctx.repeat();
      },
    },
  };
}

/** Which questions the edit menu offers (profile only when editing a profile), in summary order. */
function editable(d: DeclarationData): readonly QuestionRow[] {
  return d.mode === 'profile' ? SHOWN_ORDER.filter((q) => q.section === 'profile') : SHOWN_ORDER;
}

const EDIT = 'e.';

const fixedSteps: Record<'summary' | 'edit', DeclarationStepDef> = {
  summary: {
    ask: async (ctx) => {
      const d = ctx.data;
      delete d.editing;
      ctx.reply({
        text: summaryText(ctx, d),
        buttons: [
          [
            { label: ctx.t(tk(d.mode === 'profile' ? 'btn_save' : 'btn_confirm')), payload: D.data('confirm') },
            { label: ctx.t(tk('btn_edit')), payload: D.data('edit') },
          ],
        ],
      });
    },
    handle: async (ctx, input) => {
      const a = answer(input);
      if (a === D.data('edit') || (a !== undefined && ['sua', 'edit'].includes(fold(a)))) return ctx.goto('edit');
      if (a === D.data('confirm') || (a !== undefined && ['xac nhan', 'confirm', 'ok', 'dong y'].includes(fold(a)))) {
        return confirm(ctx);
      }
      return refuse(ctx, 'err_summary');
    },
  },

  edit: {
    ask: async (ctx) => {
      const fields = editable(ctx.data);
      const buttons: Button[][] = [];
      for (let i = 0; i < fields.length; i += 2) {
        buttons.push(fields.slice(i, i + 2).map((q) => ({ label: ctx.t(tk(q.label)), payload: D.data(EDIT + q.key) })));
      }
      buttons.push([{ label: ctx.t(tk('btn_back_summary')), payload: D.data(`${EDIT}back`) }]);
      ctx.reply({ text: ctx.t(tk('ask_edit_field')), buttons });
    },
    handle: async (ctx, input) => {
      const rest = input.kind === 'button' ? D.rest(input.payload) : undefined;
      if (!rest?.startsWith(EDIT)) return refuse(ctx, 'err_pick_field');
      const key = rest.slice(EDIT.length);
      if (key === 'back') return ctx.goto('summary');
      const q = editable(ctx.data).find((x) => x.key === key);
      if (!q) return refuse(ctx, 'err_pick_field');
      ctx.data.editing = true;
      return ctx.goto(entryStep(q));
    },
  },
};

/** The steps of every question in the table, by kind, then the summary and the edit menu. */
function buildSteps(): Record<DeclarationStep, DeclarationStepDef> {
  const steps: Partial<Record<DeclarationStep, DeclarationStepDef>> = { ...fixedSteps };
  const add = (name: string, step: DeclarationStepDef) => {
    if (name in steps) throw new Error(`declaration step ${name} defined twice`);
    steps[name as DeclarationStep] = step;
  };
  for (const q of QUESTIONS as readonly QuestionRow[]) {
    switch (q.kind) {
      case 'text':
      case 'year':
        add(q.key, typedStep(q.key, q.ask, q.parse!, q.column));
        break;
      case 'choice':
        add(q.key, choiceStep(q));
        break;
      case 'multi-choice':
        add(q.key, multiChoiceStep(q));
        if (q.followUp) add(q.followUp.key, typedStep(q.key, q.followUp.ask, q.followUp.parse, q.followUp.column));
        break;
      case 'yes-no':
        add(q.key, yesNoStep(q));
        if (q.followUp) add(q.followUp.key, typedStep(q.key, q.followUp.ask, q.followUp.parse, q.followUp.column));
        break;
      case 'phone':
        add(q.key, phoneStep(q));
        break;
      case 'national-id':
        add(q.key, nationalIdStep(q));
        break;
      case 'ward':
        for (const [name, step] of Object.entries(wardSteps(q))) add(name, step);
        break;
    }
  }
  return steps as Record<DeclarationStep, DeclarationStepDef>;
}

/** The answers as summaries show them: the ID (new, or the stored one's last digits) as `{kind, last4}`. */
function answerView(d: DeclarationData): Record<string, unknown> {
  return { ...d, idNumber: d.idNumber ?? (d.idNumber === undefined ? d.storedId : null) };
}

function summaryText(ctx: Ctx, d: DeclarationData): string {
  const t = ctx.t;
  const view = answerView(d);
  const shown = d.mode === 'profile' ? PROFILE_QUESTIONS : SHOWN_ORDER;
  const lines = [
    t(tk(d.mode === 'profile' ? 'summary_profile_title' : 'summary_title')),
    '',
    ...shown.map((q) => `${t(tk(q.label))}: ${formatAnswer(q, view, t)}`),
  ];
  // The national form's statement: a false declaration is unlawful (said before every confirmation).
  if (d.mode !== 'profile') lines.push('', t(tk('summary_legal')));
  lines.push('', t(tk(d.mode === 'profile' ? 'summary_hint_profile' : 'summary_hint')));
  return lines.join('\n');
}

/** The person's columns from the profile answers (the ID stays undefined = unchanged unless answered). */
function profileInput(d: DeclarationData): ProfileInput {
  const a: Record<string, unknown> = d;
  const out: Record<string, unknown> = { idNumber: d.idNumber };
  for (const q of PROFILE_QUESTIONS as readonly QuestionRow[]) {
    if (q.kind !== 'national-id') out[q.column] = a[q.column] ?? null;
    if (q.followUp) out[q.followUp.column] = followUpAsked(q, a[q.column]) ? (a[q.followUp.column] ?? null) : null;
    // The ward question's other answer: the province of someone living outside the city.
    if (q.kind === 'ward') out.provinceCode = a[q.column] ? null : (d.provinceCode ?? null);
  }
  // A phone answered in this dialog carries where it came from; one not answered keeps its stored flag.
  if (d.phoneSource !== undefined) {
    out.phoneSource = d.phoneSource;
    out.phoneVerified = d.phoneSource === 'telegram_contact' || d.phoneSource === 'zalo_submit_info';
  }
  return out as ProfileInput;
}

/** Whether the answer leads to the row's follow-up: «Có», or «Khác» ticked. */
function followUpAsked(q: QuestionRow, value: unknown): boolean {
  if (q.kind === 'multi-choice') return Array.isArray(value) && value.includes(q.followUp?.when);
  return value === true;
}

/** One declaration's columns from the health answers (and the profile answers kept on each declaration). */
function healthInput(d: DeclarationData): HealthInput {
  const a: Record<string, unknown> = d;
  const out: Record<string, unknown> = {};
  for (const q of QUESTIONS as readonly QuestionRow[]) {
    if (q.section === 'health') {
      out[q.column] = a[q.column] ?? (q.kind === 'yes-no' ? false : q.kind === 'multi-choice' ? [] : null);
      if (q.followUp) out[q.followUp.column] = followUpAsked(q, a[q.column]) ? (a[q.followUp.column] ?? null) : null;
    } else if (q.onDeclaration) {
      out[q.column] = a[q.column] ?? null;
      if (q.followUp) out[q.followUp.column] = followUpAsked(q, a[q.column]) ? (a[q.followUp.column] ?? null) : null;
    }
  }
  return out as HealthInput;
}

async function confirm(ctx: Ctx): Promise<void> {
  const d = ctx.data;
  const now = ctx.deps.clock.now();
  const person = await savePerson(ctx.tx, ctx.account.id, profileInput(d), {
    personId: d.personId,
    isSelf: d.target === 'self',
    now,
  });
  const resumeStart = d.resumeStart;
  const mode = d.mode;
  ctx.end();
  if (mode === 'profile') {
    ctx.reply({ text: ctx.t(tk('profile_saved'), { name: d.fullName }) });
    return;
  }
  await addDeclaration(ctx.tx, person.id, ctx.account.id, healthInput(d), now);
  ctx.reply({ text: ctx.t(tk(d.target === 'self' ? 'declared' : 'declared_family'), { name: d.fullName }) });
  // Read after the declaration is written (not sent with it: drizzle's insert and the prepared status read take
  // different paths to the connection, so their order on it is not certain). The person is the row just saved.
  ctx.reply(await passMessage(ctx.tx, ctx.deps, person, ctx.locale));
  if (resumeStart) await ctx.runStart(resumeStart);
}

export const declarationFlow = defineFlow<DeclarationData>()(DECLARE_FLOW, buildSteps(), [D]);

/** The step that asks the first question of `mode` (start.ts). */
export const firstStep = (mode: DeclarationData['mode']): DeclarationStep => entryStep(order(mode)[0]!);

export { questionByKey };

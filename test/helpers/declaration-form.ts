import { QUESTIONS, type QuestionRow } from '../../src/features/health-form/questions.js';

/**
 * Answers the declaration's health questions by recognising what is asked, not by counting: each question's
 * buttons carry its key (`d.yes.<key>`, `d.no.<key>`) or its payload code (`d.s.<symptom>`), so a question added
 * to src/features/health-form/questions.ts is answered "no" without changing any test.
 */
export interface OfferedButton {
  label: string;
  payload: string;
}

/** A chat as a test drives it: what the last replies offered, a press (by label), and typing. */
export interface FormDriver {
  offered(): OfferedButton[] | Promise<OfferedButton[]>;
  tap(label: string): Promise<unknown>;
  say(text: string): Promise<unknown>;
}

/** An answer for one question: text to type, a button label to press (`{tap}`), or a function that does it. */
export type FormAnswer = string | { tap: string } | ((d: FormDriver) => Promise<unknown>);

const rows: readonly QuestionRow[] = QUESTIONS;

/** The question the offered buttons belong to, or 'summary' at the summary; undefined for a question without buttons. */
export function questionAsked(buttons: OfferedButton[]): QuestionRow | 'summary' | undefined {
  for (const { payload } of buttons) {
    if (payload === 'd.confirm') return 'summary';
    const yesNo = /^d\.(?:yes|no)\.(.+)$/.exec(payload);
    if (yesNo) return rows.find((q) => q.key === yesNo[1]);
    const code = /^d\.([a-z]+)\./.exec(payload)?.[1];
    const q = code ? rows.find((r) => r.payload === code) : undefined;
    if (q) return q;
  }
  return undefined;
}

/**
 * Answers every health question as it comes: `answers[key]` when given, else "no" (typed when `typed`, else the
 * button) and no symptoms; profile questions that have a "nothing to report" button (questions.ts
 * `defaultAnswer`: nationality «Việt Nam», «Không có bệnh nền», «Không thay đổi» for the vaccine doses at a
 * re-declaration) are answered with it. Stops at the first other question (the vaccine doses of a first
 * declaration, the summary). Returns the keys answered, in order.
 */
export async function answerHealthQuestions(
  d: FormDriver,
  opts: { answers?: Record<string, FormAnswer>; typed?: boolean; no?: string } = {},
): Promise<string[]> {
  const asked: string[] = [];
  const give = async (a: FormAnswer) =>
    typeof a === 'function' ? a(d) : typeof a === 'string' ? d.say(a) : d.tap(a.tap);
  let followUp: QuestionRow['followUp'];
  for (let i = 0; i < 100; i++) {
    const q = questionAsked(await d.offered());
    if (q === undefined && followUp) {
      // A question without buttons right after a yes: the yes/no's follow-up (e.g. which places).
      const a = opts.answers?.[followUp.key];
      if (a === undefined) throw new Error(`no answer given for the follow-up ${followUp.key}`);
      asked.push(followUp.key);
      followUp = undefined;
      await give(a);
      continue;
    }
    if (q === undefined || q === 'summary') return asked;
    const offered = await d.offered();
    // A profile question with a "nothing to report" button (nationality, chronic conditions, the vaccine doses
    // asked again at a re-declaration) is answered with it when it is offered; any other ends the health part.
    const byDefault =
      q.section !== 'health' && q.defaultAnswer !== undefined
        ? offered.find((b) => b.payload === `d.${q.payload}.${q.defaultAnswer}`)
        : undefined;
    if (q.section !== 'health' && !byDefault) return asked;
    asked.push(q.key);
    followUp = q.followUp;
    const given = opts.answers?.[q.key];
    if (given !== undefined) {
      await give(given);
      continue;
    }
    if (byDefault) {
      await d.tap(byDefault.label);
      continue;
    }
    const pressNo = (payload: string) => {
      const b = offered.find((x) => x.payload === payload);
      if (!b) throw new Error(`no button ${payload} among ${offered.map((x) => x.payload).join(' ')}`);
      return d.tap(b.label);
    };
    if (opts.typed) await d.say(opts.no ?? 'không');
    else if (q.kind === 'yes-no') await pressNo(`d.no.${q.key}`);
    else if (q.kind === 'multi-choice') await pressNo(`d.${q.payload}.none`);
    else throw new Error(`no default answer for ${q.key} (${q.kind})`);
  }
  throw new Error('the health questions did not end');
}

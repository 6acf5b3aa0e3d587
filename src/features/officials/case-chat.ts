import { randomUUID } from 'node:crypto';
import { callbackData } from '../../core/callback-data.js';
import { defineFlow, scrub, type DialogContext } from '../../core/dialog.js';
import { AppError, isDatabaseUnavailable } from '../../core/errors.js';
import { formatDateTime } from '../../core/i18n.js';
import type { ChannelName, Outbound } from '../../core/messages.js';
import { enqueue } from '../../outbox/enqueue.js';
import { foldText as foldName } from '../../core/text-fold.js';
import { confirmCasePerson, previewCase, recordCase, type CaseInput, type CaseResult } from '../exposure/record.js';
import { eq } from 'drizzle-orm';
import { cases, persons } from '../../db/schema/index.js';
import { formatSpan } from '../exposure/alert-message.js';
import { parsePhone } from '../../core/answer-parsing.js';
import { ACCESS, accountActor, hasAnyRole } from './roles.js';

export const CASE_FLOW = 'case';
/** An onset or test date older than this is almost surely a typo (and its contacts' check-ins are gone). */
const MAX_DAYS_BACK = 30;
const VN_OFFSET_MS = 7 * 3_600_000;
const DAY = 86_400_000;

export const mayRecordCases = (ctx: DialogContext) => hasAnyRole(ctx.tx, ctx.account.id, ACCESS.cases);

/** One phone parser for the whole service (the declaration's): "+84…" or undefined. */
function normalizeVietnamPhone(text: string): string | undefined {
  const p = parsePhone(text);
  return p.ok ? p.value : undefined;
}

/** Midnight (Vietnam time) of a date typed as dd/mm, dd/mm/yy, dd/mm/yyyy, "hôm nay" or "hôm qua". */
export function parseVnDate(text: string, now: Date): Date | undefined {
  const local = new Date(now.getTime() + VN_OFFSET_MS);
  const today = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - VN_OFFSET_MS;
  const t = foldName(text);
  if (['hom nay', 'homnay', 'today', 'nay'].includes(t)) return new Date(today);
  if (['hom qua', 'homqua', 'yesterday', 'qua'].includes(t)) return new Date(today - DAY);
  const m = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$/.exec(t);
  if (!m) return undefined;
  const day = Number(m[1]);
  const month = Number(m[2]);
  let year = m[3] ? Number(m[3]) : local.getUTCFullYear();
  if (year < 100) year += 2000;
  const at = (y: number) => Date.UTC(y, month - 1, day) - VN_OFFSET_MS;
  let ms = at(year);
  const check = new Date(ms + VN_OFFSET_MS);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined; // 31/02
  // "28/12" typed on 2 January means last December.
  if (!m[3] && ms > today) ms = at(year - 1);
  return new Date(ms);
}

interface DraftWindow {
  venueId: string;
  venueName: string;
  from: string;
  to: string;
}

interface CaseDraft {
  phone?: string;
  /** a resident chosen in /theodoi («Ghi nhận ca bệnh»): the case is recorded for them, not looked up by phone */
  personId?: string;
  personLabel?: string;
  kind?: 'onset' | 'test';
  date?: string;
  /** the windows the preview showed, as the official edited them (set at the first preview) */
  windows?: DraftWindow[];
}
/** The case dialog's buttons: `f0:onset`, `f0:record`… */
const F0 = callbackData('f0');
/** «Xác nhận» on a possible match in the report: `f0m:<caseId>:<first 8 hex of the person id>` (≤ 64 bytes). */
export const F0M = callbackData('f0m');
/** «Ghi nhận ca bệnh» under a follow-up set to isolating or positive: `f0p:<personId>` starts /f0 for that person. */
export const F0P = callbackData('f0p');
const draft = (ctx: DialogContext<CaseStep, CaseDraft>) => ctx.data;
type CaseStep = 'phone' | 'kind' | 'date' | 'confirm' | 'preview' | 'edit';
const cancelWord = (s: string) => ['huy', 'thoi', 'cancel', 'stop'].includes(foldName(s));

function cancelled(ctx: DialogContext<CaseStep, CaseDraft>): void {
  ctx.end();
  ctx.reply({ text: ctx.t('officials:case_cancelled') });
}

/** /f0 (/case): record a confirmed case by phone and onset or test date, through the exposure feature. */
export const caseFlow = defineFlow<CaseDraft>()(
  CASE_FLOW,
  {
    phone: {
      ask: async (ctx) => ctx.reply({ text: ctx.t('officials:case_ask_phone') }),
      handle: async (ctx, input) => {
        const typed = input.kind === 'text' ? input.text : input.kind === 'contact' ? input.phone : '';
        if (input.kind === 'text' && cancelWord(typed)) return cancelled(ctx);
        const phone = normalizeVietnamPhone(typed);
        if (!phone) {
          ctx.reply({ text: ctx.t('officials:case_bad_phone') });
          return ctx.goto('phone');
        }
        draft(ctx).phone = phone;
        return ctx.goto('kind');
      },
    },
    kind: {
      ask: async (ctx) =>
        ctx.reply({
          text: ctx.t('officials:case_ask_kind'),
          buttons: [
            [{ label: ctx.t('officials:case_kind_onset'), payload: F0.data('onset') }],
            [{ label: ctx.t('officials:case_kind_test'), payload: F0.data('test') }],
          ],
        }),
      handle: async (ctx, input) => {
        const v = input.kind === 'button' ? input.payload : input.kind === 'text' ? foldName(input.text) : '';
        if (cancelWord(v)) return cancelled(ctx);
        if (v === F0.data('onset') || v === '1' || v.startsWith('khoi phat') || v === 'onset')
          draft(ctx).kind = 'onset';
        else if (
          v === F0.data('test') ||
          v === '2' ||
          v.startsWith('xet nghiem') ||
          v.startsWith('lay mau') ||
          v === 'test'
        )
          draft(ctx).kind = 'test';
        else return ctx.goto('kind');
        return ctx.goto('date');
      },
    },
    date: {
      ask: async (ctx) =>
        ctx.reply({
          text: ctx.t(draft(ctx).kind === 'onset' ? 'officials:case_ask_onset' : 'officials:case_ask_test'),
        }),
      handle: async (ctx, input) => {
        if (input.kind !== 'text') return ctx.goto('date');
        if (cancelWord(input.text)) return cancelled(ctx);
        const now = ctx.deps.clock.now();
        const d = parseVnDate(input.text, now);
        if (!d) {
          ctx.reply({ text: ctx.t('officials:case_bad_date') });
          return ctx.goto('date');
        }
        if (d.getTime() > now.getTime() || now.getTime() - d.getTime() > (MAX_DAYS_BACK + 1) * DAY) {
          ctx.reply({ text: ctx.t('officials:case_date_range', { days: MAX_DAYS_BACK }) });
          return ctx.goto('date');
        }
        draft(ctx).date = d.toISOString();
        return ctx.goto('confirm');
      },
    },
    confirm: {
      ask: async (ctx) => {
        const d = draft(ctx);
        ctx.reply({
          text: ctx.t(d.personId ? 'officials:case_confirm_person' : 'officials:case_confirm', {
            phone: d.phone,
            name: d.personLabel,
            kind: ctx.t(d.kind === 'onset' ? 'officials:case_kind_onset' : 'officials:case_kind_test'),
            date: formatDateTime(new Date(d.date!), ctx.locale).slice(6),
          }),
          buttons: [
            [{ label: ctx.t('officials:case_record_button'), payload: F0.data('record') }],
            [{ label: ctx.t('officials:case_cancel_button'), payload: F0.data('cancel') }],
          ],
        });
      },
      handle: async (ctx, input) => {
        const v = input.kind === 'button' ? input.payload : input.kind === 'text' ? foldName(input.text) : '';
        if (v === F0.data('cancel') || cancelWord(v)) return cancelled(ctx);
        if (v !== F0.data('record') && v !== 'ghi nhan' && v !== 'record') return ctx.goto('confirm');
        if (!(await mayRecordCases(ctx))) {
          ctx.end();
          ctx.reply({ text: ctx.t('common:unknown_command') });
          return;
        }
        return ctx.goto('preview');
      },
    },
    preview: {
      // What the case would trigger, computed by the real recording in a savepoint that is rolled back.
      ask: async (ctx) => {
        const d = draft(ctx);
        let r: CaseResult;
        try {
          r = await previewCase(ctx.tx, ctx.deps, caseInput(d), accountActor(ctx.account.id));
        } catch (err) {
          if (isDatabaseUnavailable(err)) throw err;
          if (!(err instanceof AppError)) ctx.log.error({ err: scrub(err) }, 'case preview failed');
          ctx.end();
          ctx.reply({ text: ctx.t('officials:case_failed') });
          return;
        }
        if (!d.windows) {
          d.windows = r.windows.map((w) => ({
            venueId: w.venueId,
            venueName: w.venueName,
            from: w.from.toISOString(),
            to: w.to.toISOString(),
          }));
        }
        ctx.reply({
          text: [
            ctx.t('officials:case_preview_title'),
            ...(r.windows.length === 0
              ? [ctx.t('officials:case_preview_no_windows')]
              : r.windows.map((w) => windowLine(ctx, w))),
            ctx.t('officials:case_preview_totals', {
              close: r.closeContacts,
              casual: r.casualContacts,
              household: r.householdContacts,
              alerts: r.alertsQueued,
            }),
            ...(r.personFound ? [] : [ctx.t('officials:case_person_unknown')]),
            ...possibleMatchLines(ctx, r),
          ].join('\n'),
          buttons: [
            [{ label: ctx.t('officials:case_send_button'), payload: F0.data('send') }],
            [{ label: ctx.t('officials:case_edit_button'), payload: F0.data('edit') }],
            [{ label: ctx.t('officials:case_cancel_button'), payload: F0.data('cancel') }],
          ],
        });
      },
      handle: async (ctx, input) => {
        const v = input.kind === 'button' ? input.payload : input.kind === 'text' ? foldName(input.text) : '';
        if (v === F0.data('cancel') || cancelWord(v)) return cancelled(ctx);
        if (v === F0.data('edit') || v === 'sua' || v === 'sua khung gio' || v === 'edit') return ctx.goto('edit');
        if (v !== F0.data('send') && v !== 'gui' && v !== 'gui canh bao' && v !== 'send') return ctx.goto('preview');
        if (!(await mayRecordCases(ctx))) {
          ctx.end();
          ctx.reply({ text: ctx.t('common:unknown_command') });
          return;
        }
        await recordAndReport(ctx);
      },
    },
    edit: {
      ask: async (ctx) => {
        const ws = draft(ctx).windows ?? [];
        ctx.reply({
          text: [
            ctx.t('officials:case_edit_title'),
            ...ws.map(
              (w, i) =>
                `${i + 1}. ${windowLine(ctx, { venueName: w.venueName, from: new Date(w.from), to: new Date(w.to) })}`,
            ),
            ctx.t('officials:case_edit_hint'),
          ].join('\n'),
          buttons: [
            ...ws.map((w, i) => [
              {
                label: ctx.t('officials:case_drop_button', { n: i + 1, venue: w.venueName }),
                payload: F0.data('drop', i),
              },
            ]),
            [{ label: ctx.t('officials:case_edit_done'), payload: F0.data('done') }],
          ],
        });
      },
      handle: async (ctx, input) => {
        const d = draft(ctx);
        const ws = d.windows ?? [];
        const v = input.kind === 'button' ? input.payload : input.kind === 'text' ? foldName(input.text) : '';
        if (cancelWord(v)) return cancelled(ctx);
        if (v === F0.data('done') || v === 'xong' || v === 'done') return ctx.goto('preview');
        const drop = F0.rest(v)?.match(/^drop:(\d+)$/);
        if (drop) {
          ws.splice(Number(drop[1]), 1);
          d.windows = ws;
          return ctx.goto('edit');
        }
        // "2 14:00-15:30": window 2 now runs from 14:00 to 15:30 (Vietnam time, on the window's own day).
        const m = /^(\d+)\s+(\d{1,2})[:h](\d{2})\s*[-–]\s*(\d{1,2})[:h](\d{2})$/.exec(
          input.kind === 'text' ? input.text.trim() : '',
        );
        const w = m ? ws[Number(m[1]) - 1] : undefined;
        if (!m || !w) {
          ctx.reply({ text: ctx.t('officials:case_edit_bad') });
          return ctx.goto('edit');
        }
        const from = atVnTime(new Date(w.from), Number(m[2]), Number(m[3]));
        const to = atVnTime(new Date(w.from), Number(m[4]), Number(m[5]));
        if (!from || !to || to.getTime() <= from.getTime()) {
          ctx.reply({ text: ctx.t('officials:case_edit_bad') });
          return ctx.goto('edit');
        }
        // Only trims: the recording cuts the case's window to this span.
        w.from = new Date(Math.max(from.getTime(), new Date(w.from).getTime())).toISOString();
        w.to = new Date(Math.min(to.getTime(), new Date(w.to).getTime())).toISOString();
        if (new Date(w.to).getTime() <= new Date(w.from).getTime()) ws.splice(Number(m[1]) - 1, 1);
        return ctx.goto('edit');
      },
    },
  },
  [F0],
);

function caseInput(d: CaseDraft): CaseInput {
  const at = new Date(d.date!);
  return {
    ...(d.personId ? { personId: d.personId } : { phone: d.phone }),
    ...(d.kind === 'onset' ? { onsetAt: at } : { testedAt: at }),
    ...(d.windows
      ? { windows: d.windows.map((w) => ({ venueId: w.venueId, from: new Date(w.from), to: new Date(w.to) })) }
      : {}),
  };
}

function windowLine(
  ctx: DialogContext,
  w: { venueName: string; from: Date; to: Date; closeContacts?: number; casualContacts?: number },
): string {
  const span = formatSpan({ from: w.from, to: w.to }, ctx.locale);
  return w.closeContacts === undefined
    ? ctx.t('officials:case_window_line_short', { venue: w.venueName, span })
    : ctx.t('officials:case_window_line', {
        venue: w.venueName,
        span,
        close: w.closeContacts,
        casual: w.casualContacts ?? 0,
      });
}

function possibleMatchLines(ctx: DialogContext, r: CaseResult): string[] {
  if (r.possibleMatches.length === 0) return [];
  return [ctx.t('officials:case_possible_matches', { count: r.possibleMatches.length })];
}

/** hh:mm Vietnam time on the day (Vietnam time) of `day`. */
function atVnTime(day: Date, h: number, min: number): Date | undefined {
  if (h > 23 || min > 59) return undefined;
  const local = new Date(day.getTime() + VN_OFFSET_MS);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), h, min) - VN_OFFSET_MS);
}

/** «Gửi cảnh báo»: the case, its alerts and the report commit with the official's update or not at all. */
async function recordAndReport(ctx: DialogContext<CaseStep, CaseDraft>): Promise<void> {
  const d = { ...draft(ctx) };
  ctx.end();
  ctx.reply({ text: ctx.t('officials:case_recording') });
  // A savepoint keeps a refused case (bad input) from aborting the update: the official still gets the report.
  let text: string;
  let buttons: Outbound['buttons'];
  try {
    const r = await ctx.tx.transaction((sp) => recordCase(sp, ctx.deps, caseInput(d), accountActor(ctx.account.id)));
    if (r.possibleMatches.length > 0) {
      buttons = r.possibleMatches.slice(0, 10).map((m) => [
        {
          label: ctx.t('officials:case_confirm_match_button', {
            name: m.fullName,
            year: m.birthYear,
            channel: m.channel,
          }),
          payload: F0M.data(r.id, m.personId.slice(0, 8)),
        },
      ]);
    }
    ctx.afterCommit(() => ctx.log.info({ caseId: r.id, alertsQueued: r.alertsQueued }, 'case recorded in chat'));
    text = [
      ctx.t(r.existing ? 'officials:case_updated' : 'officials:case_recorded', {
        windows: r.exposureWindows,
        contacts: r.contacts,
        alerts: r.alertsQueued,
        from: formatDateTime(r.infectiousFrom, ctx.locale),
      }),
      ...(r.personFound ? [] : [ctx.t('officials:case_person_unknown')]),
      ...possibleMatchLines(ctx, r),
    ].join('\n');
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw err;
    if (!(err instanceof AppError)) ctx.log.error({ err: scrub(err) }, 'case from chat failed');
    text = ctx.t('officials:case_failed');
  }
  // The report goes through the outbox (as before): the recording reply is already on its way.
  const key = `f0-report:${ctx.channel}:${ctx.inbound.messageId ?? randomUUID()}`;
  await enqueue(ctx.tx, [
    {
      channel: ctx.channel as ChannelName,
      accountId: ctx.account.id,
      kind: 'case_report',
      dedupeKey: key,
      messages: [{ text, ...(buttons ? { buttons } : {}) }],
      notBefore: new Date(0),
    },
  ]);
  ctx.afterCommit(() => ctx.deps.wakeOutbox?.());
}

/** `/f0 0912345678` starts with the phone filled in. */
export async function startCaseFlow(ctx: DialogContext, args: string): Promise<void> {
  const phone = args ? normalizeVietnamPhone(args) : undefined;
  if (phone) return ctx.go(caseFlow, 'kind', { phone });
  return ctx.go(caseFlow, 'phone', {});
}

/**
 * «Ghi nhận ca bệnh» from the follow-up list: /f0 for that resident, starting at the date question. Only for
 * those who may record cases; the person must exist (the follow-up already showed them to this official).
 */
export async function startCaseForPerson(ctx: DialogContext, personId: string): Promise<void> {
  if (!(await mayRecordCases(ctx))) {
    ctx.reply({ text: ctx.t('common:unknown_command') });
    return;
  }
  const person = /^[0-9a-f-]{36}$/i.test(personId)
    ? await ctx.tx.query.persons.findFirst({ where: eq(persons.id, personId) })
    : undefined;
  if (!person) {
    ctx.reply({ text: ctx.t('officials:case_failed') });
    return;
  }
  return ctx.go(caseFlow, 'kind', { personId: person.id, personLabel: `${person.fullName} (${person.birthYear})` });
}

/**
 * «Xác nhận: <name>» under the report: the official confirms that a person who typed the case's phone is the case;
 * they are linked and their contacts alerted (exposure/record.ts confirmCasePerson), in this update's transaction.
 */
export async function confirmMatchFromChat(ctx: DialogContext, rest: string): Promise<void> {
  if (!(await mayRecordCases(ctx))) {
    ctx.reply({ text: ctx.t('common:unknown_command') });
    return;
  }
  const m = /^([0-9a-f-]{36}):([0-9a-f]{8})$/i.exec(rest);
  const c = m ? await ctx.tx.query.cases.findFirst({ where: eq(cases.id, m[1]!) }) : undefined;
  const person = c?.phone
    ? (await ctx.tx.query.persons.findMany({ where: eq(persons.phone, c.phone) })).find((p) =>
        p.id.startsWith(m![2]!.toLowerCase()),
      )
    : undefined;
  if (!c || !person) {
    ctx.reply({ text: ctx.t('officials:case_failed') });
    return;
  }
  try {
    const r = await ctx.tx.transaction((sp) =>
      confirmCasePerson(sp, ctx.deps, c.id, person.id, accountActor(ctx.account.id)),
    );
    ctx.reply({
      text: ctx.t('officials:case_match_confirmed', {
        name: person.fullName,
        windows: r.exposureWindows,
        contacts: r.contacts,
        alerts: r.alertsQueued,
      }),
    });
    ctx.afterCommit(() => ctx.deps.wakeOutbox?.());
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw err;
    if (!(err instanceof AppError)) ctx.log.error({ err: scrub(err) }, 'case match confirmation failed');
    ctx.reply({ text: ctx.t('officials:case_failed') });
  }
}

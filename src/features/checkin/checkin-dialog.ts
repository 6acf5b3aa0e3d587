import { callbackData } from '../../core/callback-data.js';
import { defineFlow, inFlow, type DialogContext, type Feature, type StepInput } from '../../core/dialog.js';
import { formatDateTime, formatTime } from '../../core/i18n.js';
import type { Person, Venue } from '../../db/schema/index.js';
import { startDeclaration } from '../declaration/start.js';
import { accountPersons, hasValidDeclaration } from '../people/store.js';
import { normalizeVenueCode, parseTypedVenueCode } from '../venues/codes.js';
import { checkinStartParam } from '../venues/links.js';
import { venueByCode, venueById } from '../venues/store.js';
import { wardHotline } from '../wards/store.js';
import { entryAt, entryWith, recordRefusedEntry, recordWarnedEntry, type EntryDecision } from './entry.js';
import { currentStatusOfSelf, type SelfStatus } from '../pass/status.js';
import { HISTORY_DAYS } from './rules.js';
import { currentTrip, normalizeSeat, setSeat, transportSettings } from '../transport/store.js';
import { isTransportKind } from '../venues/kinds.js';
import {
  historyOfAccount,
  leaveVenue,
  lockSelfForCheckin,
  openVisitAt,
  openVisitOfSelfAt,
  personIdsOfAccount,
  recordCheckins,
  type SelfLocked,
} from './store.js';

const FLOW = 'checkin';
/** Payloads of the confirm step's buttons, all under one prefix so a press that outlived its step is recognised. */
const CONFIRM = callbackData('cf');
const P_TOGGLE = CONFIRM.data('t', '');
const P_OK = CONFIRM.data('ok');
const P_CANCEL = CONFIRM.data('no');
/** Global button: leave a venue (works any time after the check-in message). */
const LEAVE = callbackData('leave');
export const LEAVE_PREFIX = LEAVE.prefix;
/** Start parameter of a venue's poster link: `v_<code>`. */
const VENUE_START = callbackData('v', '_');

export const leaveButton = (t: DialogContext['t'], venueId: string) => ({
  label: t('checkin:btn_leave'),
  payload: LEAVE.data(venueId),
});

interface ConfirmData {
  venueId: string;
  selected: string[];
}
type ConfirmContext = DialogContext<'confirm', ConfirmData>;

/**
 * A check-in from a poster link or a typed code: find the venue, make sure the person has a valid declaration
 * (else declare first and come back here through `v_<code>`), then ask to confirm with family toggles.
 */
/**
 * This update's reads of a venue, of the account's persons (its own and family, one statement) and of the
 * decision at the door, once each: the deep link decides the door and then draws the confirm step, which needs
 * the same three.
 */
const venueOf = (ctx: DialogContext, id: string) => ctx.memo(`venue:${id}`, () => venueById(ctx.tx, id));
const personsOf = (ctx: DialogContext) => ctx.memo('persons', () => accountPersons(ctx.tx, ctx.account.id));
const selfOf = async (ctx: DialogContext) => (await personsOf(ctx)).self;
const familyOf = async (ctx: DialogContext) => (await personsOf(ctx)).family;
const entryOf = (ctx: DialogContext, person: Person, venue: Venue, now: Date) =>
  ctx.memo(`entry:${person.id}:${venue.id}`, () => entryAt(ctx.tx, person.id, venue, now, ctx.deps.config));

/**
 * What a check-in read about the account's own person with its first reads, before that person's id was known
 * (pass/status.ts `currentStatusOfSelf`, store.ts `lockSelfForCheckin`): used only for the person that
 * `accountPersons` gives as `self`, whose door decision at `venue` it then memoises for `entryOf`.
 */
function prefetchedEntry(ctx: DialogContext, self: Person, venue: Venue, prefetched: SelfStatus | undefined): boolean {
  if (prefetched?.personId !== self.id) return false;
  const entry = entryWith(prefetched.status, venue);
  void ctx.memo(`entry:${self.id}:${venue.id}`, () => Promise.resolve(entry));
  return true;
}

async function beginCheckin(ctx: DialogContext, raw: string): Promise<void> {
  const code = normalizeVenueCode(raw);
  const now = ctx.deps.clock.now();
  // Independent reads go together (one round trip on postgres.js): the venue, the account's persons and, for the
  // account's own person, the status and whether they are inside this venue already.
  const [venue, , selfStatus, selfOpen] = await Promise.all([
    code ? venueByCode(ctx.tx, code) : undefined,
    personsOf(ctx),
    code ? currentStatusOfSelf(ctx.tx, ctx.account.id, now, ctx.deps.config) : undefined,
    code ? openVisitOfSelfAt(ctx.tx, ctx.account.id, code) : undefined,
  ]);
  if (!venue) {
    ctx.reply({ text: ctx.t('checkin:unknown_venue', { code: raw.trim().slice(0, 12).toUpperCase() }) });
    return;
  }
  if (venue.closedAt) {
    ctx.reply({ text: ctx.t('checkin:closed_venue', { name: venue.name }) });
    return;
  }
  void ctx.memo(`venue:${venue.id}`, () => Promise.resolve(venue));
  const self = await selfOf(ctx);
  // Red is decided before the declaration: a confirmed case is refused, not asked to declare. Whether they are
  // inside already is read with it, though only an admitted person needs it.
  const [entry, open] = !self
    ? [undefined, undefined]
    : prefetchedEntry(ctx, self, venue, selfStatus)
      ? [await entryOf(ctx, self, venue, now), selfOpen]
      : await Promise.all([entryOf(ctx, self, venue, now), openVisitAt(ctx.tx, self.id, venue.id)]);
  if (self && entry?.verdict === 'refuse') return refuseSelf(ctx, self, venue, entry);
  if (!self || entry?.verdict === 'declare-first') {
    ctx.reply({ text: ctx.t('checkin:need_declaration', { name: venue.name }) });
    await startDeclaration(ctx, { resumeStart: checkinStartParam(venue.code) });
    return;
  }
  // On a vehicle, an open visit of another trip (or of no trip) is not this journey: confirm as a new check-in.
  const trip = isTransportKind(venue.kind)
    ? await currentTrip(ctx.tx, venue.id, now, transportSettings(ctx.deps.config).boardingMinutes)
    : undefined;
  if (open && (open.tripId ?? undefined) === trip?.id) {
    if (ctx.state.flow === FLOW) ctx.end();
    ctx.reply({
      text: ctx.t('checkin:already', { name: venue.name, time: formatDateTime(open.enteredAt, ctx.locale) }),
      buttons: [[leaveButton(ctx.t, venue.id)]],
    });
    return;
  }
  await ctx.go(confirmFlow, 'confirm', { venueId: venue.id, selected: [] });
}

/** The reasons of a yellow pass in the holder's words (they are the holder's own: shown to them, never on a page). */
function yellowReasons(
  ctx: DialogContext,
  entry: EntryDecision & { current: { reasons: string[]; exposureUntil?: Date } },
): string {
  const until = entry.current.exposureUntil ? formatDateTime(entry.current.exposureUntil, ctx.locale) : '';
  return entry.current.reasons
    .filter((r) => r === 'symptoms' || r === 'contact-declared' || r === 'exposure')
    .map((r) => ctx.t(`pass:reason_${r}`, { until, hours: ctx.deps.config.passValidHours }))
    .join('; ');
}

/**
 * A refused self check-in: a short, kind explanation, no visit, the ending of any confirm step; for a red pass
 * the health officials are told through the outbox, and every refusal is audited (entry.ts).
 */
async function refuseSelf(
  ctx: DialogContext,
  self: Person,
  venue: Venue,
  entry: Awaited<ReturnType<typeof entryAt>>,
): Promise<void> {
  if (ctx.state.flow === FLOW) ctx.end();
  // The resident's ward health station, else the city hotline.
  const hotline = await wardHotline(ctx.tx, self.wardCode, ctx.deps.config.hotline);
  const queued = await recordRefusedEntry(ctx.tx, {
    person: self,
    venue,
    decision: entry,
    source: 'self',
    actorAccountId: ctx.account.id,
    now: ctx.deps.clock.now(),
  });
  if (queued > 0) ctx.afterCommit(() => ctx.deps.wakeOutbox());
  ctx.log.info({ venueId: venue.id, status: entry.status, officialsNotified: queued }, 'self check-in refused');
  ctx.reply({
    text:
      entry.status === 'red'
        ? ctx.t('checkin:refused_red', { name: venue.name, hotline })
        : ctx.t('checkin:refused_yellow', { name: venue.name, hotline, reasons: yellowReasons(ctx, entry) }),
  });
}

async function askConfirm(ctx: ConfirmContext): Promise<void> {
  const data = ctx.data;
  const venue = await venueOf(ctx, data.venueId);
  if (!venue) {
    ctx.end();
    ctx.reply({ text: ctx.t('venues:venue_gone') });
    return;
  }
  const family = await familyOf(ctx);
  const lines = [ctx.t('checkin:confirm', { name: venue.name, kind: ctx.t(`venues:kind.${venue.kind}`) })];
  const self = await selfOf(ctx);
  const entry = self ? await entryOf(ctx, self, venue, ctx.deps.clock.now()) : undefined;
  if (entry?.verdict === 'warn')
    lines.push(ctx.t('checkin:warn_yellow', { name: venue.name, reasons: yellowReasons(ctx, entry) }));
  if (family.length > 0) lines.push(ctx.t('checkin:confirm_family'));
  const buttons = family.map((p) => [
    {
      label: ctx.t(data.selected.includes(p.id) ? 'checkin:toggle_on' : 'checkin:toggle_off', { name: p.fullName }),
      payload: `${P_TOGGLE}${p.id}`,
    },
  ]);
  buttons.push([
    { label: ctx.t('checkin:btn_confirm'), payload: P_OK },
    { label: ctx.t('checkin:btn_cancel'), payload: P_CANCEL },
  ]);
  ctx.reply({ text: lines.join('\n'), buttons });
}

const YES = /^(c[oó]|ok|okay|yes|y|[đd]ồng ý|dong y|x[aá]c nh[aậ]n|xac nhan)$/i;
const NO = /^(kh[oô]ng|khong|ko|k|no|n|hu[yỷ]|huy|cancel)$/i;

async function handleConfirm(ctx: ConfirmContext, input: StepInput): Promise<void> {
  const data = ctx.data;
  let action: 'ok' | 'cancel' | 'toggle' | undefined;
  let toggleId: string | undefined;
  if (input.kind === 'button') {
    if (input.payload === P_OK) action = 'ok';
    else if (input.payload === P_CANCEL) action = 'cancel';
    else if (input.payload.startsWith(P_TOGGLE)) {
      action = 'toggle';
      toggleId = input.payload.slice(P_TOGGLE.length);
    }
  } else if (input.kind === 'text') {
    // Another venue code typed while this one waits: start over with that one.
    const typed = parseTypedVenueCode(input.text);
    if (typed && (await venueByCode(ctx.tx, typed.code))) return beginCheckin(ctx, typed.code);
    if (YES.test(input.text.trim())) action = 'ok';
    else if (NO.test(input.text.trim())) action = 'cancel';
  }
  // The venue and the account's persons (every answer but «cancel» needs them) in one round trip; with a
  // confirmation also the own person's status and, alone, their check-in lock and visits (completeCheckin).
  const now = ctx.deps.clock.now();
  const [venue, , selfStatus, selfLocked] = await Promise.all([
    venueOf(ctx, data.venueId),
    personsOf(ctx),
    action === 'ok' ? currentStatusOfSelf(ctx.tx, ctx.account.id, now, ctx.deps.config) : undefined,
    action === 'ok' && data.selected.length === 0 ? lockSelfForCheckin(ctx.tx, ctx.account.id, now) : undefined,
  ]);
  if (!venue) {
    ctx.end();
    ctx.reply({ text: ctx.t('venues:venue_gone') });
    return;
  }
  if (action === 'cancel') {
    ctx.end();
    ctx.reply({ text: ctx.t('checkin:cancelled', { name: venue.name }) });
    return;
  }
  if (action === 'toggle') {
    const family = await familyOf(ctx);
    if (family.some((p) => p.id === toggleId)) {
      data.selected = data.selected.includes(toggleId!)
        ? data.selected.filter((x) => x !== toggleId)
        : [...data.selected, toggleId!];
    }
    return ctx.goto('confirm');
  }
  if (action === 'ok') return completeCheckin(ctx, venue, data.selected, { now, selfStatus, selfLocked });
  ctx.reply({ text: ctx.t('checkin:step_hint') });
  return ctx.goto('confirm');
}

/** What handleConfirm read for completeCheckin with its first reads, at `now`. */
interface ConfirmPrefetch {
  now: Date;
  selfStatus?: SelfStatus;
  selfLocked?: SelfLocked;
}

async function completeCheckin(
  ctx: DialogContext,
  venue: Venue,
  selected: string[],
  prefetch: ConfirmPrefetch,
): Promise<void> {
  ctx.end();
  if (venue.closedAt) {
    ctx.reply({ text: ctx.t('checkin:closed_venue', { name: venue.name }) });
    return;
  }
  const now = prefetch.now;
  const self = await selfOf(ctx);
  if (!self) return beginCheckin(ctx, venue.code); // their data was deleted meanwhile: declare again
  // Decided again at the moment of recording: a case recorded while the confirm step waited still counts. Alone
  // (the common case), the person's check-in lock and visits went with the first reads; otherwise (with family)
  // recordCheckins takes the locks itself, in id order.
  prefetchedEntry(ctx, self, venue, prefetch.selfStatus);
  const selfVisits =
    selected.length === 0 && prefetch.selfLocked?.personId === self.id ? prefetch.selfLocked.visits : undefined;
  const selfEntry = await entryOf(ctx, self, venue, now);
  if (selfEntry.verdict === 'refuse') return refuseSelf(ctx, self, venue, selfEntry);
  if (selfEntry.verdict === 'declare-first') return beginCheckin(ctx, venue.code);
  const chosen = (await familyOf(ctx)).filter((p) => selected.includes(p.id));
  // Family members meet the same door: red and (by policy) yellow are not recorded. Without a fresh declaration
  // they are still recorded, with a reminder below, as before.
  const family: Person[] = [];
  const refusedRed: string[] = [];
  const refusedYellow: string[] = [];
  const warned: string[] = [];
  const warnedDecisions = new Map<string, EntryDecision>();
  let notices = 0;
  for (const p of chosen) {
    const e = await entryAt(ctx.tx, p.id, venue, now, ctx.deps.config);
    if (e.verdict === 'refuse') {
      (e.status === 'red' ? refusedRed : refusedYellow).push(p.fullName);
      notices += await recordRefusedEntry(ctx.tx, {
        person: p,
        venue,
        decision: e,
        source: 'self',
        actorAccountId: ctx.account.id,
        now,
      });
      continue;
    }
    if (e.verdict === 'warn') {
      warned.push(p.fullName);
      warnedDecisions.set(p.id, e);
    }
    family.push(p);
  }
  if (notices > 0) ctx.afterCommit(() => ctx.deps.wakeOutbox());
  const outcomes = await recordCheckins(ctx.tx, {
    venueId: venue.id,
    personIds: [self.id, ...family.map((p) => p.id)],
    accountId: ctx.account.id,
    source: 'poster',
    channel: ctx.channel,
    now,
    boardingMinutes: transportSettings(ctx.deps.config).boardingMinutes,
    venueKind: venue.kind,
    locked: selfVisits ? new Map([[self.id, selfVisits]]) : undefined,
  });
  const bySelf = outcomes.find((o) => o.personId === self.id)!;
  if (selfEntry.verdict === 'warn') warnedDecisions.set(self.id, selfEntry);
  // Entries admitted with a warning are written down once per new visit (the owner's count, the audit trail).
  for (const o of outcomes) {
    const decision = warnedDecisions.get(o.personId);
    if (decision && o.status === 'created') {
      await recordWarnedEntry(ctx.tx, {
        personId: o.personId,
        venue,
        decision,
        source: 'self',
        actorAccountId: ctx.account.id,
        now,
      });
    }
  }
  const nameOf = (id: string) => family.find((p) => p.id === id)?.fullName ?? '';
  const famCreated = outcomes
    .filter((o) => o.personId !== self.id && o.status === 'created')
    .map((o) => nameOf(o.personId));
  const famAlready = outcomes
    .filter((o) => o.personId !== self.id && o.status === 'already')
    .map((o) => nameOf(o.personId));
  const lines: string[] = [];
  if (bySelf.movedOnFromVenueId) {
    const prev = await venueById(ctx.tx, bySelf.movedOnFromVenueId);
    if (prev) lines.push(ctx.t('checkin:moved_on', { venue: prev.name }));
  }
  const time = formatDateTime(now, ctx.locale);
  if (bySelf.status === 'created') {
    lines.push(
      famCreated.length > 0
        ? ctx.t('checkin:done_family', { name: venue.name, time, names: famCreated.join(', ') })
        : ctx.t('checkin:done_self', { name: venue.name, time }),
    );
  } else {
    lines.push(
      ctx.t('checkin:already', { name: venue.name, time: formatDateTime(bySelf.visit.enteredAt, ctx.locale) }),
    );
    if (famCreated.length > 0) lines.push(ctx.t('checkin:done_others', { names: famCreated.join(', '), time }));
  }
  if (famAlready.length > 0) lines.push(ctx.t('checkin:already_family', { names: famAlready.join(', ') }));
  const undeclared: string[] = [];
  for (const p of family) {
    if (!(await hasValidDeclaration(ctx.tx, p.id, now, ctx.deps.config.passValidHours))) undeclared.push(p.fullName);
  }
  if (undeclared.length > 0) {
    lines.push(
      ctx.t('checkin:family_not_declared', { names: undeclared.join(', '), hours: ctx.deps.config.passValidHours }),
    );
  }
  if (selfEntry.verdict === 'warn')
    lines.push(ctx.t('checkin:warn_yellow', { name: venue.name, reasons: yellowReasons(ctx, selfEntry) }));
  if (warned.length > 0)
    lines.push(ctx.t('checkin:family_warn_yellow', { names: warned.join(', '), name: venue.name }));
  if (refusedRed.length > 0)
    lines.push(ctx.t('checkin:family_refused_red', { names: refusedRed.join(', '), hotline: ctx.deps.config.hotline }));
  if (refusedYellow.length > 0)
    lines.push(ctx.t('checkin:family_refused_yellow', { names: refusedYellow.join(', '), name: venue.name }));
  if (bySelf.trip) {
    lines.push(
      ctx.t('transport:on_trip', {
        departs: formatDateTime(bySelf.trip.departsAt, ctx.locale),
        arrives: formatDateTime(bySelf.trip.arrivesAt, ctx.locale),
      }),
    );
  }
  lines.push(ctx.t('checkin:leave_hint'));
  ctx.reply({ text: lines.join('\n'), buttons: [[leaveButton(ctx.t, venue.id)]] });
  // On a vehicle's trip: the seat, if they want to give it (skippable), for the seat-row contact rule.
  if (bySelf.trip && !bySelf.visit.seat) await ctx.go(seatFlow, 'seat', { visitId: bySelf.visit.id });
}

/** «Bỏ qua» on the seat question; a press after the step is answered as done. */
const SEAT = callbackData('seat');
const P_SEAT_SKIP = SEAT.data('skip');
const SKIP = /^(b[oỏ] qua|bo qua|skip|kh[oô]ng|khong|no|-)$/i;

const seatFlow = defineFlow<{ visitId: string }>()(
  'seat',
  {
    seat: {
      ask: async (ctx) =>
        ctx.reply({
          text: ctx.t('transport:ask_seat'),
          buttons: [[{ label: ctx.t('transport:btn_skip_seat'), payload: P_SEAT_SKIP }]],
        }),
      handle: async (ctx, input) => {
        if (
          (input.kind === 'button' && input.payload === P_SEAT_SKIP) ||
          (input.kind === 'text' && SKIP.test(input.text.trim()))
        ) {
          ctx.end();
          ctx.reply({ text: ctx.t('transport:seat_skipped') });
          return;
        }
        if (input.kind === 'text') {
          // A venue code typed instead: check in there (another vehicle, a shop at the station).
          const typed = parseTypedVenueCode(input.text);
          if (typed && (await venueByCode(ctx.tx, typed.code))) {
            ctx.end();
            return beginCheckin(ctx, typed.code);
          }
          const seat = normalizeSeat(input.text);
          if (seat) {
            const visitId = ctx.data.visitId;
            ctx.end();
            await setSeat(ctx.tx, visitId, seat);
            ctx.reply({ text: ctx.t('transport:seat_saved', { seat }) });
            return;
          }
        }
        ctx.reply({ text: ctx.t('transport:bad_seat') });
        return ctx.goto('seat');
      },
    },
  },
  [SEAT],
);

async function seatPress(ctx: DialogContext, rest: string): Promise<void> {
  if (inFlow(ctx, seatFlow) && ctx.state.step === 'seat')
    return seatFlow.steps.seat.handle(ctx, { kind: 'button', payload: SEAT.data(rest) });
  ctx.reply({ text: ctx.t('transport:seat_skipped') });
}

async function leave(ctx: DialogContext, venueId: string): Promise<void> {
  const venue = await venueById(ctx.tx, venueId);
  if (!venue) {
    ctx.reply({ text: ctx.t('venues:venue_gone') });
    return;
  }
  const now = ctx.deps.clock.now();
  const n = await leaveVenue(ctx.tx, await personIdsOfAccount(ctx.tx, ctx.account.id), venue.id, now);
  ctx.reply({
    text:
      n > 0
        ? ctx.t('checkin:left', { name: venue.name, time: formatDateTime(now, ctx.locale) })
        : ctx.t('checkin:not_inside', { name: venue.name }),
  });
}

function sameDay(a: Date, b: Date): boolean {
  return formatDateTime(a).slice(6) === formatDateTime(b).slice(6);
}

async function showHistory(ctx: DialogContext): Promise<void> {
  const now = ctx.deps.clock.now();
  const since = new Date(now.getTime() - HISTORY_DAYS * 86_400_000);
  const rows = await historyOfAccount(ctx.tx, ctx.account.id, since);
  if (rows.length === 0) {
    ctx.reply({ text: ctx.t('checkin:history_empty', { days: HISTORY_DAYS }) });
    return;
  }
  const lines = [ctx.t('checkin:history_title', { days: HISTORY_DAYS })];
  for (const r of rows) {
    const to = r.exitedAt
      ? sameDay(r.enteredAt, r.exitedAt)
        ? formatTime(r.exitedAt)
        : formatDateTime(r.exitedAt, ctx.locale)
      : ctx.t('checkin:history_inside');
    let line = ctx.t('checkin:history_line', { from: formatDateTime(r.enteredAt, ctx.locale), to, venue: r.venueName });
    if (r.exitReason === 'auto') line += ctx.t('checkin:history_auto');
    if (!r.isSelf) line += ctx.t('checkin:history_family', { name: r.personName });
    lines.push(line);
  }
  ctx.reply({ text: lines.join('\n') });
}

/**
 * A confirm-step button. In the step it is the step's answer; after the step (a double tap, Telegram delivering
 * a second press before the keyboard was taken away, an old confirm scrolled back to) it is said to be done
 * already — not the runner's command menu, which reads as if the check-in failed.
 */
async function confirmPress(ctx: DialogContext, rest: string): Promise<void> {
  if (inFlow(ctx, confirmFlow) && ctx.state.step === 'confirm')
    return handleConfirm(ctx, { kind: 'button', payload: CONFIRM.data(rest) });
  ctx.reply({ text: ctx.t('checkin:confirm_stale') });
}

const confirmFlow = defineFlow<ConfirmData>()(FLOW, { confirm: { ask: askConfirm, handle: handleConfirm } }, [CONFIRM]);

export function checkinFeature(): Feature {
  return {
    name: 'checkin',
    commands: [{ names: ['lichsu', 'history'], descriptionKey: 'checkin:history_description', run: showHistory }],
    startHandlers: [{ prefix: VENUE_START.prefix, run: beginCheckin }],
    buttonHandlers: [
      { prefix: LEAVE.prefix, run: leave },
      { prefix: CONFIRM.prefix, run: confirmPress },
      { prefix: SEAT.prefix, run: seatPress },
    ],
    flows: [confirmFlow, seatFlow],
    async onIdleText(ctx, text) {
      const typed = parseTypedVenueCode(text);
      if (!typed) return false;
      // A plain word that happens to be six code letters ("thanks") goes on to the menu; anything that looks like a code gets an answer.
      if (!typed.looksLikeCode && !(await venueByCode(ctx.tx, typed.code))) return false;
      await beginCheckin(ctx, typed.code);
      return true;
    },
  };
}

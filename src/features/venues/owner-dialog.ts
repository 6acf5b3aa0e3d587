import { callbackData } from '../../core/callback-data.js';
import { defineFlow, type DialogContext, type Feature, type Flow, type StepInput } from '../../core/dialog.js';
import { AppError } from '../../core/errors.js';
import { formatDateTime, formatTime, TIME_ZONE } from '../../core/i18n.js';
import type { Button } from '../../core/messages.js';
import type { Venue } from '../../db/schema/index.js';
import { createStaffLoginLink, STAFF_LOGIN_MINUTES, STAFF_SESSION_HOURS } from './staff-login.js';
import {
  defaultStayFor,
  isTransportKind,
  ENTRY_POLICIES,
  entryPolicyOf,
  isEntryPolicy,
  LONGEST_STAY_MINUTES,
  MAX_STAY_MINUTES,
  MIN_STAY_MINUTES,
  VENUE_KINDS,
  type VenueKind,
} from './kinds.js';
import { maskName } from '../pass/verify-page.js';
import { accountActor, recordAudit } from '../../audit/audit-log.js';
import { posterContent, posterPng } from './poster.js';
import { posterPdfLink, VISITS_CSV_LINK_MINUTES, visitsCsvLink, visitsKeptDays } from './routes.js';
import { findWards, wardByCode, wardSearchName } from '../wards/store.js';
import { formatClaimCode, normalizeClaimCode } from './codes.js';
import {
  acceptStaffInvite,
  claimVenue,
  createStaffInvite,
  createVenue,
  MAX_ADDRESS_LENGTH,
  MAX_NAME_LENGTH,
  setEntryPolicy,
  setVenueClosed,
  STAFF_INVITE_HOURS,
  staffRole,
  venueById,
  venuesOfAccount,
  doorCounts,
  visitCounts,
  visitsAtVenue,
} from './store.js';
import { parseStayMinutes } from './stay-parsing.js';

const REGISTER = 'venue_register';
const DAY = 'venue_day';
const CLAIM = 'venue_claim';
/** Global buttons of the venue menu: `vn:<action>[:<venueId>]`. */
const MENU = callbackData('vn');
/** Staff invite start parameter `s_<code>` and typed `NV <code>`. */
const INVITE = callbackData('s', '_');
/** The registration steps' buttons: kind `vk:`, ward `vw:`, address `va:`, stay `vs:`. */
const KIND = callbackData('vk');
const WARD = callbackData('vw');
const ADDRESS = callbackData('va');
const STAY = callbackData('vs');
/** «Bỏ qua» on a vehicle's plate question. */
const PLATE = callbackData('vp');

interface RegisterData {
  name?: string;
  kind?: VenueKind;
  wardCode?: string;
  address?: string | null;
  /** vehicles: plate (or flight number, boat name) and route */
  plate?: string | null;
  route?: string | null;
}
interface DayData {
  venueId: string;
}
type ClaimData = Record<string, never>;
const MAX_VISIT_LINES = 40;

const btn = (label: string, payload: string): Button => ({ label, payload });

/** "Phường An Khánh" / "an khanh" → "an khanh": the form wards.search_name is kept in. */
export const wardSearchText = wardSearchName;

/** Vietnam-time calendar day of `now`, or of a typed "25/11", "25/11/2026", "hôm nay", "hôm qua". */
export function parseDay(text: string, now: Date): { from: Date; to: Date; label: string } | undefined {
  const ymd = (d: Date) => {
    const p = new Intl.DateTimeFormat('en-CA', {
      timeZone: TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(d);
    const [y, mo, da] = p.split('-').map(Number);
    return { y: y!, m: mo!, d: da! };
  };
  const today = ymd(now);
  const s = text.trim().toLowerCase();
  let y = today.y;
  let m = today.m;
  let d = today.d;
  if (/^(hôm nay|hom nay|today)$/.test(s)) {
    // today as is
  } else if (/^(hôm qua|hom qua|yesterday)$/.test(s)) {
    const t = ymd(new Date(now.getTime() - 86_400_000));
    ({ y, m, d } = t);
  } else {
    const r = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$/.exec(s);
    if (!r) return undefined;
    d = Number(r[1]);
    m = Number(r[2]);
    if (r[3]) y = r[3].length === 2 ? 2000 + Number(r[3]) : Number(r[3]);
    else if (m > today.m || (m === today.m && d > today.d)) y = today.y - 1; // "25/12" typed in January
  }
  // Vietnam has no daylight saving: a day there starts at 17:00 UTC the day before.
  const from = new Date(Date.UTC(y, m - 1, d) - 7 * 3_600_000);
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return undefined;
  const label = `${String(d).padStart(2, '0')}/${String(m).padStart(2, '0')}/${y}`;
  return { from, to: new Date(from.getTime() + 86_400_000), label };
}

function stayLabel(ctx: DialogContext, minutes: number): string {
  if (minutes % 60 === 0) return ctx.locale === 'en' ? `${minutes / 60} h` : `${minutes / 60} giờ`;
  return ctx.locale === 'en' ? `${minutes} min` : `${minutes} phút`;
}

async function showMenu(ctx: DialogContext): Promise<void> {
  const list = await venuesOfAccount(ctx.tx, ctx.account.id);
  const buttons: Button[][] = list.slice(0, 20).map((v) => [btn(v.name, MENU.data('open', v.id))]);
  buttons.push([btn(ctx.t('venues:btn_register'), MENU.data('new'))]);
  buttons.push([btn(ctx.t('venues:btn_claim'), MENU.data('claim'))]);
  if (list.length === 0) {
    ctx.reply({ text: ctx.t('venues:menu_none'), buttons });
    return;
  }
  const lines = [ctx.t('venues:menu_list')];
  for (const v of list) {
    lines.push(
      ctx.t('venues:menu_line', { name: v.name, code: v.code, closed: v.closedAt ? ctx.t('venues:closed_mark') : '' }),
    );
  }
  ctx.reply({ text: lines.join('\n'), buttons });
}

async function showCard(ctx: DialogContext, venue: Venue, role: string): Promise<void> {
  const now = ctx.deps.clock.now();
  const day = parseDay('hom nay', now)!;
  const count = (await visitCounts(ctx.tx, [venue.id], day.from, day.to)).get(venue.id) ?? 0;
  let text = ctx.t('venues:card', {
    name: venue.name,
    code: venue.code,
    kind: ctx.t(`venues:kind.${venue.kind}`),
    address: venue.address ?? ctx.t('venues:no_address'),
    count,
  });
  if (role === 'owner') text += `\n${ctx.t('venues:card_door', await doorCounts(ctx.tx, venue.id, day.from, day.to))}`;
  text += `\n${ctx.t('venues:card_policy', { policy: policyLabel(ctx, venue) })}`;
  if (venue.closedAt) text += `\n${ctx.t('venues:card_closed')}`;
  const buttons: Button[][] = [
    [
      btn(ctx.t('venues:btn_poster'), MENU.data('poster', venue.id)),
      btn(ctx.t('venues:btn_scan'), MENU.data('scan', venue.id)),
    ],
  ];
  if (role === 'owner') {
    buttons.push([
      btn(ctx.t('venues:btn_today'), MENU.data('today', venue.id)),
      btn(ctx.t('venues:btn_day'), MENU.data('day', venue.id)),
    ]);
    buttons.push([
      btn(ctx.t('venues:btn_policy'), MENU.data('policy', venue.id)),
      btn(ctx.t('venues:btn_csv'), MENU.data('csv', venue.id)),
    ]);
    buttons.push([
      btn(ctx.t('venues:btn_invite'), MENU.data('invite', venue.id)),
      venue.closedAt
        ? btn(ctx.t('venues:btn_reopen'), MENU.data('reopen', venue.id))
        : btn(ctx.t('venues:btn_close'), MENU.data('close', venue.id)),
    ]);
  }
  ctx.reply({ text, buttons });
}

/** "cho vào kèm cảnh báo (mặc định theo loại địa điểm)": the venue's yellow-pass policy in words. */
function policyLabel(ctx: DialogContext, venue: Venue): string {
  return (
    ctx.t(`venues:policy.${entryPolicyOf(venue)}`) +
    (venue.entryPolicy === null ? ctx.t('venues:policy_default_mark') : '')
  );
}

/** The owner's choice of what the door does with a yellow pass: `vn:policy:<venueId>` asks, `…:<policy>` sets. */
async function entryPolicyButton(ctx: DialogContext, venue: Venue, choice: string | undefined): Promise<void> {
  if (!isEntryPolicy(choice)) {
    ctx.reply({
      text: ctx.t('venues:policy_ask', { name: venue.name, policy: policyLabel(ctx, venue) }),
      buttons: ENTRY_POLICIES.map((p) => [btn(ctx.t(`venues:policy_btn.${p}`), MENU.data('policy', venue.id, p))]),
    });
    return;
  }
  const updated = (await setEntryPolicy(ctx.tx, venue.id, choice))!;
  await recordAudit(ctx.tx, {
    actor: accountActor(ctx.account.id),
    action: 'venue.entry_policy.set',
    subjectType: 'venue',
    subjectId: venue.id,
    details: { from: venue.entryPolicy, to: choice, via: 'chat' },
    at: ctx.deps.clock.now(),
  });
  ctx.reply({ text: ctx.t('venues:policy_set', { name: venue.name, policy: ctx.t(`venues:policy.${choice}`) }) });
  await showCard(ctx, updated, 'owner');
}

async function sendPoster(ctx: DialogContext, venue: Venue): Promise<void> {
  const png = posterPng(posterContent(ctx.deps, venue));
  ctx.reply({
    text: ctx.t('venues:poster_caption', { name: venue.name, code: venue.code }),
    image: { png, filename: `poster-${venue.code}.png` },
    link: { label: ctx.t('venues:btn_pdf'), url: posterPdfLink(ctx.deps, venue.id, ctx.deps.clock.now()) },
  });
}

async function listVisits(
  ctx: DialogContext,
  venue: Venue,
  day: { from: Date; to: Date; label: string },
): Promise<void> {
  const rows = await visitsAtVenue(ctx.tx, venue.id, day.from, day.to, LONGEST_STAY_MINUTES, 1000);
  if (rows.length === 0) {
    ctx.reply({ text: ctx.t('venues:visits_none', { name: venue.name, date: day.label }) });
    return;
  }
  const lines = [ctx.t('venues:visits_title', { name: venue.name, date: day.label, count: rows.length })];
  for (const r of rows.slice(0, MAX_VISIT_LINES)) {
    const from = r.enteredAt < day.from ? formatDateTime(r.enteredAt, ctx.locale) : formatTime(r.enteredAt);
    const to = r.exitedAt ? formatTime(r.exitedAt) : ctx.t('venues:visits_inside');
    lines.push(ctx.t('venues:visits_line', { from, to, person: `${maskName(r.fullName)} (${r.birthYear})` }));
  }
  if (rows.length > MAX_VISIT_LINES) lines.push(ctx.t('venues:visits_more', { count: rows.length - MAX_VISIT_LINES }));
  ctx.reply({ text: lines.join('\n') });
}

/** `vn:<action>[:<venueId>]` buttons: every action re-checks the account's role at the venue. */
async function onMenuButton(ctx: DialogContext, rest: string): Promise<void> {
  const [action, id = '', choice] = rest.split(':');
  if (action === 'new') return ctx.go(registerFlow, 'name', {});
  if (action === 'claim') return ctx.go(claimFlow, 'code', {});
  const venue = await venueById(ctx.tx, id);
  if (!venue) {
    ctx.reply({ text: ctx.t('venues:venue_gone') });
    return;
  }
  const role = await staffRole(ctx.tx, venue.id, ctx.account.id);
  if (!role) {
    ctx.reply({ text: ctx.t('venues:not_yours') });
    return;
  }
  const now = ctx.deps.clock.now();
  switch (action) {
    case 'open':
      return showCard(ctx, venue, role);
    case 'poster':
      return sendPoster(ctx, venue);
    case 'scan': {
      const url = await createStaffLoginLink(ctx.tx, ctx.deps, venue.id, ctx.account.id, now);
      ctx.reply({
        text: ctx.t('venues:scan_link', { name: venue.name, minutes: STAFF_LOGIN_MINUTES, hours: STAFF_SESSION_HOURS }),
        link: { label: ctx.t('venues:btn_scan_open'), url },
      });
      return;
    }
  }
  if (role !== 'owner') {
    ctx.reply({ text: ctx.t('venues:owner_only') });
    return;
  }
  switch (action) {
    case 'invite': {
      const code = await createStaffInvite(ctx.tx, venue.id, ctx.account.id, now);
      const url = ctx.deps.links.telegramStart(INVITE.data(code));
      ctx.reply({
        text: url
          ? ctx.t('venues:invite_telegram', { name: venue.name, url, hours: STAFF_INVITE_HOURS })
          : ctx.t('venues:invite_code', { name: venue.name, code, hours: STAFF_INVITE_HOURS }),
      });
      return;
    }
    case 'policy':
      return entryPolicyButton(ctx, venue, choice);
    case 'today':
      return listVisits(ctx, venue, parseDay('hom nay', now)!);
    case 'day':
      return ctx.go(dayFlow, 'date', { venueId: venue.id });
    case 'csv':
      // A link, on every channel: the chat channels send images but not files (Outbound has no document).
      ctx.reply({
        text: ctx.t('venues:csv_link', {
          name: venue.name,
          days: visitsKeptDays(ctx.deps),
          minutes: VISITS_CSV_LINK_MINUTES,
        }),
        link: { label: ctx.t('venues:btn_csv_download'), url: visitsCsvLink(ctx.deps, venue.id, ctx.account.id, now) },
      });
      return;
    case 'close':
      await setVenueClosed(ctx.tx, venue.id, now);
      ctx.reply({
        text: ctx.t('venues:closed_done', { name: venue.name }),
        buttons: [[btn(ctx.t('venues:btn_reopen'), MENU.data('reopen', venue.id))]],
      });
      return;
    case 'reopen':
      await setVenueClosed(ctx.tx, venue.id, null);
      ctx.reply({ text: ctx.t('venues:reopened', { name: venue.name }) });
      return;
  }
  return showMenu(ctx);
}

async function acceptInvite(ctx: DialogContext, code: string): Promise<void> {
  const r = await acceptStaffInvite(ctx.tx, code, ctx.account.id, ctx.deps.clock.now());
  if (r.ok) {
    ctx.reply({ text: ctx.t(r.alreadyStaff ? 'venues:staff_already' : 'venues:staff_joined', { name: r.venue.name }) });
    return;
  }
  ctx.reply({
    text: ctx.t(
      r.reason === 'used'
        ? 'venues:invite_used'
        : r.reason === 'expired'
          ? 'venues:invite_expired'
          : 'venues:invite_invalid',
    ),
  });
}

const textOf = (input: StepInput) => (input.kind === 'text' ? input.text.trim() : undefined);
const payloadOf = (input: StepInput) => (input.kind === 'button' ? input.payload : undefined);

const registerFlow: Flow<'name' | 'kind' | 'plate' | 'ward' | 'address' | 'stay', RegisterData> =
  defineFlow<RegisterData>()(
    REGISTER,
    {
      name: {
        ask: async (ctx) => ctx.reply({ text: ctx.t('venues:ask_name') }),
        handle: async (ctx, input) => {
          const name = textOf(input)?.replace(/\s+/g, ' ');
          if (!name || name.length < 2 || name.length > MAX_NAME_LENGTH) {
            ctx.reply({ text: ctx.t('venues:bad_name', { max: MAX_NAME_LENGTH }) });
            return ctx.goto('name');
          }
          ctx.data.name = name;
          return ctx.goto('kind');
        },
      },
      kind: {
        ask: async (ctx) => {
          const kinds = VENUE_KINDS.map((k) => btn(ctx.t(`venues:kind.${k.id}`), KIND.data(k.id)));
          const rows: Button[][] = [];
          for (let i = 0; i < kinds.length; i += 2) rows.push(kinds.slice(i, i + 2));
          ctx.reply({ text: ctx.t('venues:ask_kind'), buttons: rows });
        },
        handle: async (ctx, input) => {
          const p = payloadOf(input);
          const kind = p === undefined ? undefined : KIND.rest(p);
          const known = VENUE_KINDS.find((k) => k.id === kind);
          if (!known) {
            ctx.reply({ text: ctx.t('venues:pick_kind') });
            return ctx.goto('kind');
          }
          ctx.data.kind = known.id;
          if (isTransportKind(known.id)) return ctx.goto('plate');
          return ctx.goto(await afterKind(ctx));
        },
      },
      plate: {
        ask: async (ctx) =>
          ctx.reply({ text: ctx.t('venues:ask_plate'), buttons: [[btn(ctx.t('venues:btn_skip'), PLATE.data('-'))]] }),
        handle: async (ctx, input) => {
          if (payloadOf(input) !== PLATE.data('-')) {
            const plate = textOf(input)?.replace(/\s+/g, ' ');
            if (!plate || plate.length > 40) {
              ctx.reply({ text: ctx.t('venues:bad_plate', { max: 40 }) });
              return ctx.goto('plate');
            }
            ctx.data.plate = plate;
          }
          return ctx.goto(await afterKind(ctx));
        },
      },
      ward: {
        ask: async (ctx) =>
          ctx.reply({ text: ctx.t('venues:ask_ward'), buttons: [[btn(ctx.t('venues:btn_skip'), WARD.data('-'))]] }),
        handle: async (ctx, input) => {
          const p = payloadOf(input);
          const code = p === undefined ? undefined : WARD.rest(p);
          if (code !== undefined) {
            if (code !== '-') {
              const w = await wardByCode(ctx.tx, code);
              if (!w) return ctx.goto('ward');
              ctx.data.wardCode = w.code;
            }
            return ctx.goto('address');
          }
          const typed = textOf(input);
          if (!typed) return ctx.goto('ward');
          // The wards feature's search, as in the declaration: names with or without diacritics, a district narrows.
          const { wards: found } = await findWards(ctx.tx, typed.slice(0, 100));
          const q = wardSearchText(typed);
          const exact = found.filter((w) => w.searchName === q);
          const pick = exact.length === 1 ? exact : found;
          if (pick.length === 1) {
            ctx.data.wardCode = pick[0]!.code;
            return ctx.goto('address');
          }
          if (pick.length === 0) {
            ctx.reply({
              text: ctx.t('venues:ward_none', { query: typed.slice(0, 40) }),
              buttons: [[btn(ctx.t('venues:btn_skip'), WARD.data('-'))]],
            });
            return;
          }
          ctx.reply({
            text: ctx.t('venues:ward_many'),
            buttons: pick.map((w) => [btn(`${w.name} (${w.district})`, WARD.data(w.code))]),
          });
        },
      },
      // For a vehicle the same step asks for its route (it has no address).
      address: {
        ask: async (ctx) =>
          ctx.reply({
            text: ctx.t(isTransportKind(ctx.data.kind ?? '') ? 'venues:ask_route' : 'venues:ask_address'),
            buttons: [[btn(ctx.t('venues:btn_skip'), ADDRESS.data('-'))]],
          }),
        handle: async (ctx, input) => {
          if (payloadOf(input) === ADDRESS.data('-')) {
            ctx.data.address = null;
            return ctx.goto('stay');
          }
          const a = textOf(input)?.replace(/\s+/g, ' ');
          if (!a) return ctx.goto('address');
          if (a.length > MAX_ADDRESS_LENGTH) {
            ctx.reply({ text: ctx.t('venues:bad_address', { max: MAX_ADDRESS_LENGTH }) });
            return ctx.goto('address');
          }
          if (isTransportKind(ctx.data.kind ?? '')) ctx.data.route = a;
          else ctx.data.address = a;
          return ctx.goto('stay');
        },
      },
      stay: {
        ask: async (ctx) => {
          const stay = defaultStayFor(ctx.data.kind!);
          ctx.reply({
            text: ctx.t('venues:ask_stay'),
            buttons: [[btn(ctx.t('venues:btn_default_stay', { stay: stayLabel(ctx, stay) }), STAY.data('default'))]],
          });
        },
        handle: async (ctx, input) => {
          let stay: number | undefined;
          if (payloadOf(input) === STAY.data('default')) stay = defaultStayFor(ctx.data.kind!);
          else {
            const typed = textOf(input);
            stay = typed ? parseStayMinutes(typed) : undefined;
            if (stay === undefined) {
              ctx.reply({ text: ctx.t('venues:bad_stay_format', { text: typed ?? '' }) });
              return ctx.goto('stay');
            }
            if (stay < MIN_STAY_MINUTES || stay > MAX_STAY_MINUTES) {
              ctx.reply({ text: ctx.t('venues:bad_stay', { min: MIN_STAY_MINUTES, max: MAX_STAY_MINUTES / 60 }) });
              return ctx.goto('stay');
            }
          }
          const d = ctx.state.data as {
            name: string;
            kind: string;
            wardCode?: string;
            address?: string | null;
            plate?: string | null;
            route?: string | null;
          };
          let venue: Venue;
          try {
            venue = await createVenue(ctx.tx, { ...d, defaultStayMinutes: stay, ownerAccountId: ctx.account.id });
          } catch (err) {
            // Answers were checked step by step; a rule failing here means the data changed (e.g. a ward removed).
            if (err instanceof AppError) return ctx.go(registerFlow, 'name', {});
            throw err;
          }
          ctx.end();
          ctx.reply({ text: ctx.t('venues:created', { name: venue.name, code: venue.code }) });
          if (isTransportKind(venue.kind)) ctx.reply({ text: ctx.t('venues:vehicle_hint') });
          await sendPoster(ctx, venue);
          await showCard(ctx, venue, 'owner');
        },
      },
    },
    [KIND, PLATE, WARD, ADDRESS, STAY],
  );

/** After the kind (and a vehicle's plate): the ward, unless no ward list is imported yet (a question nobody can answer). */
async function afterKind(ctx: DialogContext): Promise<'ward' | 'address'> {
  const anyWard = await ctx.tx.query.wards.findFirst({ columns: { code: true } });
  return anyWard ? 'ward' : 'address';
}

const dayFlow = defineFlow<DayData>()(DAY, {
  date: {
    ask: async (ctx) => ctx.reply({ text: ctx.t('venues:ask_day') }),
    handle: async (ctx, input) => {
      const typed = textOf(input);
      const day = typed ? parseDay(typed, ctx.deps.clock.now()) : undefined;
      if (!day) {
        ctx.reply({ text: ctx.t('venues:bad_day', { text: (typed ?? '').slice(0, 20) }) });
        return ctx.goto('date');
      }
      const venueId = ctx.data.venueId;
      ctx.end();
      const venue = await venueById(ctx.tx, venueId);
      if (!venue || (await staffRole(ctx.tx, venueId, ctx.account.id)) !== 'owner') {
        ctx.reply({ text: ctx.t('venues:not_yours') });
        return;
      }
      await listVisits(ctx, venue, day);
    },
  },
});

/**
 * An owner takes over an imported required venue (a target list, directive §11) with the claim code an official
 * gave them: no duplicate is registered, and the venue becomes theirs like one they registered.
 */
async function claimWithCode(ctx: DialogContext, typed: string): Promise<boolean> {
  const code = normalizeClaimCode(typed);
  if (!code) return false;
  const now = ctx.deps.clock.now();
  const r = await claimVenue(ctx.tx, code, ctx.account.id, now);
  if (!r.ok) {
    const mine = r.venue && r.venue.ownerAccountId === ctx.account.id;
    ctx.reply({
      text: ctx.t(mine ? 'venues:claim_already_yours' : `venues:claim_${r.reason}`, {
        code: formatClaimCode(code),
        name: r.venue?.name ?? '',
      }),
    });
    return true;
  }
  await recordAudit(ctx.tx, {
    actor: accountActor(ctx.account.id),
    action: 'venue.claim',
    subjectType: 'venue',
    subjectId: r.venue.id,
    details: { via: `chat:${ctx.channel}` },
    at: now,
  });
  ctx.reply({ text: ctx.t('venues:claimed', { name: r.venue.name, code: r.venue.code }) });
  await sendPoster(ctx, r.venue);
  await showCard(ctx, r.venue, 'owner');
  return true;
}

const claimFlow = defineFlow<ClaimData>()(CLAIM, {
  code: {
    ask: async (ctx) => ctx.reply({ text: ctx.t('venues:claim_ask') }),
    handle: async (ctx, input) => {
      const typed = textOf(input);
      if (!typed) return ctx.goto('code');
      if (['huy', 'thoi', 'cancel', 'stop'].includes(wardSearchName(typed))) {
        ctx.end();
        return showMenu(ctx);
      }
      if (!normalizeClaimCode(typed)) {
        ctx.reply({ text: ctx.t('venues:claim_bad_code', { text: typed.slice(0, 20) }) });
        return ctx.goto('code');
      }
      ctx.end();
      await claimWithCode(ctx, typed);
    },
  },
});

export function venuesFeature(): Feature {
  return {
    name: 'venues',
    commands: [
      {
        names: ['diadiem', 'venue'],
        descriptionKey: 'venues:cmd_description',
        // "/diadiem ABCD-2345": claim an imported venue; anything else shows the menu.
        run: async (ctx, args) => {
          if (args.trim() && (await claimWithCode(ctx, args))) return;
          return showMenu(ctx);
        },
      },
    ],
    startHandlers: [{ prefix: INVITE.prefix, run: acceptInvite }],
    buttonHandlers: [{ prefix: MENU.prefix, run: onMenuButton }],
    flows: [registerFlow, dayFlow, claimFlow],
    async onIdleText(ctx, text) {
      // A claim code typed as given (ABCD-2345), e.g. on Zalo where commands are less obvious.
      if (/^[a-z0-9]{4}-[a-z0-9]{4}$/i.test(text.trim()) && (await claimWithCode(ctx, text))) return true;
      const m = /^(?:nv|staff)[\s:]+([a-z0-9]{12})$/i.exec(text.trim());
      if (!m) return false;
      await acceptInvite(ctx, m[1]!);
      return true;
    },
  };
}

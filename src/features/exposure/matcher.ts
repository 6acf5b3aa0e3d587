/**
 * The exposure rules (DESIGN.md "Exposure") as pure functions, so they can be table-tested without a database.
 * The store finds candidate visits in SQL; everything that decides who is a contact and of which kind is here.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A case is infectious from this many days before symptom onset (or the test, when there are no symptoms). */
export const INFECTIOUS_DAYS_BEFORE = 2;
/** Overlap with the case's own presence that makes a close contact (advice: test and isolate). */
export const CLOSE_CONTACT_MINUTES = 15;
/**
 * Visits are looked up this far before a window starts (the index's lower bound on entered_at). The check-in
 * job ends an open visit after the venue's default stay (at most 8 h by kind), so a visit longer than this can
 * only come from a check-out made a day late; we accept missing those. Must stay above every venue's default stay.
 */
export const MAX_VISIT_MINUTES = 24 * 60;

export interface Interval {
  from: Date;
  to: Date;
}

export interface InfectiousInput {
  onsetAt?: Date | null;
  testedAt?: Date | null;
  infectiousFrom?: Date | null;
  infectiousTo?: Date | null;
}

/**
 * The case's infectious window. From: `infectiousFrom`, else 2 days before symptom onset, else before the test,
 * else before `now` (a case registered without dates is assumed tested today). To: `infectiousTo`, else now
 * (the case is isolated from the moment it is recorded).
 */
export function infectiousWindow(input: InfectiousInput, now: Date): Interval {
  const anchor = input.onsetAt ?? input.testedAt ?? now;
  const from = input.infectiousFrom ?? new Date(anchor.getTime() - INFECTIOUS_DAYS_BEFORE * DAY);
  const to = input.infectiousTo ?? now;
  return { from, to };
}

export interface VisitSpan {
  enteredAt: Date;
  exitedAt: Date | null;
  /** the venue's default stay, used when the visit has no exit */
  defaultStayMinutes: number;
}

/** When a visit ended: its exit, or entry + the venue's default stay when the person never checked out. */
export function visitEnd(v: VisitSpan): Date {
  return v.exitedAt ?? new Date(v.enteredAt.getTime() + v.defaultStayMinutes * MINUTE);
}

/** Length of the overlap of two half-open intervals [a.from, a.to) and [b.from, b.to), in ms (0 when apart). */
export function overlapMs(a: Interval, b: Interval): number {
  return Math.max(0, Math.min(a.to.getTime(), b.to.getTime()) - Math.max(a.from.getTime(), b.from.getTime()));
}

export interface CaseVisit extends VisitSpan {
  visitId: string;
  venueId: string;
  /** a visit on a vehicle's trip: the trip, its span, and the case's seat */
  tripId?: string | null;
  tripDepartsAt?: Date | null;
  tripArrivesAt?: Date | null;
  seat?: string | null;
}

export interface WindowSpec {
  venueId: string;
  sourceVisitId: string | null;
  from: Date;
  to: Date;
  /** the case's presence the close-contact rule measures against (for a manual window: the window itself) */
  presence: Interval;
  /** a window from a trip: only that trip's passengers match, close or casual by seat row (tripContactKind) */
  tripId?: string | null;
  /** the case's seat on the trip */
  seat?: string | null;
}

/**
 * Exposure windows from the case's own visits: each visit's presence, clipped to the infectious window
 * (before it the case was not yet infectious, after it isolated), widened by `bufferMinutes` on both sides.
 * Visits entirely outside the infectious window give none.
 */
export function windowsFromCaseVisits(visits: CaseVisit[], infectious: Interval, bufferMinutes: number): WindowSpec[] {
  const out: WindowSpec[] = [];
  for (const v of visits) {
    const presence = {
      from: new Date(Math.max(v.enteredAt.getTime(), infectious.from.getTime())),
      to: new Date(Math.min(visitEnd(v).getTime(), infectious.to.getTime())),
    };
    if (presence.to.getTime() <= presence.from.getTime()) continue;
    if (v.tripId && v.tripDepartsAt && v.tripArrivesAt) {
      // On a trip the window is the whole trip: everyone aboard shared the vehicle with the case.
      out.push({
        venueId: v.venueId,
        sourceVisitId: v.visitId,
        from: new Date(Math.min(presence.from.getTime(), v.tripDepartsAt.getTime()) - bufferMinutes * MINUTE),
        to: new Date(Math.max(presence.to.getTime(), v.tripArrivesAt.getTime()) + bufferMinutes * MINUTE),
        presence,
        tripId: v.tripId,
        seat: v.seat ?? null,
      });
      continue;
    }
    out.push({
      venueId: v.venueId,
      sourceVisitId: v.visitId,
      from: new Date(presence.from.getTime() - bufferMinutes * MINUTE),
      to: new Date(presence.to.getTime() + bufferMinutes * MINUTE),
      presence,
    });
  }
  return out;
}

export type ContactKind = 'close' | 'casual';

export interface CandidateVisit extends VisitSpan {
  visitId: string;
  personId: string;
  venueId: string;
  /** the account that checked this person in (alerts go there) */
  accountId: string | null;
  /** vehicles: the trip boarded and the seat given */
  tripId?: string | null;
  seat?: string | null;
}

export interface MatchedContact {
  personId: string;
  accountId: string | null;
  /** the visit that makes the strongest exposure for this person */
  visitId: string;
  venueId: string;
  /** index into the windows given to matchContacts */
  windowIndex: number;
  kind: ContactKind;
  /** overlap with the case's presence, whole minutes (rounded down) */
  overlapMinutes: number;
  /** the span the person shared with the window (shown in the alert) */
  exposure: Interval;
}

/**
 * Classifies one visit against one window: undefined when it does not overlap the window at all; close when
 * it overlaps the case's presence for at least CLOSE_CONTACT_MINUTES, else casual.
 */
export function classifyVisit(
  window: Pick<WindowSpec, 'from' | 'to' | 'presence'>,
  visit: VisitSpan,
): { kind: ContactKind; overlapMinutes: number; exposure: Interval } | undefined {
  const span = { from: visit.enteredAt, to: visitEnd(visit) };
  if (overlapMs(span, window) <= 0) return undefined;
  const withPresence = overlapMs(span, window.presence);
  return {
    kind: withPresence >= CLOSE_CONTACT_MINUTES * MINUTE ? 'close' : 'casual',
    overlapMinutes: Math.floor(withPresence / MINUTE),
    exposure: {
      from: new Date(Math.max(span.from.getTime(), window.from.getTime())),
      to: new Date(Math.min(span.to.getTime(), window.to.getTime())),
    },
  };
}

/** TRIP_CLOSE_SEAT_ROWS' default: passengers within 2 rows of the case (flights) are close contacts. */
export const DEFAULT_CLOSE_SEAT_ROWS = 2;

/** The row of a seat: its leading number («12C» → 12, «7» → 7); undefined when it has none. */
export function seatRow(seat: string | null | undefined): number | undefined {
  const m = /^\s*(\d{1,4})/.exec(seat ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * A passenger of the case's trip: close when both seat rows are known and at most `closeSeatRows` apart, casual
 * when both are known and further apart. When either seat is unknown (a bus or ferry without seats, a passenger
 * who skipped the question) the passenger is close: they shared an enclosed vehicle and nothing says how far.
 */
export function tripContactKind(
  caseSeat: string | null | undefined,
  seat: string | null | undefined,
  closeSeatRows: number = DEFAULT_CLOSE_SEAT_ROWS,
): ContactKind {
  const a = seatRow(caseSeat);
  const b = seatRow(seat);
  if (a === undefined || b === undefined) return 'close';
  return Math.abs(a - b) <= closeSeatRows ? 'close' : 'casual';
}

/**
 * Contacts of a set of windows: one per person, keeping their strongest exposure (close before casual, then
 * the longest overlap). People in `excludePersonIds` (the case and their household) are never contacts here.
 * A trip's window matches only passengers of that trip (never the vehicle's next trip), by seat row.
 */
export function matchContacts(
  windows: Pick<WindowSpec, 'venueId' | 'from' | 'to' | 'presence' | 'tripId' | 'seat'>[],
  visits: CandidateVisit[],
  excludePersonIds: ReadonlySet<string> = new Set(),
  opts: { closeSeatRows?: number } = {},
): MatchedContact[] {
  const best = new Map<string, MatchedContact>();
  windows.forEach((w, windowIndex) => {
    for (const v of visits) {
      if (v.venueId !== w.venueId || excludePersonIds.has(v.personId)) continue;
      if (w.tripId && v.tripId !== w.tripId) continue;
      const overlap = classifyVisit(w, v);
      if (!overlap) continue;
      const c = w.tripId ? { ...overlap, kind: tripContactKind(w.seat, v.seat, opts.closeSeatRows) } : overlap;
      const prev = best.get(v.personId);
      if (prev && !stronger(c, prev)) continue;
      best.set(v.personId, {
        personId: v.personId,
        accountId: v.accountId,
        visitId: v.visitId,
        venueId: v.venueId,
        windowIndex,
        ...c,
      });
    }
  });
  return [...best.values()];
}

function stronger(
  a: { kind: ContactKind; overlapMinutes: number },
  b: { kind: ContactKind; overlapMinutes: number },
): boolean {
  if (a.kind !== b.kind) return a.kind === 'close';
  return a.overlapMinutes > b.overlapMinutes;
}

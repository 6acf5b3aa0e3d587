/**
 * Venue kinds named by directive 09/CT-UBND, each with the stay after which an unclosed visit ends by itself.
 * Labels live in locales/<lng>/venues.json as `venues:kind.<id>`.
 */
export const VENUE_KINDS = [
  { id: 'office', defaultStayMinutes: 8 * 60 },
  { id: 'factory', defaultStayMinutes: 8 * 60 },
  { id: 'restaurant', defaultStayMinutes: 60 },
  { id: 'bar', defaultStayMinutes: 3 * 60 },
  { id: 'wellness', defaultStayMinutes: 2 * 60 },
  { id: 'meeting', defaultStayMinutes: 4 * 60 },
  { id: 'clinic', defaultStayMinutes: 3 * 60 },
  { id: 'apartment', defaultStayMinutes: 12 * 60 },
  { id: 'school', defaultStayMinutes: 5 * 60 },
  { id: 'station', defaultStayMinutes: 2 * 60 },
  { id: 'transport', defaultStayMinutes: 90 },
  { id: 'shop', defaultStayMinutes: 60 },
  { id: 'ceremony', defaultStayMinutes: 4 * 60 },
  { id: 'tourism', defaultStayMinutes: 3 * 60 },
  // Vehicles: a poster per vehicle; a check-in joins the vehicle's current trip (src/features/transport).
  { id: 'bus', defaultStayMinutes: 90 },
  { id: 'coach', defaultStayMinutes: 8 * 60 },
  { id: 'ferry', defaultStayMinutes: 3 * 60 },
  { id: 'flight', defaultStayMinutes: 6 * 60 },
  { id: 'train', defaultStayMinutes: 12 * 60 },
] as const;

export type VenueKind = (typeof VENUE_KINDS)[number]['id'];

/** Bounds for a stay an owner or official sets by hand. */
export const MIN_STAY_MINUTES = 15;
export const MAX_STAY_MINUTES = 24 * 60;

/** The longest default stay: the exposure query may look back this far before a window for open visits. */
export const LONGEST_STAY_MINUTES = MAX_STAY_MINUTES;

export function isVenueKind(value: string): value is VenueKind {
  return VENUE_KINDS.some((k) => k.id === value);
}

/** Kinds that are vehicles with trips (the older `transport` kind stays one poster per trip, without trips). */
export const TRANSPORT_KINDS = ['bus', 'coach', 'ferry', 'flight', 'train'] as const satisfies readonly VenueKind[];

export function isTransportKind(kind: string): boolean {
  return (TRANSPORT_KINDS as readonly string[]).includes(kind);
}

export function defaultStayFor(kind: VenueKind): number {
  return VENUE_KINDS.find((k) => k.id === kind)!.defaultStayMinutes;
}

/**
 * What a venue's door does with a yellow pass (symptoms, a declared contact, a recent exposure):
 * `admit` lets the person in as green; `warn` lets them in and says so in words to the person and the staff;
 * `refuse` turns them away. A red pass (an open confirmed case) is refused everywhere, whatever the policy.
 */
export const ENTRY_POLICIES = ['admit', 'warn', 'refuse'] as const;
export type EntryPolicy = (typeof ENTRY_POLICIES)[number];

/** Kinds whose people are most at risk, or where one case reaches many children: yellow is refused by default. */
const REFUSE_YELLOW_KINDS: readonly VenueKind[] = ['clinic', 'school'];

export function isEntryPolicy(value: unknown): value is EntryPolicy {
  return typeof value === 'string' && (ENTRY_POLICIES as readonly string[]).includes(value);
}

/** The policy a venue of this kind has until its owner or an official sets one. */
export function defaultEntryPolicyFor(kind: string): EntryPolicy {
  return (REFUSE_YELLOW_KINDS as readonly string[]).includes(kind) ? 'refuse' : 'warn';
}

/** The policy in force at a venue: its own, else its kind's default. */
export function entryPolicyOf(venue: { kind: string; entryPolicy: string | null }): EntryPolicy {
  return isEntryPolicy(venue.entryPolicy) ? venue.entryPolicy : defaultEntryPolicyFor(venue.kind);
}

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

export function defaultStayFor(kind: VenueKind): number {
  return VENUE_KINDS.find((k) => k.id === kind)!.defaultStayMinutes;
}

/** Scanning the same venue again within this many minutes of entering continues the same visit. */
export const SAME_VENUE_WINDOW_MINUTES = 30;
/** `/lichsu` shows this many days. */
export const HISTORY_DAYS = 14;
/** How often the auto checkout job runs, and how many visits one run closes at most. */
export const AUTO_CHECKOUT_INTERVAL_MS = 60_000;
export const AUTO_CHECKOUT_BATCH = 2000;

export type ExitReason = 'left' | 'moved_on' | 'auto';
export type CheckinSource = 'poster' | 'staff';

import type { Config } from '../../config.js';

/**
 * How long personal data is kept (DESIGN.md "Retention"). One place; the periods residents are told about are
 * settings (RETENTION_*), the rest fixed here. Rows older than these are deleted by the retention job on every
 * instance (deletes are idempotent).
 *
 * Kept on purpose: `cases` (the health department's record of a confirmed case; anonymised when its person's
 * account is deleted) and manual exposure windows (a venue and times, no person). A closed case's own windows
 * go once their period ends, so its venues and times do not outlive the contacts they explained.
 */
export interface RetentionPolicy {
  visitsDays: number;
  declarationsDays: number;
  /** contacts, counted from the exposure: an exposure is as old as the declarations it is checked against */
  contactsDays: number;
  /** exposure windows of closed cases, counted from the window's end */
  closedCaseWindowsDays: number;
  /** invites and staff login links, counted from their expiry (or from use, for a used invite) */
  linksGraceDays: number;
  dialogIdleDays: number;
  processedUpdatesDays: number;
  auditLogDays: number;
  /** outbox rows that reached a final state */
  outboxDays: number;
  /** messages a web chat browser never came back to collect (alerts are stale by then) */
  webInboxDays: number;
  /**
   * web push subscriptions, counted from the last time an open page renewed it: a browser nobody opened the
   * chat in for this long no longer gets pushes (the account keeps its inbox)
   */
  webPushSubscriptionsDays: number;
  /**
   * accounts that never consented, counted from their last message: opening a chat, or a client id sent to
   * the web chat, must not leave a row behind for good
   */
  unconsentedAccountsDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  visitsDays: 21,
  declarationsDays: 28,
  contactsDays: 28,
  closedCaseWindowsDays: 28,
  linksGraceDays: 7,
  dialogIdleDays: 7,
  processedUpdatesDays: 3,
  auditLogDays: 365,
  outboxDays: 14,
  webInboxDays: 14,
  webPushSubscriptionsDays: 60,
  unconsentedAccountsDays: 1,
};

/** The policy in force: the defaults with the RETENTION_* settings applied (contacts follow declarations). */
export function retentionPolicy(config: Pick<Config, 'retention'>): RetentionPolicy {
  const set = config.retention ?? {};
  const declarationsDays = set.declarationsDays ?? DEFAULT_RETENTION.declarationsDays;
  return {
    ...DEFAULT_RETENTION,
    visitsDays: set.visitsDays ?? DEFAULT_RETENTION.visitsDays,
    declarationsDays,
    contactsDays: declarationsDays,
    dialogIdleDays: set.dialogIdleDays ?? DEFAULT_RETENTION.dialogIdleDays,
  };
}

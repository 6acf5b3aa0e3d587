/**
 * How long personal data is kept (DESIGN.md "Retention"). One place; each a setting with these defaults.
 * Rows older than these are deleted by the retention job on every instance (deletes are idempotent).
 */
export interface RetentionPolicy {
  visitsDays: number;
  declarationsDays: number;
  dialogIdleDays: number;
  processedUpdatesDays: number;
  auditLogDays: number;
  /** outbox rows that reached a final state */
  outboxDays: number;
  /** messages a web chat browser never came back to collect (alerts are stale by then) */
  webInboxDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  visitsDays: 21,
  declarationsDays: 28,
  dialogIdleDays: 7,
  processedUpdatesDays: 3,
  auditLogDays: 365,
  outboxDays: 14,
  webInboxDays: 14,
};

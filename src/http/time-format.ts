import type { FastifyServerOptions } from 'fastify';

type Ajv = Parameters<NonNullable<NonNullable<FastifyServerOptions['ajv']>['onCreate']>>[0];

/** The span of times the service has any use for; outside it a time is a typo or a probe, and refused. */
export const EARLIEST_YEAR = 1900;
export const LATEST_YEAR = 2999;

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * An ISO 8601 / RFC 3339 time with an offset that JavaScript and PostgreSQL both read as the same instant:
 * year 0000 (PostgreSQL has none), 9999 plus an offset (a five-digit year once in UTC) and 2021-02-30 are not.
 */
export function isSensibleTime(value: string): boolean {
  const m = ISO_TIME.exec(value);
  if (!m) return false;
  const [, y, mo, d, h, mi, s] = m;
  const year = Number(y);
  if (year < EARLIEST_YEAR || year > LATEST_YEAR) return false;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return false;
  const daysInMonth = new Date(Date.UTC(year, Number(mo), 0)).getUTCDate();
  if (Number(d) < 1 || Number(d) > daysInMonth) return false;
  const t = Date.parse(value);
  return Number.isFinite(t);
}

/** Replaces ajv-formats' `date-time` for every route schema (fastify's ajv onCreate runs after ajv-formats). */
export function timeFormats(ajv: Ajv): void {
  ajv.addFormat('date-time', { type: 'string', validate: isSensibleTime });
}

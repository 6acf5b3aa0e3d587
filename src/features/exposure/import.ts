import { createHash } from 'node:crypto';
import { parsePhone } from '../../core/answer-parsing.js';
import type { Tx } from '../../db/client.js';
import { parseCsv } from '../venues/csv-import.js';
import type { MatchedContact } from './matcher.js';
import { saveContactsAndAlert, type ExposureDeps } from './record.js';
import { audit, personsByPhone, personsWithOpenCase, type CandidateRow } from './store.js';

/**
 * Import of the national systems' exposure lists (Bluezone, PC-Covid «F1» lists): CSV with a header row naming
 * the columns `phone`, `exposed_at`, `place`, `source` (any order; `exposure_time` is taken for `exposed_at`).
 * Each line whose phone is a VERIFIED phone of a resident becomes a contact of that person (advice: test), alerted
 * through the same alert path as a case's contacts. A line is keyed by its content: importing it again finds the
 * contact already there and alerts nobody. Unknown (or only typed, unverified) phones are counted, not stored.
 */
export const MAX_IMPORT_LINES = 20_000;
/** An exposure further back than this is refused (nothing left to advise). */
export const MAX_IMPORT_AGE_DAYS = 28;

export interface ImportLineError {
  line: number;
  code: string;
  message: string;
}

export interface ImportReport {
  lines: number;
  /** lines that matched at least one resident by verified phone */
  matchedLines: number;
  /** persons recorded as contacts by this import (new ones) */
  contactsCreated: number;
  /** lines already imported before (their contacts existed): nobody alerted again */
  alreadyImported: number;
  alertsQueued: number;
  /** lines whose phone is no resident's verified phone */
  unknownPhones: number;
  /** of those, lines whose phone a resident typed without verification (not alerted; health staff may call) */
  unverifiedPhones: number;
  /** lines whose only match is an open case themselves */
  openCases: number;
  errors: ImportLineError[];
}

const VN_LOCAL = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 with an offset, or «dd/mm/yyyy HH:mm[:ss]» in Vietnam time. */
export function parseExposureTime(text: string): Date | undefined {
  const s = text.trim();
  if (ISO.test(s)) {
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  const m = VN_LOCAL.exec(s);
  if (!m) return undefined;
  const [day, month, year, hh, mm, ss] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  const d = new Date(Date.UTC(year!, month! - 1, day!, hh! - 7, mm!, ss!));
  return d.getUTCMonth() === new Date(Date.UTC(year!, month! - 1, 1)).getUTCMonth() ? d : undefined;
}

/** A deterministic uuid for a line's content: its exposure key (the alert's buttons carry it). */
export function importExposureKey(phone: string, exposedAt: Date, place: string, source: string): string {
  const h = createHash('sha256')
    .update(['import', phone, exposedAt.toISOString(), place, source].join('\u0000'))
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const COLUMN_ALIASES: Record<string, 'phone' | 'exposed_at' | 'place' | 'source'> = {
  phone: 'phone',
  so_dien_thoai: 'phone',
  exposed_at: 'exposed_at',
  exposure_time: 'exposed_at',
  time: 'exposed_at',
  place: 'place',
  location: 'place',
  source: 'source',
};

/** Imports one list in the caller's transaction; the caller wakes the outbox when alertsQueued > 0. */
export async function importExposures(tx: Tx, deps: ExposureDeps, csv: string, actor: string): Promise<ImportReport> {
  const now = deps.clock.now();
  const report: ImportReport = {
    lines: 0,
    matchedLines: 0,
    contactsCreated: 0,
    alreadyImported: 0,
    alertsQueued: 0,
    unknownPhones: 0,
    unverifiedPhones: 0,
    openCases: 0,
    errors: [],
  };
  const records = parseCsv(csv);
  const header = records.shift();
  const index = new Map<string, number>();
  header?.fields.forEach((f, i) => {
    const name =
      COLUMN_ALIASES[
        f
          .trim()
          .toLowerCase()
          .replace(/[\s-]+/g, '_')
      ];
    if (name && !index.has(name)) index.set(name, i);
  });
  const missing = ['phone', 'exposed_at', 'place', 'source'].filter((c) => !index.has(c));
  if (!header || missing.length > 0) {
    report.errors.push({
      line: 1,
      code: 'HEADER_INVALID',
      message: `the first line must name the columns phone, exposed_at, place, source (missing: ${missing.join(', ') || 'all'})`,
    });
    return report;
  }
  if (records.length > MAX_IMPORT_LINES) {
    report.errors.push({ line: 1, code: 'TOO_MANY_LINES', message: `at most ${MAX_IMPORT_LINES} lines per import` });
    return report;
  }
  const col = (r: { fields: string[] }, name: string) => (r.fields[index.get(name)!] ?? '').trim();
  for (const r of records) {
    report.lines++;
    const phone = parsePhone(col(r, 'phone'));
    if (!phone.ok) {
      report.errors.push({ line: r.line, code: 'INVALID_PHONE', message: 'phone is not a Vietnamese number' });
      continue;
    }
    const exposedAt = parseExposureTime(col(r, 'exposed_at'));
    if (!exposedAt) {
      report.errors.push({
        line: r.line,
        code: 'INVALID_TIME',
        message: 'exposed_at must be ISO 8601 with offset (2021-08-04T10:30:00+07:00) or dd/mm/yyyy HH:mm',
      });
      continue;
    }
    if (exposedAt.getTime() > now.getTime() + 3_600_000) {
      report.errors.push({ line: r.line, code: 'TIME_IN_FUTURE', message: 'exposed_at is in the future' });
      continue;
    }
    if (exposedAt.getTime() < now.getTime() - MAX_IMPORT_AGE_DAYS * 86_400_000) {
      report.errors.push({
        line: r.line,
        code: 'TIME_TOO_OLD',
        message: `exposed_at is more than ${MAX_IMPORT_AGE_DAYS} days ago`,
      });
      continue;
    }
    const place = col(r, 'place').replace(/\s+/g, ' ').slice(0, 200);
    const source = col(r, 'source').replace(/\s+/g, ' ').slice(0, 60);
    if (!place || !source) {
      report.errors.push({ line: r.line, code: 'FIELD_REQUIRED', message: 'place and source are required' });
      continue;
    }
    const owners = await personsByPhone(tx, phone.value);
    const verified = owners.filter((p) => p.phoneVerified);
    if (verified.length === 0) {
      report.unknownPhones++;
      if (owners.length > 0) report.unverifiedPhones++;
      continue;
    }
    const cases = new Set(
      await personsWithOpenCase(
        tx,
        verified.map((p) => p.id),
      ),
    );
    const persons = verified.filter((p) => !cases.has(p.id));
    if (persons.length === 0) {
      report.openCases++;
      continue;
    }
    report.matchedLines++;
    const exposureKey = importExposureKey(phone.value, exposedAt, place, source);
    const candidates: CandidateRow[] = persons.map((p) => ({
      visitId: `import:${p.id}`,
      personId: p.id,
      accountId: p.ownerAccountId,
      venueId: '',
      enteredAt: exposedAt,
      exitedAt: exposedAt,
      defaultStayMinutes: 0,
      venueName: place,
      personName: p.fullName,
      isSelf: p.isSelf,
    }));
    const matched: MatchedContact[] = candidates.map((c) => ({
      personId: c.personId,
      accountId: c.accountId,
      visitId: c.visitId,
      venueId: '',
      windowIndex: 0,
      kind: 'close',
      overlapMinutes: 0,
      exposure: { from: exposedAt, to: exposedAt },
    }));
    const sent = await saveContactsAndAlert(tx, deps, {
      exposureKey,
      caseId: null,
      windowIds: [],
      matched,
      candidates,
      adviceFor: () => 'close',
      now,
      imported: { source, place },
    });
    report.alertsQueued += sent.alerts;
    report.contactsCreated += sent.created;
    if (sent.created === 0) report.alreadyImported++;
  }
  await audit(tx, [
    {
      actor,
      action: 'exposure.import',
      subjectType: 'exposure_import',
      subjectId: createHash('sha256').update(csv).digest('hex').slice(0, 32),
      details: {
        lines: report.lines,
        matchedLines: report.matchedLines,
        contactsCreated: report.contactsCreated,
        alreadyImported: report.alreadyImported,
        alertsQueued: report.alertsQueued,
        unknownPhones: report.unknownPhones,
        errors: report.errors.length,
      },
    },
  ]);
  return report;
}

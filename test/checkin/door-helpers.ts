import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { auditLog, cases, declarations, outbox, visits, type Venue } from '../../src/db/schema/index.js';
import { staffCheckinPanel } from '../../src/features/checkin/staff-scan.js';
import { issuePass } from '../../src/features/pass/pass-issuer.js';
import type { TestService } from '../helpers/service.js';
import { chat, textOf } from './chat-driver.js';

/** Shared by the "risk at the door" tests (issue 13): staff sessions, passes, and the records a door leaves. */
export function doorHelpers(svc: () => TestService, ownerExt: string) {
  const db = () => svc().db.db;
  return {
    /** Staff joins through the owner's invite, asks for a scanning link and opens it in the browser: the cookie. */
    async staffCookie(staffExt: string, v: Venue): Promise<string> {
      const invite = textOf(await chat(svc(), ownerExt).press(`vn:invite:${v.id}`));
      // "NV <code>" to type, or a Telegram deep link s_<code> when the bot is known: typed either way here.
      const code = /(?:NV |start=s_)([A-Z0-9]{12})/.exec(invite)![1]!;
      expect(textOf(await chat(svc(), staffExt).text(`NV ${code}`))).toContain(v.name);
      const scan = await chat(svc(), staffExt).press(`vn:scan:${v.id}`);
      const url = new URL(scan.replies[0]!.link!.url);
      const login = await svc().app.inject({ method: 'POST', url: url.pathname });
      expect(login.statusCode).toBe(200);
      return String(login.headers['set-cookie']).split(';')[0]!;
    },
    /** The verify page path the resident's pass QR opens. */
    async passPath(personId: string): Promise<string> {
      return new URL((await issuePass(db(), svc().deps, personId)).url).pathname;
    },
    /** A record ticket as the staff panel issues it now (while the person may still enter). */
    async ticket(cookie: string, personId: string): Promise<string> {
      const html = await staffCheckinPanel({ headers: { cookie } }, { personId, deps: svc().deps });
      return /name="ticket" value="([^"]+)"/.exec(html ?? '')![1]!;
    },
    record(cookie: string, ticket: string) {
      return svc().app.inject({
        method: 'POST',
        url: '/staff/checkins',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        payload: new URLSearchParams({ ticket }).toString(),
      });
    },
    async openCase(personId: string) {
      const now = svc().clock.now();
      await db()
        .insert(cases)
        .values({
          personId,
          infectiousFrom: new Date(now.getTime() - 48 * 3_600_000),
          infectiousTo: now,
          createdBy: 'test',
        });
    },
    /** A fresh declaration with a symptom: the pass turns yellow. */
    async declareSymptoms(personId: string, accountId: string) {
      await db()
        .insert(declarations)
        .values({
          personId,
          declaredByAccountId: accountId,
          travel: false,
          symptoms: ['fever'],
          contactCase: false,
          contactOutbreakArea: false,
          contactSymptoms: false,
          declaredAt: svc().clock.now(),
        });
    },
    visitsOf: (personId: string) => db().query.visits.findMany({ where: eq(visits.personId, personId) }),
    refusals: (personId: string) =>
      db().query.auditLog.findMany({
        where: and(eq(auditLog.action, 'entry.refused'), eq(auditLog.subjectId, personId)),
      }),
    notices: (officialAccountId: string) =>
      db().query.outbox.findMany({
        where: and(eq(outbox.accountId, officialAccountId), eq(outbox.kind, 'entry-refused')),
      }),
  };
}

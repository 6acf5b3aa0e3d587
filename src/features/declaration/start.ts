import { inFlow, type DialogContext } from '../../core/dialog.js';
import type { Person } from '../../db/schema/index.js';
import { ownedPerson, selfPerson } from '../people/store.js';
import { askConsent } from '../privacy/consent.js';
import { wardByCode, wardLabel } from '../wards/store.js';
import { declarationFlow, firstStep, type DeclarationData } from './flow.js';
import { otherProvinceLabel, PROFILE_QUESTIONS, type Answers } from '../health-form/questions.js';

export interface StartDeclarationOptions {
  /** declare for this family member instead of the account holder */
  personId?: string;
  /**
   * A start parameter to run once the declaration is confirmed and the pass sent (e.g. the venue check-in
   * that needed a declaration first): the flow ends with `ctx.runStart(resumeStart)`.
   */
  resumeStart?: string;
}

/**
 * Begin the health declaration for the account holder or a family member. Without consent the privacy notice
 * comes first (and the declaration follows the agreement). A known person is asked only the health questions.
 */
export async function startDeclaration(ctx: DialogContext, opts: StartDeclarationOptions = {}): Promise<void> {
  if (!ctx.account.consentedAt) return askConsent(ctx, opts);
  if (await resumeInProgress(ctx, opts)) return;
  let person: Person | undefined;
  if (opts.personId) {
    person = await ownedPerson(ctx.tx, ctx.account.id, opts.personId);
    if (!person) {
      ctx.reply({ text: ctx.t('declaration:person_not_found') });
      return;
    }
  } else {
    person = await selfPerson(ctx.tx, ctx.account.id);
  }
  const target = opts.personId ? 'family' : 'self';
  if (!person) {
    const d: DeclarationData = { mode: 'full', target, resumeStart: opts.resumeStart };
    ctx.reply({ text: ctx.t('declaration:intro_first') });
    return ctx.go(declarationFlow, firstStep('full'), d);
  }
  const d: DeclarationData = {
    ...(await profileData(ctx, person)),
    mode: 'health',
    target: person.isSelf ? 'self' : 'family',
    resumeStart: opts.resumeStart,
  };
  ctx.reply({ text: ctx.t('declaration:intro_again', { name: person.fullName }) });
  return ctx.go(declarationFlow, firstStep('health'), d);
}

/**
 * A declaration already under way is continued, not started over: a poster scanned again (or /khaibao sent)
 * halfway through must not throw away the answers given. The newest link wins as what follows the
 * confirmation. Only an explicit choice of another person (a family member's "declare" button) starts afresh.
 */
async function resumeInProgress(ctx: DialogContext, opts: StartDeclarationOptions): Promise<boolean> {
  if (!inFlow(ctx, declarationFlow)) return false;
  const d = ctx.data;
  if (d.mode === 'profile') return false;
  if (opts.personId && opts.personId !== d.personId) return false;
  if (opts.resumeStart) d.resumeStart = opts.resumeStart;
  ctx.reply({ text: ctx.t('declaration:resume_in_progress') });
  await ctx.repeat();
  return true;
}

/** Add a family member: their profile, then their health questions, then their own pass. */
export async function startFamilyMember(ctx: DialogContext): Promise<void> {
  if (!ctx.account.consentedAt) return askConsent(ctx, {});
  const d: DeclarationData = { mode: 'full', target: 'family' };
  ctx.reply({ text: ctx.t('declaration:intro_family') });
  return ctx.go(declarationFlow, firstStep('full'), d);
}

/** Change a person's profile from its summary (no declaration is made). */
export async function startProfileEdit(ctx: DialogContext, person: Person): Promise<void> {
  const d: DeclarationData = {
    ...(await profileData(ctx, person)),
    mode: 'profile',
    target: person.isSelf ? 'self' : 'family',
  };
  return ctx.go(declarationFlow, 'summary', d);
}

async function profileData(ctx: DialogContext, p: Person): Promise<Omit<DeclarationData, 'mode' | 'target'>> {
  const ward = p.wardCode ? await wardByCode(ctx.tx, p.wardCode) : undefined;
  // Every profile answer as stored (the ID only as its last digits: it is never decrypted for the dialog).
  const stored: Record<string, unknown> = p;
  const answers: Record<string, unknown> = {};
  for (const q of PROFILE_QUESTIONS) {
    if (q.kind !== 'national-id') answers[q.column] = stored[q.column];
    if (q.followUp) answers[q.followUp.column] = stored[q.followUp.column];
  }
  return {
    ...(answers as Answers),
    personId: p.id,
    storedId: p.idNumberLast4 && p.idKind ? { last4: p.idNumberLast4, kind: p.idKind } : null,
    provinceCode: p.provinceCode,
    wardName: ward ? wardLabel(ward) : p.provinceCode ? otherProvinceLabel(ctx.t, p.provinceCode) : null,
  };
}

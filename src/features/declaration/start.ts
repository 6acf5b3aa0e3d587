import type { DialogContext } from '../../core/dialog.js';
import type { Person } from '../../db/schema/index.js';
import { ownedPerson, selfPerson } from '../people/store.js';
import { askConsent } from '../privacy/consent.js';
import { wardByCode } from '../wards/store.js';
import { DECLARE_FLOW, type DeclarationData } from './flow.js';

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
    return ctx.go(DECLARE_FLOW, 'name', d as unknown as Record<string, unknown>);
  }
  const d: DeclarationData = {
    ...(await profileData(ctx, person)),
    mode: 'health',
    target: person.isSelf ? 'self' : 'family',
    resumeStart: opts.resumeStart,
  };
  ctx.reply({ text: ctx.t('declaration:intro_again', { name: person.fullName }) });
  return ctx.go(DECLARE_FLOW, 'travel', d as unknown as Record<string, unknown>);
}

/**
 * A declaration already under way is continued, not started over: a poster scanned again (or /khaibao sent)
 * halfway through must not throw away the answers given. The newest link wins as what follows the
 * confirmation. Only an explicit choice of another person (a family member's "declare" button) starts afresh.
 */
async function resumeInProgress(ctx: DialogContext, opts: StartDeclarationOptions): Promise<boolean> {
  if (ctx.state.flow !== DECLARE_FLOW || !ctx.state.step) return false;
  const d = ctx.state.data as unknown as DeclarationData;
  if (d.mode === 'profile') return false;
  if (opts.personId && opts.personId !== d.personId) return false;
  if (opts.resumeStart) d.resumeStart = opts.resumeStart;
  ctx.reply({ text: ctx.t('declaration:resume_in_progress') });
  await ctx.goto(ctx.state.step);
  return true;
}

/** Add a family member: their profile, then their health questions, then their own pass. */
export async function startFamilyMember(ctx: DialogContext): Promise<void> {
  if (!ctx.account.consentedAt) return askConsent(ctx, {});
  const d: DeclarationData = { mode: 'full', target: 'family' };
  ctx.reply({ text: ctx.t('declaration:intro_family') });
  return ctx.go(DECLARE_FLOW, 'name', d as unknown as Record<string, unknown>);
}

/** Change a person's profile from its summary (no declaration is made). */
export async function startProfileEdit(ctx: DialogContext, person: Person): Promise<void> {
  const d: DeclarationData = {
    ...(await profileData(ctx, person)),
    mode: 'profile',
    target: person.isSelf ? 'self' : 'family',
  };
  return ctx.go(DECLARE_FLOW, 'summary', d as unknown as Record<string, unknown>);
}

async function profileData(ctx: DialogContext, p: Person): Promise<Omit<DeclarationData, 'mode' | 'target'>> {
  const ward = p.wardCode ? await wardByCode(ctx.tx, p.wardCode) : undefined;
  return {
    personId: p.id,
    fullName: p.fullName,
    birthYear: p.birthYear,
    gender: p.gender as DeclarationData['gender'],
    phone: p.phone,
    storedId: p.idNumberLast4 && p.idKind ? { last4: p.idNumberLast4, kind: p.idKind } : null,
    wardCode: p.wardCode,
    wardName: ward ? `${ward.name}, ${ward.district}` : null,
    street: p.street,
    vaccineDoses: p.vaccineDoses,
  };
}

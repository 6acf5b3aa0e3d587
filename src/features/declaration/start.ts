import type { DialogContext } from '../../core/dialog.js';

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
 * Begin (or resume) the health declaration for the account holder or a family member.
 * PLACEHOLDER until the declaration feature lands: the declaration engineer replaces this file.
 */
export async function startDeclaration(ctx: DialogContext, _opts: StartDeclarationOptions = {}): Promise<void> {
  await ctx.runCommand('khaibao');
}

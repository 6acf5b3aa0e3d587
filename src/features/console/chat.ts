import type { Feature } from '../../core/dialog.js';
import { rolesOf } from '../officials/roles.js';
import { CONSOLE_LOGIN_MINUTES, createConsoleLoginLink } from './sessions.js';

/** /console: a single-use link (10 minutes) that signs the official's browser in to the web console. */
export function consoleFeature(): Feature {
  return {
    name: 'console',
    commands: [
      {
        names: ['console'],
        helpKey: 'console:cmd_console',
        allowed: async (ctx) => (await rolesOf(ctx.tx, ctx.account.id)).length > 0,
        run: async (ctx) => {
          const url = await createConsoleLoginLink(
            ctx.tx,
            ctx.deps.config.publicUrl,
            ctx.account.id,
            ctx.deps.clock.now(),
          );
          ctx.log.info('console sign-in link sent');
          ctx.reply({
            text: ctx.t('console:link_sent', { minutes: CONSOLE_LOGIN_MINUTES }),
            link: { label: ctx.t('console:btn_open'), url },
          });
        },
      },
    ],
  };
}

import type { Feature } from '../../core/dialog.js';
import { startDeclaration } from '../declaration/start.js';
import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { ACK_PREFIX, REDECLARE_PREFIX } from './alert-message.js';
import { exposureRoutes } from './routes.js';
import { acknowledge } from './store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The alert's buttons: "Tôi đã biết" records the acknowledgement, "Khai báo lại" starts a declaration. */
export const exposureFeature: Feature = {
  name: 'exposure',
  buttonHandlers: [
    {
      prefix: ACK_PREFIX,
      run: async (ctx, exposureKey) => {
        const changed = UUID.test(exposureKey)
          ? await acknowledge(ctx.tx, exposureKey, ctx.account.id, ctx.deps.clock.now())
          : 0;
        ctx.reply({ text: ctx.t(changed > 0 ? 'exposure:ack_done' : 'exposure:ack_again') });
      },
    },
    {
      prefix: REDECLARE_PREFIX,
      run: async (ctx) => {
        try {
          await startDeclaration(ctx);
        } catch (err) {
          // The declaration feature is not registered in this build.
          if (!/unknown command/.test(String((err as Error)?.message))) throw err;
          ctx.reply({ text: ctx.t('exposure:redeclare_unavailable') });
        }
      },
    },
  ],
};

export const exposureModule: FeatureModule<AppDeps> = {
  feature: exposureFeature,
  routes: exposureRoutes,
};

import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { passKeyRoutes } from './keys.js';
import { passVerifyRoutes, type VerifyPageExtension } from './verify-page.js';

export type { VerifyPageExtension, VerifyPageInfo } from './verify-page.js';

/** The pass's public pages: the key set for offline checks and the verify page a camera opens. */
export function passModule(opts: { verifyPageExtensions: readonly VerifyPageExtension[] }): FeatureModule<AppDeps> {
  const verifyRoutes = passVerifyRoutes(opts.verifyPageExtensions);
  return {
    routes: async (app, deps) => {
      await passKeyRoutes(app, deps);
      await verifyRoutes(app, deps);
    },
  };
}

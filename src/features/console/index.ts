import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { consoleFeature } from './chat.js';
import { consoleRoutes } from './routes.js';

export const consoleModule: FeatureModule<AppDeps> = {
  feature: consoleFeature(),
  routes: consoleRoutes,
};

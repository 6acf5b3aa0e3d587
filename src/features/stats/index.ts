import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { statsFeature } from './chat.js';
import { statsRoutes } from './routes.js';

export { computeStats, vnDayStart, type Stats } from './stats.js';

export const statsModule: FeatureModule<AppDeps> = {
  feature: statsFeature(),
  routes: statsRoutes,
};

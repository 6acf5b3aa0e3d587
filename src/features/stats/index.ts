import type { FeatureModule } from '../index.js';
import { statsFeature } from './chat.js';
import { statsRoutes } from './routes.js';

export { computeStats, vnDayStart, type Stats } from './stats.js';

export const statsModule: FeatureModule = {
  feature: () => statsFeature(),
  routes: statsRoutes,
};

import type { FeatureModule } from '../index.js';
import { officialsFeature } from './chat.js';
import { officialsRoutes } from './routes.js';

export const officialsModule: FeatureModule = {
  feature: () => officialsFeature(),
  routes: officialsRoutes,
};

import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { officialsFeature } from './chat.js';
import { officialsRoutes } from './routes.js';

export const officialsModule: FeatureModule<AppDeps> = {
  feature: officialsFeature(),
  routes: officialsRoutes,
};

import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { handoffRoutes } from './routes.js';

/** Hand-off files for the national tracing centre: contacts, visits, trips, risk declarations (CSV and JSON). */
export const handoffModule: FeatureModule<AppDeps> = {
  routes: handoffRoutes,
};

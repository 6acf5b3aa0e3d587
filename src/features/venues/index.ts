import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { venuesFeature } from './owner-dialog.js';
import { venueRoutes } from './routes.js';

/** Venues: registration (chat and API), posters, the landing page, staff invites. */
export const venuesModule: FeatureModule<AppDeps> = {
  feature: venuesFeature(),
  routes: venueRoutes,
};

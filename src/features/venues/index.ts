import type { FeatureModule } from '../index.js';
import { venuesFeature } from './owner-dialog.js';
import { venueRoutes } from './routes.js';

/** Venues: registration (chat and API), posters, the landing page, staff invites. */
export const venuesModule: FeatureModule = {
  feature: () => venuesFeature(),
  routes: venueRoutes,
};

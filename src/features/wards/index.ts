import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import type { Role } from '../../http/auth.js';
import { wardsRoutes } from './routes.js';

/**
 * The ward list's HTTP routes; `roles` = the official roles that may read it (officials/roles.ts ACCESS.wards),
 * `writeRoles` = those that may set a ward's health station phone (ACCESS.wardHotlines).
 */
export const wardsModule = (roles: readonly Role[], writeRoles: readonly Role[]): FeatureModule<AppDeps> => ({
  routes: wardsRoutes(roles, writeRoles),
});

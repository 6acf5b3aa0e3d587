import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { reportRoutes } from './routes.js';

export { computeCoverage, type CoverageReport, type CoverageWard } from './coverage.js';

/** Reports for the city (directive §11): deployment coverage per ward. */
export const reportsModule: FeatureModule<AppDeps> = { routes: reportRoutes };

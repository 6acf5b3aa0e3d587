import type { Deps } from '../../core/dialog.js';
import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { reportRoutes } from './routes.js';
import { runWeeklyReport } from './weekly.js';

export { computeCoverage, type CoverageReport, type CoverageWard } from './coverage.js';

/** How often the weekly report job looks whether this week's report is due. */
const WEEKLY_CHECK_MS = 60_000;

/**
 * Reports for the city (directive §11): deployment coverage per ward with target lists (API), and the weekly
 * report in chat to city officials.
 */
export function reportsModule(
  deps: Pick<Deps, 'database' | 'clock' | 'config' | 'wakeOutbox'>,
): FeatureModule<AppDeps> {
  return {
    routes: reportRoutes,
    workers: (workers) => {
      if (deps.config.weeklyReportAt) workers.every('weekly-report', WEEKLY_CHECK_MS, () => runWeeklyReport(deps));
    },
  };
}

import type { Deps } from '../../core/dialog.js';
import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { transportFeature } from './chat.js';
import { transportRoutes } from './routes.js';
import { createTimetableTrips, TIMETABLE_JOB_INTERVAL_MS, transportSettings } from './store.js';

/** Vehicles' trips: the owner's /chuyen, the trips and passenger API, and the timetable job. */
export function transportModule(deps: Pick<Deps, 'database' | 'clock' | 'log' | 'config'>): FeatureModule<AppDeps> {
  return {
    feature: transportFeature(),
    routes: transportRoutes,
    workers: (workers) => {
      workers.every('trips-timetable', TIMETABLE_JOB_INTERVAL_MS, () => runTimetableJob(deps));
    },
  };
}

/** One run of the timetable job: trips of every weekly line for the days ahead (idempotent). */
export async function runTimetableJob(deps: Pick<Deps, 'database' | 'clock' | 'log' | 'config'>): Promise<number> {
  const created = await createTimetableTrips(
    deps.database.db,
    deps.clock.now(),
    transportSettings(deps.config).timetableDays,
  );
  if (created > 0) deps.log.info({ created }, 'trips created from timetables');
  return created;
}

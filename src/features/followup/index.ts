import type { Deps } from '../../core/dialog.js';
import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { runFollowupBatch } from './batch.js';
import { followupFeature } from './chat.js';
import { followupRoutes } from './routes.js';

/** Ward follow-up (directive §2a): the list and statuses (API, /theodoi) and the batched alert to ward officials. */
export function followupModule(
  deps: Pick<Deps, 'database' | 'clock' | 'config' | 'wakeOutbox'>,
): FeatureModule<AppDeps> {
  return {
    feature: followupFeature(),
    routes: followupRoutes,
    workers: (workers) => {
      workers.every('followup-batch', deps.config.followupBatchMinutes * 60_000, () => runFollowupBatch(deps));
    },
  };
}

import type { Deps } from '../../core/dialog.js';
import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import type { VerifyPageExtension } from '../pass/verify-page.js';
import { checkinFeature } from './checkin-dialog.js';
import { AUTO_CHECKOUT_INTERVAL_MS } from './rules.js';
import { scannerRoutes } from './scanner.js';
import { staffCheckinPanel, staffScanRoutes } from './staff-scan.js';
import { closeOverstayedVisits } from './store.js';
import { backfillIdNumberHashes } from '../people/store.js';

const ID_HASH_BACKFILL_INTERVAL_MS = 60_000;

/** Signed-in venue staff get "record entry" on the pass verify page that their phone camera opens. */
export const staffCheckinVerifyPanel: VerifyPageExtension = (req, info) => staffCheckinPanel(req, info);

/** Check-in by poster or typed code, leave, history, staff scans, and the auto checkout job. */
export function checkinModule(deps: Pick<Deps, 'database' | 'clock' | 'log' | 'secrets'>): FeatureModule<AppDeps> {
  let hashesDone = false;
  return {
    feature: checkinFeature(),
    routes: async (app, d) => {
      await staffScanRoutes(app, d);
      await scannerRoutes(app, d);
    },
    workers: (workers) => {
      workers.every('checkin-auto-checkout', AUTO_CHECKOUT_INTERVAL_MS, async () => {
        const closed = await closeOverstayedVisits(deps.database.db, deps.clock.now());
        if (closed > 0) deps.log.info({ closed }, 'visits closed after their default stay');
      });
      // ID numbers stored before the lookup hash (the scanner's CCCD lookup) get theirs, a batch at a time.
      workers.every('id-number-hash-backfill', ID_HASH_BACKFILL_INTERVAL_MS, async () => {
        if (hashesDone) return;
        const done = await backfillIdNumberHashes(deps.database.db, deps.secrets());
        if (done > 0) deps.log.info({ done }, 'ID number lookup hashes filled in');
        else hashesDone = true;
      });
    },
  };
}

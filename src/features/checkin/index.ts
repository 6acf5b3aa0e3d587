import type { FeatureModule } from '../index.js';
import { verifyPageExtensions } from '../pass/verify-page.js';
import { checkinFeature } from './checkin-dialog.js';
import { AUTO_CHECKOUT_INTERVAL_MS } from './rules.js';
import { staffCheckinPanel, staffScanRoutes } from './staff-scan.js';
import { closeOverstayedVisits } from './store.js';

// Signed-in venue staff get "record entry" on the pass verify page that their phone camera opens.
verifyPageExtensions.push((req, info) => staffCheckinPanel(req, info));

/** Check-in by poster or typed code, leave, history, staff scans, and the auto checkout job. */
export const checkinModule: FeatureModule = {
  feature: () => checkinFeature(),
  routes: staffScanRoutes,
  workers: (workers, deps) => {
    workers.every('checkin-auto-checkout', AUTO_CHECKOUT_INTERVAL_MS, async () => {
      const closed = await closeOverstayedVisits(deps.database.db, deps.clock.now());
      if (closed > 0) deps.log.info({ closed }, 'visits closed after their default stay');
    });
  },
};

import type { Deps } from '../../core/dialog.js';
import type { FeatureModule } from '../../core/module.js';
import { applyRetention, expireUnconsentedAccounts } from './job.js';
import { retentionPolicy } from './policy.js';

/** Deletes personal data past its retention period, and accounts that never consented, hourly. */
export function retentionModule(deps: Pick<Deps, 'config' | 'database' | 'clock' | 'log'>): FeatureModule<unknown> {
  return {
    workers: (workers) => {
      workers.every('retention', 3_600_000, async () => {
        const policy = retentionPolicy(deps.config);
        const result = await applyRetention(deps.database.db, deps.clock.now(), policy);
        const unconsentedAccounts = await expireUnconsentedAccounts(deps.database.db, deps.clock.now(), policy);
        deps.log.info({ deleted: { ...result, unconsentedAccounts } }, 'retention applied');
      });
    },
  };
}

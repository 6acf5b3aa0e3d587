import type { Feature, Deps } from '../core/dialog.js';
import type { RouteModule } from '../http/app.js';
import type { WorkerSet } from '../workers/worker-set.js';
import { passKeysModule } from './pass/keys.js';
import { passVerifyModule } from './pass/verify-page.js';
import { retentionModule } from './retention/job.js';
import { exposureModule } from './exposure/index.js';
import { outboxModule } from '../outbox/module.js';
import { privacyModule } from './privacy/index.js';
import { declarationModule } from './declaration/index.js';
import { familyModule } from './family/index.js';
import { venuesModule } from './venues/index.js';
import { checkinModule } from './checkin/index.js';

/**
 * A feature contributes dialog pieces (commands, flows, buttons, start handlers), HTTP routes and
 * background jobs. Order matters only for idle-text handlers (first match wins).
 */
export interface FeatureModule {
  feature?: (deps: Deps) => Feature;
  routes?: RouteModule;
  workers?: (workers: WorkerSet, deps: Deps) => void;
}

export const featureModules: FeatureModule[] = [
  passKeysModule,
  passVerifyModule,
  retentionModule,
  privacyModule,
  declarationModule,
  familyModule,
  venuesModule,
  checkinModule,
  exposureModule,
  outboxModule,
];

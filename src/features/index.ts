import type { FeatureModule } from '../core/module.js';
import type { AppDeps } from '../http/app.js';
import { broadcastModule } from './broadcast/index.js';
import { checkinModule, staffCheckinVerifyPanel } from './checkin/index.js';
import { consoleModule } from './console/index.js';
import { declarationModule } from './declaration/index.js';
import { startDeclaration } from './declaration/start.js';
import { exposureModule } from './exposure/index.js';
import { familyModule } from './family/index.js';
import { followupModule } from './followup/index.js';
import { handoffModule } from './handoff/index.js';
import { officialsModule } from './officials/index.js';
import { ACCESS } from './officials/roles.js';
import { passModule, type VerifyPageExtension } from './pass/index.js';
import { privacyModule } from './privacy/index.js';
import { reportsModule } from './reports/index.js';
import { retentionModule } from './retention/index.js';
import { statsModule } from './stats/index.js';
import { transportModule } from './transport/index.js';
import { venuesModule } from './venues/index.js';
import { wardsModule } from './wards/index.js';

export interface FeatureOptions {
  /** panels added after the built-in ones on the pass verify page (tests) */
  verifyPageExtensions?: VerifyPageExtension[];
}

/**
 * The features, each handed what it uses from the service's dependencies (complete by now), and the extension
 * points between them wired here rather than by one feature importing another: agreeing to the privacy notice
 * leads into the declaration; check-in places its staff panel on the pass verify page.
 * Order matters only for idle-text handlers (first match wins).
 */
export function featureModules(deps: AppDeps, opts: FeatureOptions = {}): FeatureModule<AppDeps>[] {
  return [
    passModule({ verifyPageExtensions: [staffCheckinVerifyPanel, ...(opts.verifyPageExtensions ?? [])] }),
    retentionModule(deps),
    privacyModule(startDeclaration),
    declarationModule,
    familyModule,
    venuesModule,
    checkinModule(deps),
    transportModule(deps),
    exposureModule,
    officialsModule,
    broadcastModule(deps),
    statsModule,
    consoleModule,
    followupModule(deps),
    reportsModule(deps),
    handoffModule,
    wardsModule(ACCESS.wards, ACCESS.wardHotlines),
  ];
}

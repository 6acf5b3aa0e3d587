import type { ChannelRegistry } from '../../core/channel.js';
import type { Deps } from '../../core/dialog.js';
import type { FeatureModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { broadcastFeature } from './chat.js';
import { trackBroadcasts } from './progress.js';
import { queueDueBroadcasts } from './queue-audience.js';
import { broadcastRoutes } from './routes.js';

export { trackBroadcasts } from './progress.js';
export { queueDueBroadcasts } from './queue-audience.js';

/** Announcements: composed in chat or over the API, queued when due, progress edited in place. */
export function broadcastModule(
  deps: Pick<Deps, 'database' | 'clock' | 'log' | 'wakeOutbox'> & { channels: ChannelRegistry },
): FeatureModule<AppDeps> {
  return {
    feature: broadcastFeature(),
    routes: broadcastRoutes,
    workers: (workers) => {
      workers.every('broadcast-queue', 1000, async () => {
        if ((await queueDueBroadcasts(deps)).length > 0) deps.wakeOutbox();
      });
      workers.every('broadcast-progress', 1000, () => trackBroadcasts(deps));
    },
  };
}

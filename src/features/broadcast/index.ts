import type { FeatureModule } from '../index.js';
import type { ChannelRegistry } from '../../core/channel.js';
import { broadcastFeature } from './chat.js';
import { trackBroadcasts } from './progress.js';
import { queueDueBroadcasts } from './queue-audience.js';
import { broadcastRoutes } from './routes.js';

export { trackBroadcasts } from './progress.js';
export { queueDueBroadcasts } from './queue-audience.js';

export const broadcastModule: FeatureModule = {
  feature: () => broadcastFeature(),
  routes: broadcastRoutes,
  workers: (workers, deps) => {
    workers.every('broadcast-queue', 1000, async () => {
      if ((await queueDueBroadcasts(deps)).length > 0) deps.wakeOutbox?.();
    });
    // The service hands workers the AppDeps object, which carries the channel senders.
    workers.every('broadcast-progress', 1000, () => trackBroadcasts({ ...deps, channels: (deps as { channels?: ChannelRegistry }).channels }));
  },
};

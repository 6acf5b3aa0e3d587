import type { FeatureModule } from '../features/index.js';
import type { AppDeps } from '../http/app.js';
import { OutboxDispatcher } from './dispatcher.js';

/**
 * Runs the outbox dispatcher with the server and sets deps.wakeOutbox, so rows committed by a request leave at
 * once rather than at the next poll. Other instances pick rows up on their own poll (about a second).
 */
export const outboxModule: FeatureModule = {
  workers: (workers, deps) => {
    // The service hands every hook its AppDeps; channels and metrics live there (channels register later,
    // into the same map, so the dispatcher looks senders up at send time).
    const app = deps as Partial<AppDeps>;
    const dispatcher = new OutboxDispatcher({
      database: deps.database,
      channels: app.channels ?? new Map(),
      clock: deps.clock,
      log: deps.log,
      metrics: app.metrics,
      maxAttempts: deps.config.outboxMaxAttempts,
    });
    deps.wakeOutbox = () => dispatcher.wake();
    (deps.extra ??= {}).outboxDispatcher = dispatcher;
    workers.add(dispatcher);
  },
};

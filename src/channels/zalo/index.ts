import type { ChannelModule } from '../../core/module.js';
import type { AppDeps } from '../../http/app.js';
import { ZaloTokenStore } from './token-store.js';
import { zaloWebhookRoutes } from './webhook.js';
import { ZaloApi } from './zalo-api.js';
import { ZaloSender } from './zalo-sender.js';

export { ZaloSender, toDeliveryError, ZaloCode } from './zalo-sender.js';
export { ZaloTokenStore } from './token-store.js';
export { ZaloApi, ZaloApiError } from './zalo-api.js';

/** The Zalo Official Account channel: on when the four ZALO_* app variables are set. */
export const zaloChannel: ChannelModule<AppDeps> = {
  name: 'zalo',
  enabled: (deps) => deps.config.zalo !== undefined,
  create(deps, runner, workers) {
    const zalo = deps.config.zalo!;
    const api = new ZaloApi({
      apiRoot: zalo.apiRoot,
      oauthRoot: zalo.oauthRoot,
      appId: zalo.appId,
      appSecret: zalo.appSecret,
    });
    const log = deps.log.child({ channel: 'zalo' });
    const tokens = new ZaloTokenStore(deps.database.db, api, deps.clock, log, {
      accessToken: zalo.accessToken,
      refreshToken: zalo.refreshToken,
    });
    // Every instance runs it; the row lock lets one refresh and the others find the new pair.
    workers.every('zalo-token-refresh', 15 * 60_000, () => tokens.keepFresh(), { everyInstance: true });
    const sender = new ZaloSender(deps.database.db, api, tokens, zalo, deps.clock, log);
    return { sender, routes: zaloWebhookRoutes(sender, runner) };
  },
};

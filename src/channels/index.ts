import type { ChannelSender } from '../core/channel.js';
import type { Deps, DialogRunner } from '../core/dialog.js';
import type { RouteModule } from '../http/app.js';
import type { WorkerSet } from '../workers/worker-set.js';
import { telegramChannelModule } from './telegram/index.js';
import { webChannel } from './web/index.js';
import { zaloChannel } from './zalo/index.js';

/** A channel adapter: inbound routes (webhooks, pages), an outbound sender, and workers (polling). */
export interface ChannelModule {
  name: string;
  enabled(deps: Deps): boolean;
  create(deps: Deps, runner: DialogRunner, workers: WorkerSet): Promise<{ sender?: ChannelSender; routes?: RouteModule }> | { sender?: ChannelSender; routes?: RouteModule };
}

export const channelModules: ChannelModule[] = [telegramChannelModule, webChannel, zaloChannel];

import type { ChannelModule } from '../core/module.js';
import type { AppDeps } from '../http/app.js';
import { telegramChannelModule } from './telegram/index.js';
import { webChannel } from './web/index.js';
import { zaloChannel } from './zalo/index.js';

export const channelModules: ChannelModule<AppDeps>[] = [telegramChannelModule, webChannel, zaloChannel];

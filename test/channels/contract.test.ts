import { runChannelContract } from './contract.js';
import { telegramHarness, webHarness, zaloHarness } from './harnesses.js';

// The same scenarios against every adapter, each behind its platform's fake.
runChannelContract('telegram', telegramHarness);
runChannelContract('zalo', zaloHarness('buttons'));
// A channel without buttons at all: the core's numbered choices carry every menu.
runChannelContract('zalo (numbered only)', zaloHarness('numbered'));
runChannelContract('web', webHarness);

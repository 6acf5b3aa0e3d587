import { startFakeTelegram, webhookEnv, type FakeTelegram } from './fake-telegram.js';
import { startTestService, type TestService } from './service.js';

export interface TelegramTestService {
  tg: FakeTelegram;
  svc: TestService;
  /** stop the service (dropping its database) and the fake */
  close(): Promise<void>;
}

/** A fake Bot API and the service in webhook mode against it (webhook secret `secret`), for end-to-end tests. */
export async function startTelegramTestService(
  secret: string,
  opts: Parameters<typeof startTestService>[0] = {},
): Promise<TelegramTestService> {
  const tg = await startFakeTelegram();
  const svc = await startTestService({ ...opts, env: { ...webhookEnv(tg, secret), ...opts.env } });
  return {
    tg,
    svc,
    close: async () => {
      await svc.close();
      await tg.close();
    },
  };
}

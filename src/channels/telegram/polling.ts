import type { FastifyBaseLogger } from 'fastify';
import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import { scrub } from '../../core/dialog.js';
import { AppError } from '../../core/errors.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { retrying } from './background-task.js';
import { ALLOWED_UPDATES } from './bot-setup.js';
import { asGrammySignal, toDeliveryError } from './sender.js';

export const POLL_TIMEOUT_SECONDS = 25;

/**
 * Long-polls getUpdates until `signal` aborts, handing each update to `handle` in order. The offset moves past
 * an update only once it is handled (or failed for good), so a temporary failure (database down, Telegram
 * unreachable) retries the same update; an update interrupted by stop comes back at the next start and the
 * runner's de-duplication keeps it from acting twice.
 */
export async function pollUpdates(
  api: Api,
  signal: AbortSignal,
  handle: (update: Update) => Promise<void>,
  log: FastifyBaseLogger,
  clock: Clock = systemClock,
): Promise<void> {
  let offset: number | undefined;
  let delay = 1000;
  while (!signal.aborted) {
    let updates: Update[];
    try {
      updates = await api.getUpdates(
        { offset, timeout: POLL_TIMEOUT_SECONDS, allowed_updates: [...ALLOWED_UPDATES] },
        asGrammySignal(signal),
      );
      delay = 1000;
    } catch (err) {
      if (signal.aborted) return;
      log.warn({ error: toDeliveryError(err).message }, `telegram getUpdates failed, retrying in ${delay} ms`);
      await clock.sleep(delay, signal);
      delay = Math.min(delay * 2, 30_000);
      continue;
    }
    for (const update of updates) {
      await retrying(
        signal,
        log,
        'telegram update',
        async () => {
          try {
            await handle(update);
          } catch (err) {
            // 503-class errors (database down, Telegram unreachable) mean "try this update again".
            if (err instanceof AppError && err.status === 503) throw err;
            log.error({ err: scrub(err), updateId: update.update_id }, 'telegram update failed');
          }
        },
        clock,
      );
      if (signal.aborted) return;
      offset = update.update_id + 1;
    }
  }
}

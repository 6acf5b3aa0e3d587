import { randomUUID } from 'node:crypto';
import { enqueue, type OutboxMessage } from './enqueue.js';
import { DeliveryError } from '../core/channel.js';
import { markReachable } from '../core/channel-state.js';
import { scrub, type Deps, type HandleResult } from '../core/dialog.js';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../core/errors.js';
import type { ChannelName, Inbound, Outbound } from '../core/messages.js';

/** Replies held in memory while the database is down; beyond this the oldest is given up (and logged). */
const MAX_HELD_REPLIES = 1_000;

export type ReplyOutcome = 'none' | 'sent' | 'queued' | 'unreachable' | 'failed';

/**
 * "Reply now, else queue", written once for every channel that sends its replies itself (the web chat hands
 * them back in the HTTP answer instead). The dialog has committed when this runs, so a reply that cannot go
 * now for a passing reason goes to the outbox rather than being lost; a platform saying the person is gone
 * marks the account unreachable.
 *
 * If even the outbox cannot be reached, the rest is held here and DatabaseUnavailableError is thrown, so the
 * adapter can ask the platform to deliver the update again: that redelivery is a duplicate for the runner,
 * and queues what was held.
 */
export class ReplyDelivery {
  private readonly held = new Map<string, OutboxMessage>();

  constructor(
    private readonly deps: Pick<Deps, 'database' | 'clock' | 'log' | 'wakeOutbox'>,
    private readonly channel: ChannelName,
  ) {}

  /** `send` delivers the messages in order and throws DeliveryError (with `sent` when some got through). */
  async deliver(
    inbound: Inbound,
    result: HandleResult,
    send: (messages: Outbound[]) => Promise<unknown>,
  ): Promise<ReplyOutcome> {
    const updateId = inbound.messageId;
    if (result.duplicate) {
      const held = updateId === undefined ? undefined : this.held.get(updateId);
      if (held) await this.queue(updateId!, held);
      return 'none';
    }
    if (result.replies.length === 0) return 'none';
    const log = this.deps.log;
    try {
      await send(result.replies);
      return 'sent';
    } catch (err) {
      const failure =
        err instanceof DeliveryError ? err : new DeliveryError('retry', String((err as Error)?.message ?? err));
      if (failure.kind === 'unreachable') {
        log.info({ channel: this.channel, messageId: updateId }, 'reply refused: account unreachable');
        await markReachable(this.deps.database.db, this.channel, inbound.accountId, false, {
          reason: 'blocked',
          now: this.deps.clock.now(),
        });
        return 'unreachable';
      }
      if (failure.kind === 'retry' && result.accountId) {
        const rest = result.replies.slice(failure.sent ?? 0);
        const key = updateId ?? randomUUID();
        await this.queue(key, {
          channel: this.channel,
          accountId: result.accountId,
          kind: 'reply',
          refId: updateId,
          dedupeKey: `${this.channel}-reply:${key}`,
          messages: rest,
          notBefore: failure.retryAfterMs
            ? new Date(this.deps.clock.now().getTime() + failure.retryAfterMs)
            : undefined,
        });
        log.warn(
          { channel: this.channel, messageId: updateId, error: failure.message, queued: rest.length },
          'reply failed; rest queued in the outbox',
        );
        return 'queued';
      }
      log.error({ channel: this.channel, messageId: updateId, err: scrub(failure) }, 'reply failed');
      return 'failed';
    }
  }

  private async queue(key: string, item: OutboxMessage): Promise<void> {
    try {
      await enqueue(this.deps.database.db, [item]);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      this.held.set(key, item);
      if (this.held.size > MAX_HELD_REPLIES) {
        const [oldest] = this.held.keys();
        this.held.delete(oldest!);
        this.deps.log.error(
          { channel: this.channel, messageId: oldest },
          'reply given up: too many replies waiting for the database',
        );
      }
      throw new DatabaseUnavailableError(err);
    }
    this.held.delete(key);
    this.deps.wakeOutbox?.();
  }
}

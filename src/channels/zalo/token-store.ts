import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../db/client.js';
import { settings } from '../../db/schema/index.js';
import { ZaloApiError, type ZaloApi } from './zalo-api.js';

const KEY = 'zalo.tokens';
/** Refresh this long before the access token's end, so a send never starts with a dying token. */
const REFRESH_MARGIN_MS = 30 * 60_000;

interface StoredPair {
  accessToken: string;
  refreshToken: string;
  /** ISO time; null = unknown (a pair from the environment): refreshed only when Zalo rejects it */
  expiresAt: string | null;
  /** hash of the environment pair this chain started from: a new pair in the environment replaces the chain */
  seed: string;
}

/** No usable token pair: the operator must authorise the OA again (README "Connecting Zalo"). */
export class ZaloTokenMissingError extends Error {
  constructor(reason = 'no Zalo access token: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN') {
    super(reason);
    this.name = 'ZaloTokenMissingError';
  }
}

/**
 * The OA's access/refresh pair, kept in the `settings` table so every instance uses the same one.
 * Refresh tokens are single-use: a refresh holds the row lock while it calls Zalo and writes the new pair
 * before anyone uses it, and a caller whose token was already replaced takes the new one instead of
 * refreshing again (so two instances never spend the same refresh token).
 */
export class ZaloTokenStore {
  private inflight?: Promise<string>;
  /**
   * The pair as this instance last saw it. Safe to reuse: if another instance has refreshed since, Zalo
   * rejects the old token (or it nears its end) and refresh() reads the row under its lock and takes the
   * new pair without calling Zalo.
   */
  private cached?: StoredPair;

  constructor(
    private readonly db: Db,
    private readonly api: ZaloApi,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
    private readonly initial: { accessToken?: string; refreshToken?: string },
  ) {}

  /** A usable access token, refreshed first when it ends within the margin. */
  async accessToken(): Promise<string> {
    const pair = await this.load();
    if (pair.expiresAt && new Date(pair.expiresAt).getTime() - this.clock.now().getTime() < REFRESH_MARGIN_MS) {
      return this.refresh(pair.accessToken);
    }
    return pair.accessToken;
  }

  /**
   * For the periodic job: rotate the pair when its end is unknown (a pair from the environment) or near,
   * so an OA that sends nothing for weeks does not let its refresh token lapse (about 3 months).
   * Returns true when it refreshed.
   */
  async keepFresh(): Promise<boolean> {
    const pair = await this.load();
    const end = pair.expiresAt ? new Date(pair.expiresAt).getTime() : undefined;
    if (end !== undefined && end - this.clock.now().getTime() >= REFRESH_MARGIN_MS) return false;
    await this.refresh(pair.accessToken);
    return true;
  }

  /**
   * Replace `staleAccessToken` (rejected by Zalo or about to expire). Single-flight: within this process
   * callers share one refresh; across instances the row lock makes the others wait and then find the new pair.
   */
  refresh(staleAccessToken: string): Promise<string> {
    this.inflight ??= this.refreshLocked(staleAccessToken).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refreshLocked(staleAccessToken: string): Promise<string> {
    await this.load(); // seeds the row on first use
    return this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(settings).where(eq(settings.key, KEY)).for('update');
      const pair = row?.value as StoredPair | undefined;
      if (!pair) throw new ZaloTokenMissingError();
      if (pair.accessToken !== staleAccessToken) {
        this.cached = pair; // someone else refreshed already
        return pair.accessToken;
      }
      if (!pair.refreshToken) throw new ZaloTokenMissingError();
      const grant = await this.api.refresh(pair.refreshToken).catch((err: unknown) => {
        if (!(err instanceof ZaloApiError)) throw err;
        this.log.error(
          { code: err.code },
          'zalo refused the refresh token; put a new pair in ZALO_ACCESS_TOKEN/ZALO_REFRESH_TOKEN',
        );
        throw new ZaloTokenMissingError(`Zalo refused the refresh token (${err.code})`);
      });
      const next: StoredPair = {
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken,
        expiresAt: new Date(this.clock.now().getTime() + grant.expiresIn * 1000).toISOString(),
        seed: pair.seed,
      };
      await tx.update(settings).set({ value: next, updatedAt: this.clock.now() }).where(eq(settings.key, KEY));
      this.cached = next;
      this.log.info({ expiresAt: next.expiresAt }, 'zalo access token refreshed');
      return next.accessToken;
    });
  }

  private async load(): Promise<StoredPair> {
    if (this.cached) return this.cached;
    const [row] = await this.db.select().from(settings).where(eq(settings.key, KEY));
    const stored = row?.value as StoredPair | undefined;
    const { accessToken, refreshToken } = this.initial;
    if (accessToken && refreshToken) {
      const seed = createHash('sha256').update(`${accessToken}\n${refreshToken}`).digest('hex');
      if (!stored || stored.seed !== seed) {
        // First start, or the operator authorised the OA again and put a fresh pair in the environment.
        const value: StoredPair = { accessToken, refreshToken, expiresAt: null, seed };
        await this.db
          .insert(settings)
          .values({ key: KEY, value, updatedAt: this.clock.now() })
          .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: this.clock.now() } });
        if (stored) this.log.warn('zalo token pair replaced by the one in the environment');
        return (this.cached = value);
      }
    }
    if (!stored) throw new ZaloTokenMissingError();
    return (this.cached = stored);
  }
}

import type { AxiosInstance } from 'axios';

/**
 * Zalo answered HTTP 200 with a non-zero `error` (its way of failing), or the OAuth server refused.
 * `code` is Zalo's number (-216 invalid token, -220 expired, -230 outside the interaction window…).
 */
export class ZaloApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`Zalo error ${code}: ${message}`);
    this.name = 'ZaloApiError';
  }
}

/** The network or Zalo's server failed (timeout, 5xx): worth trying again later. */
export class ZaloTransportError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ZaloTransportError';
  }
}

export interface TokenGrant {
  accessToken: string;
  refreshToken: string;
  /** seconds; Zalo sends it as a string ("90000") */
  expiresIn: number;
}

export interface ZaloApiOptions {
  apiRoot: string;
  oauthRoot: string;
  appId: string;
  appSecret: string;
  timeoutMs?: number;
}

/** Zalo's image upload limit (jpg/png). */
export const MAX_IMAGE_BYTES = 1024 * 1024;

/**
 * A thin client over the OA Open API and OAuth v4 (no maintained Node SDK exists). It knows paths and
 * shapes, not tokens' storage: callers pass the access token.
 */
export class ZaloApi {
  /** axios is imported with the first request: an instance without Zalo never loads it (start-up, memory) */
  private http: Promise<AxiosInstance> | undefined;

  constructor(private readonly opts: ZaloApiOptions) {}

  private client(): Promise<AxiosInstance> {
    return (this.http ??= import('axios').then(({ default: axios }) =>
      axios.create({
        timeout: this.opts.timeoutMs ?? 10_000,
        // Zalo reports failures in the body; only transport problems should throw here.
        validateStatus: () => true,
        maxRedirects: 0,
      }),
    ));
  }

  /** POST JSON to the OA API with the bare `access_token` header Zalo expects; returns `data`. */
  async post<T = Record<string, unknown>>(path: string, body: unknown, accessToken: string): Promise<T> {
    return this.request<T>(async () =>
      (await this.client()).post(`${this.opts.apiRoot}${path}`, body, {
        headers: { access_token: accessToken, 'content-type': 'application/json' },
      }),
    );
  }

  /** Upload a PNG/JPEG (≤ 1 MB); returns the attachment id for a media template. */
  async uploadImage(png: Buffer, filename: string, accessToken: string): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), filename);
    const data = await this.request<{ attachment_id?: string }>(async () =>
      (await this.client()).post(`${this.opts.apiRoot}/v2.0/oa/upload/image`, form, {
        headers: { access_token: accessToken },
      }),
    );
    if (!data?.attachment_id) throw new ZaloApiError(0, 'upload answered without attachment_id');
    return data.attachment_id;
  }

  /** Exchange a refresh token for a new pair. The refresh token is spent whatever happens next. */
  async refresh(refreshToken: string): Promise<TokenGrant> {
    const form = new URLSearchParams({
      refresh_token: refreshToken,
      app_id: this.opts.appId,
      grant_type: 'refresh_token',
    });
    let res;
    try {
      res = await (
        await this.client()
      ).post(`${this.opts.oauthRoot}/v4/oa/access_token`, form.toString(), {
        headers: { secret_key: this.opts.appSecret, 'content-type': 'application/x-www-form-urlencoded' },
      });
    } catch (err) {
      throw transportError(err);
    }
    if (res.status >= 500) throw new ZaloTransportError(`OAuth server answered ${res.status}`, res.status);
    const b = (res.data ?? {}) as Record<string, unknown>;
    if (typeof b.access_token !== 'string' || typeof b.refresh_token !== 'string') {
      const code = typeof b.error === 'number' ? b.error : res.status;
      throw new ZaloApiError(code, String(b.error_description ?? b.error_name ?? b.message ?? 'token refresh refused'));
    }
    const expiresIn = Number(b.expires_in);
    return {
      accessToken: b.access_token,
      refreshToken: b.refresh_token,
      expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 90_000,
    };
  }

  private async request<T>(run: () => Promise<{ status: number; data: unknown }>): Promise<T> {
    let res;
    try {
      res = await run();
    } catch (err) {
      throw transportError(err);
    }
    if (res.status >= 500 || res.status === 429)
      throw new ZaloTransportError(`Zalo answered ${res.status}`, res.status);
    const body = (res.data ?? {}) as { error?: unknown; message?: unknown; data?: unknown };
    if (res.status >= 400) throw new ZaloApiError(res.status, String(body.message ?? 'HTTP error'));
    const code = Number(body.error ?? 0);
    if (code !== 0) throw new ZaloApiError(code, String(body.message ?? 'unknown error'));
    return body.data as T;
  }
}

function transportError(err: unknown): ZaloTransportError {
  // Never pass the axios error on: its config holds the access token and the request body.
  if (isAxiosError(err))
    return new ZaloTransportError(`${err.code ?? 'network'}: ${err.message}`, err.response?.status);
  return new ZaloTransportError(String((err as Error)?.message ?? err));
}

/** axios's own isAxiosError, without importing axios for it. */
function isAxiosError(err: unknown): err is { code?: string; message: string; response?: { status: number } } {
  return typeof err === 'object' && err !== null && (err as { isAxiosError?: unknown }).isAxiosError === true;
}

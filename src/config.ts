import { z } from 'zod';

/**
 * The whole environment contract in one schema (see DESIGN.md "Contract: environment").
 * Parsed once in main.ts and passed down; nothing else reads process.env.
 */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const port = z.coerce
  .number({ message: 'must be a whole number from 1 to 65535' })
  .int('must be a whole number from 1 to 65535')
  .min(1, 'must be a whole number from 1 to 65535')
  .max(65535, 'must be a whole number from 1 to 65535');

const positiveInt = (fallback: number) =>
  z.coerce
    .number({ message: 'must be a positive whole number' })
    .int('must be a positive whole number')
    .positive('must be a positive whole number')
    .default(fallback);

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL such as https://khaibao.example.vn')
  .transform((v) => v.replace(/\/+$/, ''));

/** Weekday names WEEKLY_REPORT_AT accepts (English and Vietnamese short forms), Monday = 1 … Sunday = 7. */
const WEEKDAYS: Record<string, number> = {
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
  sun: 7,
  t2: 1,
  t3: 2,
  t4: 3,
  t5: 4,
  t6: 5,
  t7: 6,
  cn: 7,
};

/** When the weekly report leaves, in Vietnam time: `mon 07:00` → {weekday 1, hour 7, minute 0}; `off` → null. */
export interface WeeklyReportAt {
  weekday: number;
  hour: number;
  minute: number;
}

export function parseWeeklyAt(v: string): WeeklyReportAt | null | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'off') return null;
  const m = /^([a-z0-9]{2,3})\s+(\d{1,2}):(\d{2})$/.exec(s);
  if (!m || !(m[1]! in WEEKDAYS)) return undefined;
  const hour = Number(m[2]);
  const minute = Number(m[3]);
  if (hour > 23 || minute > 59) return undefined;
  return { weekday: WEEKDAYS[m[1]!]!, hour, minute };
}

const envSchema = z
  .object({
    PORT: port.default(3000),
    HOST: z.string().trim().min(1).default('0.0.0.0'),
    PUBLIC_URL: httpUrl.optional(),
    DATABASE_URL: optionalString.refine(
      (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
      'must start with postgres:// or postgresql://',
    ),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    TELEGRAM_BOT_TOKEN: optionalString.refine(
      (v) => v === undefined || /^\d+:[A-Za-z0-9_-]{20,}$/.test(v),
      'does not look like a BotFather token (digits:letters)',
    ),
    TELEGRAM_WEBHOOK_SECRET: optionalString.refine(
      (v) => v === undefined || /^[A-Za-z0-9_-]{1,256}$/.test(v),
      'must be 1-256 characters of A-Z a-z 0-9 _ -',
    ),
    TELEGRAM_API_ROOT: httpUrl.default('https://api.telegram.org'),
    TELEGRAM_MODE: z.enum(['webhook', 'polling'], { message: 'must be webhook or polling' }).optional(),
    TELEGRAM_RATE_PER_SECOND: positiveInt(25).refine((v) => v <= 1000, 'must be at most 1000'),

    ZALO_APP_ID: optionalString,
    ZALO_APP_SECRET: optionalString,
    ZALO_OA_ID: optionalString,
    ZALO_OA_SECRET_KEY: optionalString,
    ZALO_ACCESS_TOKEN: optionalString,
    ZALO_REFRESH_TOKEN: optionalString,
    ZALO_API_ROOT: httpUrl.default('https://openapi.zalo.me'),
    ZALO_OAUTH_ROOT: httpUrl.default('https://oauth.zaloapp.com'),
    // Zalo facts the sources disagree on are settings (README "Connecting Zalo").
    ZALO_TEMPLATE_ID: optionalString,
    ZALO_TEMPLATE_TEXT_PARAM: z.string().trim().min(1).default('content'),
    ZALO_WINDOW_HOURS: positiveInt(168),
    // Signed events older or newer than this are refused (replay bound); Zalo retries for up to about 2 hours.
    ZALO_EVENT_WINDOW_MINUTES: positiveInt(10),
    ZALO_RATE_PER_MINUTE: positiveInt(4000),
    ZALO_BUTTONS: z.enum(['buttons', 'numbered'], { message: 'must be buttons or numbered' }).default('buttons'),
    ZALO_REQUEST_INFO_IMAGE_URL: optionalString.refine(
      (v) => v === undefined || /^https?:\/\//.test(v),
      'must be an http(s) URL of the image shown on the phone-number request',
    ),

    ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
    KHAIBAO_MASTER_KEY: optionalString.refine(
      (v) => v === undefined || v.length >= 32,
      'must be at least 32 characters (e.g. openssl rand -base64 32)',
    ),
    PASS_SIGNING_KEY: optionalString.refine(
      (v) => v === undefined || v.includes('BEGIN PRIVATE KEY'),
      'must be an Ed25519 private key in PEM (-----BEGIN PRIVATE KEY-----)',
    ),

    WEB_CHAT: z.enum(['on', 'off', 'auto']).default('auto'),
    PASS_VALID_HOURS: positiveInt(24),
    // A printed card's token; 4000 days keeps the expiry inside the token's 32-bit seconds for decades.
    CARD_VALID_DAYS: positiveInt(180).refine((v) => v <= 4000, 'must be at most 4000'),
    CARD_ISSUER: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(80, 'must be at most 80 characters')
      .default('Sở Y tế thành phố Cần Thơ'),
    EXPOSURE_BUFFER_MINUTES: z.coerce.number().int().min(0).default(60),
    // Vehicles and trips (src/features/transport).
    TRIP_CLOSE_SEAT_ROWS: z.coerce.number().int().min(0).max(50).default(2),
    TRIP_BOARDING_MINUTES: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 60)
      .default(60),
    TRIP_TIMETABLE_DAYS: z.coerce.number().int().min(1).max(60).default(14),
    FOLLOWUP_BATCH_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
    WEEKLY_REPORT_AT: z
      .string()
      .default('mon 07:00')
      .refine(
        (v) => parseWeeklyAt(v) !== undefined,
        'must be a weekday and a Vietnam time such as "mon 07:00" (mon…sun or t2…t7, cn), or "off"',
      ),
    HOTLINE: z.string().trim().default('1900 9095'),
    CASE_PREVIEW_REQUIRED: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
    OUTBOX_MAX_ATTEMPTS: positiveInt(8),
    // How long an instance's claim on outbox rows lasts: a killed instance's unsent rows come back after it.
    OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
    // Days personal data is kept (DESIGN.md "Retention"); src/features/retention/policy.ts holds the rest.
    RETENTION_VISITS_DAYS: positiveInt(21),
    RETENTION_DECLARATIONS_DAYS: positiveInt(28),
    RETENTION_DIALOG_DAYS: positiveInt(7),
    // Requests per minute per client address (and per web chat client id) on the anonymous endpoints.
    RATE_LIMIT_CHAT_PER_MINUTE: positiveInt(120),
    RATE_LIMIT_CHAT_CLIENT_PER_MINUTE: positiveInt(30),
    RATE_LIMIT_PAGES_PER_MINUTE: positiveInt(300),
    RATE_LIMIT_LOGIN_PER_MINUTE: positiveInt(10),
    TRUST_PROXY: optionalString.refine(
      (v) => v === undefined || /^(true|false|\d{1,2}|[0-9a-fA-F.:/, ]+)$/.test(v),
      'must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses (CIDR allowed)',
    ),
    METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  })
  .superRefine((env, ctx) => {
    const mode = env.TELEGRAM_MODE ?? defaultTelegramMode(env.PUBLIC_URL);
    if (env.TELEGRAM_BOT_TOKEN && mode === 'webhook' && !env.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_WEBHOOK_SECRET'],
        message: 'is required when Telegram runs in webhook mode (or set TELEGRAM_MODE=polling)',
      });
    }
    const zalo = ['ZALO_APP_ID', 'ZALO_APP_SECRET', 'ZALO_OA_ID', 'ZALO_OA_SECRET_KEY'] as const;
    const set = zalo.filter((k) => env[k] !== undefined);
    if (set.length > 0 && set.length < zalo.length) {
      for (const k of zalo) {
        if (env[k] === undefined) {
          ctx.addIssue({ code: 'custom', path: [k], message: `is required when ${set.join(', ')} is set` });
        }
      }
    }
  });

function defaultTelegramMode(publicUrl: string | undefined): 'webhook' | 'polling' {
  return publicUrl?.startsWith('https://') ? 'webhook' : 'polling';
}

export type Env = Record<string, string | undefined>;

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl?: string;
  dataDir: string;
  logLevel: string;
  telegram?: {
    token: string;
    webhookSecret?: string;
    apiRoot: string;
    mode: 'webhook' | 'polling';
    /** messages per second the outbox may send through Telegram (default 25) */
    ratePerSecond?: number;
  };
  zalo?: {
    appId: string;
    appSecret: string;
    oaId: string;
    oaSecretKey: string;
    accessToken?: string;
    refreshToken?: string;
    apiRoot: string;
    oauthRoot: string;
    /** approved ZBS template for messages outside the interaction window; unset = those are undeliverable */
    templateId?: string;
    /** the template parameter that receives the message text */
    templateTextParam: string;
    /** hours after the person's last message during which consultation messages may be sent */
    windowHours: number;
    /** webhook events whose timestamp is further than this from now are refused */
    eventWindowMinutes: number;
    ratePerMinute: number;
    /** 'buttons': Zalo query buttons plus numbered options; 'numbered': numbered options only */
    buttonMode: 'buttons' | 'numbered';
    /** image for Zalo's request_user_info card (the phone question); unset = the person types the number */
    requestInfoImageUrl?: string;
  };
  webChat: boolean;
  adminToken?: string;
  passSigningKey?: string;
  /** wraps the keys kept in the database (src/core/secrets.ts); unset = development, kept unwrapped */
  masterKey?: string;
  passValidHours: number;
  /** a printed card's QR stays valid this many days unless revoked or reissued */
  cardValidDays: number;
  /** the issuer line printed on cards */
  cardIssuer: string;
  exposureBufferMinutes: number;
  /**
   * Vehicles and trips: passengers within ± closeSeatRows seat rows of a case are close contacts (TRIP_CLOSE_SEAT_ROWS,
   * 2); a poster scan joins a trip departing within boardingMinutes (TRIP_BOARDING_MINUTES, 60) or under way; the
   * timetable job keeps trips created timetableDays ahead (TRIP_TIMETABLE_DAYS, 14). Unset: these defaults.
   */
  transport?: { closeSeatRows: number; boardingMinutes: number; timetableDays: number };
  /** how often ward health officials get the batched message about new residents with symptoms or risk answers */
  followupBatchMinutes: number;
  /** when city officials get the weekly deployment report in chat (Vietnam time); null = never */
  weeklyReportAt: WeeklyReportAt | null;
  hotline: string;
  /**
   * CASE_PREVIEW_REQUIRED: a real POST /api/v1/cases must carry the previewed `windows` (from a dryRun answer,
   * possibly trimmed); off = the API alerts at once as before. The chat's /f0 always previews.
   */
  casePreviewRequired?: boolean;
  /** an outbox message is given up (status dead) after this many failed delivery attempts */
  outboxMaxAttempts: number;
  /** OUTBOX_LEASE_SECONDS: a claim on outbox rows lasts this long (a dead instance's rows come back after it) */
  outboxLeaseSeconds: number;
  /** retention periods in days that differ from the defaults (src/features/retention/policy.ts) */
  retention?: { visitsDays?: number; declarationsDays?: number; dialogIdleDays?: number };
  /** requests per minute on the anonymous endpoints (src/http/security.ts); unset = the defaults */
  rateLimits?: RateLimits;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client address the rate limits key on */
  trustProxy?: boolean | number | string;
  /** bearer token Prometheus sends to GET /metrics (the admin token works too) */
  metricsToken?: string;
}

export interface RateLimits {
  /** POST /chat/api/messages per client address */
  chatPerAddress: number;
  /** POST /chat/api/messages per web chat client id */
  chatPerClient: number;
  /** pages and the web chat's inbox (/chat, /v/, /c/, /o/, poster links, staff check-ins) per client address */
  pagesPerAddress: number;
  /** staff login links and invite pages per client address: codes must not be guessable by trying */
  loginPerAddress: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  chatPerAddress: 120,
  chatPerClient: 30,
  pagesPerAddress: 300,
  loginPerAddress: 10,
};

function parseTrustProxy(v: string | undefined): boolean | number | string | undefined {
  if (v === undefined || v === 'false') return undefined;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parse the environment; throws ConfigError with one line per problem, each naming its variable. */
export function loadConfig(env: Env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || 'environment';
      const received = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
      const shown = received !== undefined && !isSecretName(name) ? ` (got "${received}")` : '';
      return `${name} ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  const telegram = e.TELEGRAM_BOT_TOKEN
    ? {
        token: e.TELEGRAM_BOT_TOKEN,
        webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
        apiRoot: e.TELEGRAM_API_ROOT,
        mode: e.TELEGRAM_MODE ?? defaultTelegramMode(e.PUBLIC_URL),
        ratePerSecond: e.TELEGRAM_RATE_PER_SECOND,
      }
    : undefined;
  const zalo =
    e.ZALO_APP_ID && e.ZALO_APP_SECRET && e.ZALO_OA_ID && e.ZALO_OA_SECRET_KEY
      ? {
          appId: e.ZALO_APP_ID,
          appSecret: e.ZALO_APP_SECRET,
          oaId: e.ZALO_OA_ID,
          oaSecretKey: e.ZALO_OA_SECRET_KEY,
          accessToken: e.ZALO_ACCESS_TOKEN,
          refreshToken: e.ZALO_REFRESH_TOKEN,
          apiRoot: e.ZALO_API_ROOT,
          oauthRoot: e.ZALO_OAUTH_ROOT,
          templateId: e.ZALO_TEMPLATE_ID,
          templateTextParam: e.ZALO_TEMPLATE_TEXT_PARAM,
          windowHours: e.ZALO_WINDOW_HOURS,
          eventWindowMinutes: e.ZALO_EVENT_WINDOW_MINUTES,
          ratePerMinute: e.ZALO_RATE_PER_MINUTE,
          buttonMode: e.ZALO_BUTTONS,
          requestInfoImageUrl: e.ZALO_REQUEST_INFO_IMAGE_URL,
        }
      : undefined;
  const webChat = e.WEB_CHAT === 'on' || (e.WEB_CHAT === 'auto' && !telegram && !zalo);
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    telegram,
    zalo,
    webChat,
    adminToken: e.ADMIN_TOKEN,
    passSigningKey: e.PASS_SIGNING_KEY,
    masterKey: e.KHAIBAO_MASTER_KEY,
    passValidHours: e.PASS_VALID_HOURS,
    cardValidDays: e.CARD_VALID_DAYS,
    cardIssuer: e.CARD_ISSUER,
    exposureBufferMinutes: e.EXPOSURE_BUFFER_MINUTES,
    transport: {
      closeSeatRows: e.TRIP_CLOSE_SEAT_ROWS,
      boardingMinutes: e.TRIP_BOARDING_MINUTES,
      timetableDays: e.TRIP_TIMETABLE_DAYS,
    },
    followupBatchMinutes: e.FOLLOWUP_BATCH_MINUTES,
    weeklyReportAt: parseWeeklyAt(e.WEEKLY_REPORT_AT) ?? null,
    hotline: e.HOTLINE,
    casePreviewRequired: e.CASE_PREVIEW_REQUIRED === 'true',
    outboxMaxAttempts: e.OUTBOX_MAX_ATTEMPTS,
    outboxLeaseSeconds: e.OUTBOX_LEASE_SECONDS,
    retention: {
      visitsDays: e.RETENTION_VISITS_DAYS,
      declarationsDays: e.RETENTION_DECLARATIONS_DAYS,
      dialogIdleDays: e.RETENTION_DIALOG_DAYS,
    },
    rateLimits: {
      chatPerAddress: e.RATE_LIMIT_CHAT_PER_MINUTE,
      chatPerClient: e.RATE_LIMIT_CHAT_CLIENT_PER_MINUTE,
      pagesPerAddress: e.RATE_LIMIT_PAGES_PER_MINUTE,
      loginPerAddress: e.RATE_LIMIT_LOGIN_PER_MINUTE,
    },
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    metricsToken: e.METRICS_TOKEN,
  };
}

function isSecretName(name: string): boolean {
  return /TOKEN|SECRET|KEY|DATABASE_URL/.test(name);
}

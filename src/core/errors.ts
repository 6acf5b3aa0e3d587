/**
 * Errors with a code. The HTTP layer maps `status` into the contract's error shape
 * {"error":{"code","message"}}; the chat layer shows a translated sentence.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (code: string, message: string) => new AppError(code, message, 404);
export const badRequest = (code: string, message: string, details?: unknown) =>
  new AppError(code, message, 400, details);

/** The database cannot be reached: answered 503 (and Telegram will redeliver). */
export class DatabaseUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super('DATABASE_UNAVAILABLE', 'The database is not reachable right now; try again shortly.', 503);
    this.cause = cause;
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P03',
  '08006',
  '08001',
  '08003',
  // statement_timeout fired: the database is too slow or blocked right now; the query itself may be fine
  '57014',
]);

/** True when an error means "the database is not reachable" rather than "this query is wrong". */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    const msg = (e as { message?: unknown }).message;
    if (
      typeof msg === 'string' &&
      /PGlite is closed|connection (terminated|ended|refused)|write CONNECTION_CLOSED/i.test(msg)
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';

export type Role = 'admin' | 'health' | 'ward_health' | 'comms' | 'venue_owner' | 'venue_staff';

/** Who is calling the admin API. */
export interface Principal {
  /** 'bootstrap' for ADMIN_TOKEN, otherwise an official's id or token id (for the audit log) */
  id: string;
  roles: Role[];
  /** the chat account a personal token is bound to (its ward scope is read from the account's roles) */
  accountId?: string;
}

/**
 * Turns a bearer token into a principal, or undefined when it is not this resolver's.
 * The bootstrap resolver checks ADMIN_TOKEN; the officials feature adds personal API tokens.
 */
export type TokenResolver = (token: string) => Promise<Principal | undefined>;

/**
 * Turns a request without a bearer token into a principal from its cookies (the web console's session), or
 * undefined. A session resolver also checks the session's CSRF token on changes and throws 403 without it.
 */
export type SessionResolver = (req: FastifyRequest) => Promise<Principal | undefined>;

export function bootstrapResolver(adminToken: string | undefined): TokenResolver {
  const expected = adminToken ? sha256(adminToken) : undefined;
  return async (token) => {
    if (!expected) return undefined;
    return timingSafeEqual(sha256(token), expected) ? { id: 'bootstrap', roles: ['admin'] } : undefined;
  };
}

export function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * preHandler for admin routes: 401 without a valid token, 403 when none of `roles` is held.
 * `admin` may do everything.
 */
export function requireRole(resolvers: TokenResolver[], ...roles: Role[]) {
  return requireRoleOrSession(resolvers, [], ...roles);
}

/** requireRole that also accepts, when no Authorization header is sent, a session the `sessions` resolve. */
export function requireRoleOrSession(resolvers: TokenResolver[], sessions: SessionResolver[], ...roles: Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    const header = req.headers.authorization;
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    let principal: Principal | undefined;
    if (m) {
      for (const r of resolvers) {
        principal = await r(m[1]!);
        if (principal) break;
      }
    } else if (header === undefined) {
      for (const s of sessions) {
        principal = await s(req);
        if (principal) break;
      }
    }
    if (!principal) throw new AppError('UNAUTHORIZED', 'A valid bearer token is required.', 401);
    req.principal = principal;
    if (principal.roles.includes('admin')) return;
    if (roles.length > 0 && !roles.some((r) => principal!.roles.includes(r))) {
      throw new AppError('FORBIDDEN', 'Your role may not do this.', 403);
    }
  };
}

/** A cookie's value from the request's Cookie header (URL-decoded), or undefined. */
export function readCookie(req: Pick<FastifyRequest, 'headers'>, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

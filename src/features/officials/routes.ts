import { desc, eq, sql } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.js';
import { tFor } from '../../core/i18n.js';
import { accounts, apiTokens, invites, officialRoles } from '../../db/schema/index.js';
import type { AppDeps, RouteModule } from '../../http/app.js';
import { htmlPage } from '../../http/page-shell.js';
import { errorResponse, idParams, uuid } from '../../http/schemas.js';
import { escapeMarkup } from '../../render/escape.js';
import { createApiToken, revokeApiToken } from './api-tokens.js';
import { createInvite, inviteLinks, parseInviteCode, revokeInvite } from './invites.js';
import { validateScope } from './scope.js';
import { ACCESS, OFFICIAL_ROLES, isOfficialRole, revokeRole, rolesOf, type OfficialRole } from './roles.js';

const actorOf = (req: { principal?: { id: string } }) => req.principal?.id ?? 'unknown';

export const officialsRoutes: RouteModule = (app, deps) => {
  const adminOnly = deps.requireRole(...ACCESS.officials, 'admin');
  const db = deps.database.db;

  app.post<{ Body: { role: OfficialRole; ttlHours?: number; wardCodes?: string[]; districtCode?: string } }>(
    '/api/v1/officials/invites',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['officials'],
        summary: 'Invite an official: a single-use link (Telegram) and code (Zalo, web chat) that grants a role',
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['role'],
          additionalProperties: false,
          properties: {
            role: { type: 'string', enum: [...OFFICIAL_ROLES] },
            ttlHours: { type: 'integer', minimum: 1, maximum: 24 * 30, default: 72 },
            wardCodes: {
              type: 'array',
              maxItems: 200,
              items: { type: 'string', pattern: '^[0-9]{5}$' },
              description: 'ward_health only: the wards',
            },
            districtCode: {
              type: 'string',
              pattern: '^[0-9]{3}$',
              description: 'ward_health only: every ward of this district',
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              role: { type: 'string' },
              wardCodes: { type: 'array', items: { type: 'string' } },
              districtCode: { type: 'string' },
              url: { type: 'string' },
              telegramUrl: { type: 'string' },
              code: { type: 'string', description: 'what to type in Zalo or the web chat' },
              expiresAt: { type: 'string', format: 'date-time' },
            },
          },
          '4xx': errorResponse,
        },
      },
    },
    async (req, reply) => {
      const scope = await validateScope(db, req.body.role, {
        wardCodes: req.body.wardCodes,
        districtCode: req.body.districtCode,
      });
      const inv = await createInvite(db, {
        role: req.body.role,
        actor: actorOf(req),
        now: deps.clock.now(),
        ttlHours: req.body.ttlHours,
        scope,
      });
      const links = inviteLinks(deps, inv.code);
      req.log.info({ inviteId: inv.id, role: inv.role }, 'invite created');
      return reply.status(201).send({
        id: inv.id,
        role: inv.role,
        wardCodes: scope?.wardCodes,
        districtCode: scope?.districtCode,
        url: links.url,
        telegramUrl: links.telegramUrl,
        code: links.typedCode,
        expiresAt: inv.expiresAt.toISOString(),
      });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/officials/invites/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['officials'],
        summary: 'Revoke an unused invite',
        security: [{ bearer: [] }],
        params: idParams,
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, revoked: { type: 'boolean' } } },
          '4xx': errorResponse,
        },
      },
    },
    async (req) => {
      const result = await revokeInvite(db, { id: req.params.id, actor: actorOf(req), now: deps.clock.now() });
      if (result === 'not_found') throw notFound('INVITE_NOT_FOUND', 'No invite with this id.');
      if (result === 'already_used')
        throw new AppError('INVITE_USED', 'This invite has already been used; revoke the role instead.', 409);
      return { id: req.params.id, revoked: true };
    },
  );

  app.post<{ Body: { roles?: OfficialRole[]; accountId?: string; label?: string } }>(
    '/api/v1/officials/tokens',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['officials'],
        summary: "Create a personal API token (shown once). Bound to an account it carries that account's roles.",
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            roles: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', enum: [...OFFICIAL_ROLES] },
            },
            accountId: uuid,
            label: { type: 'string', maxLength: 100 },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              token: { type: 'string' },
              roles: { type: 'array', items: { type: 'string' } },
            },
          },
          '4xx': errorResponse,
        },
      },
    },
    async (req, reply) => {
      let roles = req.body.roles;
      if (req.body.accountId) {
        const held = await rolesOf(db, req.body.accountId);
        if (held.length === 0) throw new AppError('NOT_AN_OFFICIAL', 'This account holds no official role.', 400);
        roles = roles ? roles.filter((r) => held.includes(r)) : held;
        if (roles.length === 0)
          throw new AppError('ROLE_NOT_HELD', 'The account does not hold the roles asked for.', 400);
      }
      if (!roles)
        throw new AppError('ROLES_REQUIRED', 'Give roles, or an accountId whose roles the token carries.', 400);
      const t = await createApiToken(db, {
        roles,
        accountId: req.body.accountId,
        label: req.body.label,
        actor: actorOf(req),
        now: deps.clock.now(),
      });
      req.log.info({ tokenId: t.id }, 'api token created');
      return reply.status(201).send({ id: t.id, token: t.token, roles });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/officials/tokens/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['officials'],
        summary: 'Revoke a personal API token',
        security: [{ bearer: [] }],
        params: idParams,
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, revoked: { type: 'boolean' } } },
          '4xx': errorResponse,
        },
      },
    },
    async (req) => {
      const ok = await revokeApiToken(db, { id: req.params.id, actor: actorOf(req), now: deps.clock.now() });
      if (!ok) throw notFound('TOKEN_NOT_FOUND', 'No active token with this id.');
      return { id: req.params.id, revoked: true };
    },
  );

  app.delete<{ Params: { accountId: string; role: string } }>(
    '/api/v1/officials/:accountId/roles/:role',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['officials'],
        summary: "Take a role away from an official's chat account (their tokens lose it too)",
        security: [{ bearer: [] }],
        params: {
          type: 'object',
          required: ['accountId', 'role'],
          properties: { accountId: uuid, role: { type: 'string', enum: [...OFFICIAL_ROLES] } },
        },
        response: {
          200: {
            type: 'object',
            properties: { accountId: { type: 'string' }, role: { type: 'string' }, revoked: { type: 'boolean' } },
          },
          '4xx': errorResponse,
        },
      },
    },
    async (req) => {
      const role = req.params.role;
      if (!isOfficialRole(role)) throw new AppError('BAD_ROLE', 'Unknown role.', 400);
      const ok = await revokeRole(db, {
        accountId: req.params.accountId,
        role,
        actor: actorOf(req),
        at: deps.clock.now(),
      });
      if (!ok) throw notFound('ROLE_NOT_HELD', 'This account does not hold this role.');
      return { accountId: req.params.accountId, role, revoked: true };
    },
  );

  app.get(
    '/api/v1/officials',
    {
      onRequest: adminOnly,
      schema: {
        tags: ['officials'],
        summary:
          "Officials with their roles and each role's ward scope, open invites and API tokens (never the tokens themselves)",
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              officials: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    accountId: { type: 'string' },
                    channel: { type: 'string' },
                    roles: { type: 'array', items: { type: 'string' } },
                    /** each role with its ward scope (ward_health: wardCodes and/or districtCode; null = city-wide) */
                    roleScopes: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          role: { type: 'string' },
                          wardCodes: { type: 'array', items: { type: 'string' }, nullable: true },
                          districtCode: { type: 'string', nullable: true },
                        },
                      },
                    },
                  },
                },
              },
              invites: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    role: { type: 'string' },
                    status: { type: 'string', enum: ['open', 'used', 'expired', 'revoked'] },
                    createdBy: { type: 'string' },
                    createdAt: { type: 'string', format: 'date-time' },
                    expiresAt: { type: 'string', format: 'date-time' },
                    usedByAccountId: { type: 'string', nullable: true },
                  },
                },
              },
              tokens: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    roles: { type: 'array', items: { type: 'string' } },
                    label: { type: 'string', nullable: true },
                    accountId: { type: 'string', nullable: true },
                    createdAt: { type: 'string', format: 'date-time' },
                    lastUsedAt: { type: 'string', format: 'date-time', nullable: true },
                    revokedAt: { type: 'string', format: 'date-time', nullable: true },
                  },
                },
              },
            },
          },
          '4xx': errorResponse,
        },
      },
    },
    async () => listOfficials(deps),
  );

  // The landing page an invite URL points at when Telegram is off: it shows the code to type.
  app.get<{ Params: { code: string } }>('/o/:code', { schema: { hide: true } }, async (req, reply) => {
    const code = parseInviteCode(req.params.code, false);
    const t = tFor('vi');
    const en = tFor('en');
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!code)
      return reply
        .status(404)
        .send(page(t('officials:page_title'), `<p>${escapeMarkup(t('officials:page_bad_code'))}</p>`));
    const telegramUrl = deps.links.telegramStart(`o_${code}`);
    const tg = telegramUrl
      ? `<p><a href="${escapeMarkup(telegramUrl)}">${escapeMarkup(t('officials:page_open_telegram'))}</a></p>`
      : '';
    return page(
      t('officials:page_title'),
      `<p>${escapeMarkup(t('officials:page_send_code'))}</p><p class="code">O-${code}</p>${tg}<p lang="en">${escapeMarkup(en('officials:page_send_code'))}</p>`,
    );
  });
};

function page(title: string, body: string): string {
  return htmlPage('vi', title, `<h1>${escapeMarkup(title)}</h1>${body}`);
}

async function listOfficials(deps: AppDeps) {
  const db = deps.database.db;
  const now = deps.clock.now();
  const roleRows = await db
    .select({
      accountId: officialRoles.accountId,
      role: officialRoles.role,
      wardCodes: officialRoles.wardCodes,
      districtCode: officialRoles.districtCode,
      channel: accounts.channel,
    })
    .from(officialRoles)
    .innerJoin(accounts, eq(accounts.id, officialRoles.accountId))
    .orderBy(officialRoles.accountId, officialRoles.role);
  type RoleScopeJson = { role: string; wardCodes: string[] | null; districtCode: string | null };
  const byAccount = new Map<
    string,
    { accountId: string; channel: string; roles: string[]; roleScopes: RoleScopeJson[] }
  >();
  for (const r of roleRows) {
    const entry = byAccount.get(r.accountId) ?? {
      accountId: r.accountId,
      channel: r.channel,
      roles: [],
      roleScopes: [],
    };
    entry.roles.push(r.role);
    entry.roleScopes.push({ role: r.role, wardCodes: r.wardCodes ?? null, districtCode: r.districtCode ?? null });
    byAccount.set(r.accountId, entry);
  }
  const inviteRows = await db.select().from(invites).orderBy(desc(invites.createdAt)).limit(200);
  const tokenRows = await db
    .select({
      id: apiTokens.id,
      roles: apiTokens.roles,
      label: apiTokens.label,
      accountId: apiTokens.accountId,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .orderBy(sql`${apiTokens.revokedAt} is not null`, desc(apiTokens.createdAt))
    .limit(200);
  return {
    officials: [...byAccount.values()],
    invites: inviteRows.map((i) => ({
      id: i.id,
      role: i.role,
      status: i.revokedAt ? 'revoked' : i.usedAt ? 'used' : i.expiresAt <= now ? 'expired' : 'open',
      createdBy: i.createdBy,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
      usedByAccountId: i.usedByAccountId,
    })),
    tokens: tokenRows.map((t) => ({
      ...t,
      createdAt: t.createdAt.toISOString(),
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      revokedAt: t.revokedAt?.toISOString() ?? null,
    })),
  };
}

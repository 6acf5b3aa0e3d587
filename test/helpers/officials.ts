import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { accounts } from '../../src/db/schema/index.js';
import { handle } from '../broadcast/fixtures.js';
import { adminHeaders, type TestService } from './service.js';

export interface InvitedOfficial {
  externalId: string;
  accountId: string;
  /** a personal API token of the account, as request headers */
  headers: Record<string, string>;
}

/**
 * An official made the real way: an invite over the API (`body`: role and any scope), opened in the web chat by
 * `externalId`, and a personal API token for that account.
 */
export async function inviteOfficial(
  svc: TestService,
  externalId: string,
  body: Record<string, unknown>,
): Promise<InvitedOfficial> {
  const inv = await svc.app.inject({
    method: 'POST',
    url: '/api/v1/officials/invites',
    headers: adminHeaders,
    payload: body,
  });
  expect(inv.statusCode).toBe(201);
  const code = (inv.json() as { code: string }).code.replace(/^O-/, '');
  const r = await handle(svc, { channel: 'web', accountId: externalId, kind: 'start', param: `o_${code}` });
  expect(r.replies[0]!.text).toMatch(/đã được cấp quyền cán bộ/);
  const acc = await svc.db.db.query.accounts.findFirst({
    where: and(eq(accounts.externalId, externalId), eq(accounts.channel, 'web')),
  });
  const tok = await svc.app.inject({
    method: 'POST',
    url: '/api/v1/officials/tokens',
    headers: adminHeaders,
    payload: { accountId: acc!.id },
  });
  expect(tok.statusCode).toBe(201);
  return {
    externalId,
    accountId: acc!.id,
    headers: { authorization: `Bearer ${(tok.json() as { token: string }).token}` },
  };
}

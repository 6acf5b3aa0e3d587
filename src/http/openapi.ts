import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { requireRole } from './auth.js';

export interface RouteEntry {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** every route registered, as the router sees it (tests build role tables from this) */
    routeTable: RouteEntry[];
  }
}

/**
 * OpenAPI for the admin API, generated from the routes' JSON schemas by @fastify/swagger. Must be registered
 * before any route module: swagger (and the route table) learn routes from the onRoute hook.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  deps: { config: Pick<Config, 'publicUrl'>; requireRole: () => ReturnType<typeof requireRole> },
): Promise<void> {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) if (m !== 'HEAD') table.push({ method: m, url: r.url });
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'khaibao admin API',
        version: '1',
        description:
          'Officials manage venues, cases, broadcasts, statistics and other officials. Bearer token: ADMIN_TOKEN or a personal token.',
      },
      servers: [{ url: deps.config.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // The document is the admin API's: pages, webhooks and the web chat's own endpoints stay out of it.
    transform: ({ schema, url }) => ({ schema: { ...schema, hide: schema?.hide || !url.startsWith('/api/') }, url }),
  });
  app.get('/api/v1/openapi.json', { onRequest: deps.requireRole(), schema: { hide: true } }, async () => app.swagger());
  // The viewer, for officials: a bearer token, or the web console's session (sign in at /console first).
  const official = deps.requireRole();
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { docExpansion: 'list', deepLinking: false },
    uiHooks: { onRequest: official },
    staticCSP: false,
  });
}

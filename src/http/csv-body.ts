import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';

/**
 * CSV uploads (venue lists, target lists, exposure lists): `acceptCsvBodies` lets the plugin it is called in take
 * text/csv (and text/plain) bodies as a string — scoped to that plugin; `csvBody` is that string, or a 415 for a
 * request that sent anything else.
 */
export function acceptCsvBodies(app: FastifyInstance): void {
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
}

export function csvBody(req: FastifyRequest): string {
  if (typeof req.body !== 'string') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the CSV as the request body with Content-Type: text/csv.', 415);
  }
  return req.body;
}

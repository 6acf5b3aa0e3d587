/** JSON schema pieces the admin API's routes share, so a change to the error body or ids is made once. */

export const uuid = { type: 'string', format: 'uuid' } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;

/** A `/:id` path whose id is a uuid. */
export const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;

/** The body of every 4xx/5xx answer, as the error handler in http/app.ts writes it. */
export const errorResponse = {
  type: 'object',
  properties: {
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } },
  },
} as const;

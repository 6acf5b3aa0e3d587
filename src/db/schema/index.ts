// One schema, one file per area. Each feature owns its file; drizzle-kit reads them all through this index.
export * from './system.js';
export * from './people.js';
export * from './venues.js';
export * from './exposure.js';
export * from './outbox.js';
export * from './officials.js';

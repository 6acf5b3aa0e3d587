import {
  getTableColumns,
  getTableName,
  sql,
  type Column,
  type Placeholder,
  type Query,
  type SQL,
  type Table,
} from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './client.js';

/**
 * Statements built once and run many times: the hot path of every update (the dialog runner, a check-in, a
 * declaration) runs a dozen statements, and drizzle spends more time building each one (a relational findFirst
 * about 250 µs, a core select about 110 µs) than PostgreSQL spends running it.
 *
 * A `prepared` statement is drizzle SQL with `param('name')` slots, turned into its text and parameter list the
 * first time it runs, then run by the session it is given — the database or a transaction, postgres.js (as a
 * server-side prepared statement of the connection, so PostgreSQL parses it once too) or PGlite — with the values
 * filled in. Rows come back as arrays and are mapped by the statement's own `map` (see `rowOf` for table rows),
 * so the select list and the mapping are written side by side.
 */
export interface Prepared<P extends Record<string, unknown>, R> {
  readonly name: string;
  /** every row */
  all(db: DbOrTx, params: P): Promise<R[]>;
  /** the first row, if any */
  first(db: DbOrTx, params: P): Promise<R | undefined>;
}

const dialect = new PgDialect();

/** A named parameter slot of a prepared statement (drizzle's placeholder). */
export function param<K extends string>(name: K): Placeholder<K> {
  return sql.placeholder(name);
}

/**
 * `prepared('venue_by_code', () => sql`select ${columnsOf(venues)} from ${venues} where ${venues.code} = ${param('code')}`, rowOf(venues))`.
 * `build` runs once, lazily; `map` turns one row (its values in select-list order) into the result.
 */
export function prepared<P extends Record<string, unknown>, R>(
  name: string,
  build: () => SQL,
  map: (row: unknown[]) => R,
): Prepared<P, R> {
  let query: Query | undefined;
  const mapRows = (rows: unknown[][]) => rows.map(map);
  const all = async (db: DbOrTx, params: P): Promise<R[]> => {
    query ??= dialect.sqlToQuery(build());
    // A prepared query of the session at hand costs an object: the text and parameter slots are the ones built.
    const statement = db._.session.prepareQuery<{ execute: R[]; all: R[]; values: unknown[][] }>(
      query,
      undefined,
      name,
      true,
      mapRows,
    );
    return statement.execute(params);
  };
  return {
    name,
    all,
    first: async (db, params) => (await all(db, params))[0],
  };
}

/**
 * The columns of a table as a select list, in `getTableColumns` order (what `rowOf` maps), qualified by the
 * table's name or by `alias`.
 */
export function columnsOf(table: Table, alias = getTableName(table)): SQL {
  const qualifier = sql.identifier(alias);
  return sql.join(
    Object.values(getTableColumns(table)).map((c) => sql`${qualifier}.${sql.identifier(c.name)}`),
    sql`, `,
  );
}

/**
 * Maps a row of `columnsOf(table)` (from position `offset` in the row) to the table's select model, as drizzle
 * would: SQL null stays null, anything else goes through the column's decoder (timestamps, jsonb, numeric…).
 * With `nullable`, a row whose first column (the key) is null — a left join that found nothing — is undefined.
 */
export function rowOf<T extends Table>(table: T, offset = 0): (row: unknown[]) => T['$inferSelect'] {
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  return (row) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) {
      const [key, column] = columns[i]!;
      const value = row[offset + i];
      out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return out as T['$inferSelect'];
  };
}

/** `rowOf` for the right side of a left join: undefined when the join found no row (its first column is null). */
export function optionalRowOf<T extends Table>(
  table: T,
  offset = 0,
): (row: unknown[]) => T['$inferSelect'] | undefined {
  const map = rowOf(table, offset);
  return (row) => (row[offset] === null || row[offset] === undefined ? undefined : map(row));
}

/** How many values `columnsOf(table)` puts in a row (the offset of what follows it). */
export function widthOf(table: Table): number {
  return Object.keys(getTableColumns(table)).length;
}

/** Decodes one value as `column` would (null stays null). */
export function valueOf<C extends Column>(column: C, value: unknown): C['_']['data'] | null {
  return value === null || value === undefined ? null : column.mapFromDriverValue(value);
}

import { z } from "zod";
import type { Db } from "./db.js";

/**
 * Documents SQLite builds as JSON text itself, checked against the zod schema
 * of their rows as it builds them.
 *
 * `orch status --json` on a live 10,000-node run prints 30,000 rows. Parsing
 * them into objects, validating those and printing them again cost more than
 * half of the command; instead SQLite writes the document, and every value
 * goes through a `CASE` derived from the row's zod schema: a value the schema
 * accepts is written as it is, any other calls `orch_invalid_value`, which
 * fails the query with a message naming the table, the row, the column and
 * what was expected. The zod schema stays the one description of the row.
 */

const INVALID = "orch_invalid_value";

const describe = (value: unknown): string =>
  Buffer.isBuffer(value) ? `a ${value.length}-byte blob` : JSON.stringify(value);

/** Register the function a failed check calls; once per connection. */
export const registerValueCheck = (db: Db): void => {
  db.function(
    INVALID,
    { deterministic: true },
    (table: unknown, key: unknown, column: unknown, value: unknown, expected: unknown) => {
      throw new Error(
        `corrupt row in the database: ${String(table)} ${String(key)}, column ${String(column)} holds ${describe(value)}; expected ${String(expected)}`,
      );
    },
  );
};

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

interface Check {
  /** An SQL condition that holds when `expr` is a value the schema accepts. */
  readonly sql: string;
  /** What the schema accepts, in words. */
  readonly expected: string;
  /** The value as `json_object` should embed it, when not `expr` itself. */
  readonly json?: string;
}

/**
 * The check for one plain value, or null for an array (built by a nested query
 * that checks its own rows). Any other zod type is refused, so a schema cannot
 * silently outgrow its checks.
 */
const checkFor = (schema: z.ZodType, expr: string): Check | null => {
  if (schema instanceof z.ZodNullable) {
    const inner = checkFor(schema.unwrap() as z.ZodType, expr);
    return (
      inner && {
        sql: `(${expr} IS NULL OR ${inner.sql})`,
        expected: `${inner.expected} or null`,
        ...(inner.json === undefined
          ? {}
          : { json: `CASE WHEN ${expr} IS NULL THEN NULL ELSE ${inner.json} END` }),
      }
    );
  }
  if (schema instanceof z.ZodString) return { sql: `typeof(${expr}) = 'text'`, expected: "text" };
  // SQLite has no booleans: 1 and 0 stand for them, and would be written as numbers.
  if (schema instanceof z.ZodBoolean)
    return {
      sql: `${expr} IN (0, 1)`,
      expected: "1 or 0 (true or false)",
      json: `CASE WHEN ${expr} THEN json('true') ELSE json('false') END`,
    };
  if (schema instanceof z.ZodNumber && schema.isInt)
    return { sql: `typeof(${expr}) = 'integer'`, expected: "an integer" };
  if (schema instanceof z.ZodEnum) {
    const options = schema.options.map(String);
    return {
      sql: `${expr} IN (${options.map(quote).join(", ")})`,
      expected: `one of ${options.join(", ")}`,
    };
  }
  if (schema instanceof z.ZodArray) return null;
  if (schema instanceof z.ZodUnknown)
    throw new Error(`json-sql: ${expr} is a zod unknown: give it as { json: column }`);
  throw new Error(`json-sql: no SQL check for a zod ${schema.def.type}`);
};

/** A value: an SQL expression, or a column holding JSON text, embedded as JSON. */
export type ColumnSql = string | { readonly json: string };

/** The row a `json_object` is built from. */
export interface RowSql {
  readonly table: string;
  /** The table's alias in the query: a key's column is `alias.key` unless given. */
  readonly alias: string;
  /** An SQL expression naming the row in an error. */
  readonly key: string;
}

const checked = (value: string, column: string, check: Check, row: RowSql): string =>
  `CASE WHEN ${check.sql} THEN ${value} ELSE ${INVALID}(${quote(row.table)}, ${row.key}, ${quote(column)}, ${column}, ${quote(check.expected)}) END`;

const valueSql = (schema: z.ZodType, column: ColumnSql, row: RowSql): string => {
  if (typeof column !== "string") {
    if (!(schema instanceof z.ZodUnknown))
      throw new Error(`json-sql: ${column.json} holds JSON, so its schema must be a zod unknown`);
    const check = {
      sql: `(${column.json} IS NULL OR json_valid(${column.json}))`,
      expected: "JSON text or null",
    };
    return checked(`json(${column.json})`, column.json, check, row);
  }
  const check = checkFor(schema, column);
  return check ? checked(check.json ?? column, column, check, row) : column;
};

/**
 * `json_object(…)` for one row of `row.table`, its keys in the schema's order,
 * each value the column of the same name or what `columns` gives for it,
 * checked against the schema.
 */
export const jsonObjectSql = <Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  row: RowSql,
  columns: { readonly [K in keyof Shape]?: ColumnSql } = {},
): string => {
  const fields = Object.entries(schema.shape).map(([name, field]) => {
    const column = columns[name as keyof Shape] ?? `${row.alias}.${name}`;
    return `${quote(name)}, ${valueSql(field as z.ZodType, column, row)}`;
  });
  return `json_object(${fields.join(", ")})`;
};

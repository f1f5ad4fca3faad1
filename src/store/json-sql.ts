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
}

/**
 * The check for one value, or null where SQLite has nothing to check: JSON
 * (already validated by `json()`) and arrays (built by a query that checks its
 * own rows). Any other zod type is refused, so a schema cannot silently outgrow
 * its checks.
 */
const checkFor = (schema: z.ZodType, expr: string): Check | null => {
  if (schema instanceof z.ZodNullable) {
    const inner = checkFor(schema.unwrap() as z.ZodType, expr);
    return (
      inner && { sql: `(${expr} IS NULL OR ${inner.sql})`, expected: `${inner.expected} or null` }
    );
  }
  if (schema instanceof z.ZodString) return { sql: `typeof(${expr}) = 'text'`, expected: "text" };
  if (schema instanceof z.ZodNumber && schema.isInt)
    return { sql: `typeof(${expr}) = 'integer'`, expected: "an integer" };
  if (schema instanceof z.ZodEnum) {
    const options = schema.options.map(String);
    return {
      sql: `${expr} IN (${options.map(quote).join(", ")})`,
      expected: `one of ${options.join(", ")}`,
    };
  }
  if (schema instanceof z.ZodUnknown || schema instanceof z.ZodArray) return null;
  throw new Error(`json-sql: no SQL check for a zod ${schema.def.type}`);
};

/**
 * `json_object(…)` for one row of `table`, its keys in the schema's order, each
 * value the SQL expression `columns` gives for it, checked against the schema.
 * `key` is an SQL expression naming the row in an error.
 */
export const jsonObjectSql = <Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  row: { readonly table: string; readonly key: string },
  columns: { readonly [K in keyof Shape]: string },
): string => {
  const fields = Object.entries(schema.shape).map(([name, field]) => {
    const expr = columns[name as keyof Shape];
    const check = checkFor(field as z.ZodType, expr);
    const value = check
      ? `CASE WHEN ${check.sql} THEN ${expr} ELSE ${INVALID}(${quote(row.table)}, ${row.key}, ${quote(expr)}, ${expr}, ${quote(check.expected)}) END`
      : expr;
    return `${quote(name)}, ${value}`;
  });
  return `json_object(${fields.join(", ")})`;
};

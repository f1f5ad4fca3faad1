import type { Statement } from "better-sqlite3";
import type { Db } from "./db.js";

/** Rows per INSERT statement: enough to amortise a statement's cost, few enough to stay under SQLite's parameter limit. */
const CHUNK = 32;

/**
 * Inserts rows into one table with multi-row `INSERT … VALUES (…), (…)`
 * statements: at 100,000 rows, one statement per row cost a third more CPU
 * (bench/README.md). Rows are buffered until `CHUNK` of them are waiting or
 * `flush` is called; callers flush before anything that reads the table.
 */
export class BulkInsert {
  readonly #db: Db;
  readonly #sql: string;
  readonly #row: string;
  readonly #statements = new Map<number, Statement>();
  readonly #values: unknown[] = [];
  #rows = 0;

  constructor(db: Db, table: string, columns: readonly string[]) {
    this.#db = db;
    this.#sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES `;
    this.#row = `(${columns.map(() => "?").join(", ")})`;
  }

  add(...values: unknown[]): void {
    for (const value of values) this.#values.push(value);
    this.#rows += 1;
    if (this.#rows === CHUNK) this.flush();
  }

  flush(): void {
    if (this.#rows === 0) return;
    this.#statement(this.#rows).run(this.#values);
    this.#values.length = 0;
    this.#rows = 0;
  }

  #statement(rows: number): Statement {
    let statement = this.#statements.get(rows);
    if (statement === undefined) {
      statement = this.#db.prepare(this.#sql + Array(rows).fill(this.#row).join(", "));
      this.#statements.set(rows, statement);
    }
    return statement;
  }
}

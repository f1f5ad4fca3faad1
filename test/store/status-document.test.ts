import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { jsonObjectSql, registerValueCheck } from "../../src/store/json-sql.js";
import { StatusDocumentSchema } from "../../src/store/rows.js";
import { Store } from "../../src/store/store.js";

const at = "2026-01-01T00:00:00.000Z";
const freshStore = (): Store =>
  Store.open(join(mkdtempSync(join(tmpdir(), "orch-status-doc-")), "orch.db"));

describe("jsonObjectSql: a row as JSON, checked against its zod schema by SQLite", () => {
  const Row = z.object({
    name: z.string(),
    size: z.number().int().nullable(),
    kind: z.enum(["a", "b"]),
    extra: z.unknown(),
  });
  const query = (store: Store) =>
    store.db
      .prepare(
        `SELECT ${jsonObjectSql(
          Row,
          { table: "things", alias: "t", key: "t.name" },
          { extra: { json: "t.extra" } },
        )} FROM things t ORDER BY rowid`,
      )
      .pluck();
  const withThings = (rows: readonly (readonly unknown[])[]): Store => {
    const store = freshStore();
    registerValueCheck(store.db);
    store.db.exec("CREATE TABLE things (name TEXT, size INTEGER, kind TEXT, extra TEXT)");
    const insert = store.db.prepare("INSERT INTO things VALUES (?, ?, ?, ?)");
    for (const row of rows) insert.run(...row);
    return store;
  };

  it("writes the schema's keys in order, values as stored", () => {
    const store = withThings([
      ["x", 3, "a", '{"k":[1]}'],
      ["y", null, "b", null],
    ]);
    const texts = query(store).all() as string[];
    store.close();
    expect(texts).toEqual([
      '{"name":"x","size":3,"kind":"a","extra":{"k":[1]}}',
      '{"name":"y","size":null,"kind":"b","extra":null}',
    ]);
  });

  it.each([
    [
      ["x", "three", "a", null],
      /things x, column t\.size holds "three"; expected an integer or null/,
    ],
    [["x", 3.5, "a", null], /column t\.size holds 3\.5; expected an integer or null/],
    [["x", 3, "c", null], /column t\.kind holds "c"; expected one of a, b/],
    [[Buffer.from([7]), 3, "a", null], /column t\.name holds a 1-byte blob; expected text/],
    [["x", 3, "a", "{oops"], /column t\.extra holds "\{oops"; expected JSON text or null/],
  ])("refuses %j, naming the table, row, column and what was expected", (row, message) => {
    const store = withThings([row]);
    expect(() => query(store).get()).toThrow(message);
    store.close();
  });

  /** A table of (name, flag) rows, and a query writing each flag as `schema` says. */
  const withFlags = (values: string, schema: z.ZodType) => {
    const store = freshStore();
    registerValueCheck(store.db);
    store.db.exec("CREATE TABLE flags (name TEXT, flag)");
    store.db.exec(`INSERT INTO flags VALUES ${values}`);
    const flags = store.db
      .prepare(
        `SELECT ${jsonObjectSql(z.object({ flag: schema }), {
          table: "flags",
          alias: "f",
          key: "f.name",
        })} FROM flags f ORDER BY rowid`,
      )
      .pluck();
    return { store, flags };
  };

  it("writes SQLite's 1 and 0 as true and false for a zod boolean, and refuses anything else", () => {
    const { store, flags } = withFlags("('x', 1), ('y', 0), ('z', 2 > 1)", z.boolean());
    const texts = flags.all() as string[];
    store.db.exec("INSERT INTO flags VALUES ('w', 'yes')");
    expect(() => flags.all()).toThrow(
      /flags w, column f\.flag holds "yes"; expected 1 or 0 \(true or false\)/,
    );
    store.close();
    expect(texts).toEqual(['{"flag":true}', '{"flag":false}', '{"flag":true}']);
  });

  it("writes a nullable boolean as true, false or null", () => {
    const { store, flags } = withFlags("('x', 1), ('y', 0), ('z', NULL)", z.boolean().nullable());
    const texts = flags.all();
    store.close();
    expect(texts).toEqual(['{"flag":true}', '{"flag":false}', '{"flag":null}']);
  });

  it("refuses a zod type it has no SQL check for, rather than skip the check", () => {
    const row = { table: "t", alias: "t", key: "1" };
    expect(() => jsonObjectSql(z.object({ when: z.date() }), row)).toThrow(
      /no SQL check for a zod date/,
    );
    expect(() => jsonObjectSql(z.object({ v: z.unknown() }), row)).toThrow(
      /give it as \{ json: column \}/,
    );
    expect(() => jsonObjectSql(z.object({ v: z.string() }), row, { v: { json: "v" } })).toThrow(
      /must be a zod unknown/,
    );
  });
});

describe("the status document SQLite builds", () => {
  /** Arbitrary text, quotes, backslashes, control characters and astral planes included. */
  const text = fc.string({ unit: "binary", maxLength: 12 });

  it("holds every value exactly as stored, and is what StatusDocumentSchema accepts", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9._:-]{1,10}$/), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.tuple(text, fc.jsonValue({ maxDepth: 3 }), text), {
          minLength: 6,
          maxLength: 6,
        }),
        (ids, values) => {
          const store = freshStore();
          store.runs.insertRun({ id: "r", workflow: "/w.json", name: "w", at });
          store.history.append(
            "r",
            at,
            ids.map((id, i) => ({
              type: "node_added" as const,
              id,
              run: values[i]![0],
              args: [],
              params: {},
              created_by: i === 0 ? null : ids[0]!,
            })),
          );
          store.history.append(
            "r",
            at,
            ids.flatMap((id, i) => [
              { type: "output" as const, id, values: { v: values[i]![1] } },
              {
                type: "node_status" as const,
                id,
                status: "failed" as const,
                attempt: 1,
                reason: values[i]![2],
              },
            ]),
          );
          for (const [i, id] of ids.entries()) {
            store.history.append("r", at, [
              {
                type: "attempt_started",
                id,
                attempt: 1,
                executor: "local",
                handle: null,
                log: `/logs/${i}.log`,
              },
            ]);
          }
          const text = store.status.statusJson("r");
          store.close();
          const doc = StatusDocumentSchema.parse(JSON.parse(text ?? "null"));
          expect(
            doc.nodes.map((n) => [n.id, n.run, n.outputs, n.reason, n.history[0]?.log]),
          ).toEqual(
            ids.map((id, i) => [
              id,
              values[i]![0],
              JSON.parse(JSON.stringify({ v: values[i]![1] })),
              values[i]![2],
              `/logs/${i}.log`,
            ]),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it("lists nodes and edges in creation (seq) order, whatever the rowid and id orders", () => {
    const store = freshStore();
    store.runs.insertRun({ id: "r", workflow: "/w.json", name: "w", at });
    const ids = ["m", "b", "z", "a", "q", "c"];
    store.history.append("r", at, [
      ...ids.map((id) => ({
        type: "node_added" as const,
        id,
        run: "t.py",
        args: [],
        params: {},
        created_by: null,
      })),
      ...ids.slice(1).map((id) => ({
        type: "edge_added" as const,
        from: "m",
        to: id,
        created_by: null,
      })),
    ]);
    // Reverse seq against rowid (insertion) order; ids are in neither order.
    store.db.exec("UPDATE nodes SET seq = -seq; UPDATE edges SET seq = -seq");
    const doc = StatusDocumentSchema.parse(JSON.parse(store.status.statusJson("r") ?? "null"));
    store.close();
    expect(doc.nodes.map((n) => n.id)).toEqual([...ids].reverse());
    expect(doc.edges.map((e) => e.to)).toEqual(ids.slice(1).reverse());
  });

  it("is undefined for a run that does not exist", () => {
    const store = freshStore();
    expect(store.status.statusJson("nope")).toBeUndefined();
    store.close();
  });
});

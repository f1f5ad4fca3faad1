import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonSchemas, renderJsonSchema } from "../src/json-schemas.js";

describe("schemas/", () => {
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    it(`${name} is generated from the zod schema (run \`make schemas\` if this fails)`, () => {
      const committed = readFileSync(join(import.meta.dirname, "..", "schemas", name), "utf8");
      expect(committed).toBe(renderJsonSchema(schema));
    });
  }
});

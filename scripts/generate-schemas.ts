import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonSchemas, renderJsonSchema } from "../src/json-schemas.js";

const dir = process.argv[2] ?? "schemas";
for (const [name, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(join(dir, name), renderJsonSchema(schema));
  console.log(`wrote ${join(dir, name)}`);
}

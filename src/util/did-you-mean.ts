import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";

/** The known key closest to `key`, when it is close enough to be what was meant. */
export const closeKey = (key: string, known: readonly string[]): string | undefined => {
  if (known.length === 0) return undefined;
  const nearest = distance(key, closest(key, [...known]));
  // Among equally near keys, the one that begins as `key` does (`retry`: `retries`, not `attrs`).
  const best = known
    .filter((candidate) => distance(key, candidate) === nearest)
    .reduce((a, b) => (sharedPrefix(key, b) > sharedPrefix(key, a) ? b : a));
  // Close: at most half the longer word changed (`retry` -> `retries`, `dependson` -> `depends_on`).
  return 2 * nearest <= Math.max(key.length, best.length) ? best : undefined;
};

const sharedPrefix = (a: string, b: string): number => {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
};

/** The schemas a value at a place in the document may be read with, its wrappers removed. */
const unwrap = (schema: z.ZodType): z.ZodType[] => {
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodDefault
  )
    return unwrap(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(unwrap);
  if (schema instanceof z.ZodPipe) return unwrap(schema.in as z.ZodType);
  return [schema];
};

/** The keys an object at `path` of a document read with `schema` may have. */
export const knownKeysAt = (schema: z.ZodType, path: readonly PropertyKey[]): string[] => {
  let here = unwrap(schema);
  for (const step of path) {
    here = here.flatMap((s) => {
      if (s instanceof z.ZodArray && typeof step === "number")
        return unwrap(s.element as z.ZodType);
      if (s instanceof z.ZodRecord) return unwrap(s.valueType as z.ZodType);
      if (s instanceof z.ZodObject && typeof step === "string") {
        const field = (s.shape as Record<string, z.ZodType>)[step];
        return field === undefined ? [] : unwrap(field);
      }
      return [];
    });
  }
  return [
    ...new Set(
      here.flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape as object) : [])),
    ),
  ];
};

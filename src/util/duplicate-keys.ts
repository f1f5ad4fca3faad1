import { type JSONPath, visit } from "jsonc-parser";
import { formatPath, type Issue } from "./issues.js";

/**
 * Every key that appears twice in one object of a JSON text, naming both
 * places: `JSON.parse` keeps the last silently, which can drop a whole array.
 */
export const duplicateKeys = (text: string): Issue[] => {
  const issues: Issue[] = [];
  const open: Map<string, string>[] = [];
  visit(text, {
    onObjectBegin: () => {
      open.push(new Map());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onObjectProperty: (key, _offset, _length, line, column, pathOf: () => JSONPath) => {
      const seen = open.at(-1);
      const here = `line ${line + 1}, column ${column + 1}`;
      const first = seen?.get(key);
      if (first === undefined) {
        seen?.set(key, here);
        return;
      }
      issues.push({
        path: formatPath([...pathOf(), key]),
        message: `duplicate key "${key}" (at ${first} and again at ${here}); a key may appear once`,
      });
    },
  });
  return issues;
};

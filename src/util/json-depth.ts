/** Deepest nesting of arrays and objects orch accepts in any JSON it reads. */
export const MAX_JSON_DEPTH = 256;

/**
 * Where JSON text first nests deeper than `limit` (an offset), or null. A flat
 * scan, so it cannot itself overflow the stack on the input it guards against.
 */
export const excessiveDepthAt = (text: string, limit = MAX_JSON_DEPTH): number | null => {
  // Nesting deeper than `limit` takes more than `limit` characters.
  if (text.length <= limit) return null;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return null;
};

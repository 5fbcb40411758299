import { isUtf8 } from 'node:buffer';

/**
 * Checks on a JSON request body's bytes, before it is parsed (the body parser's `verify`). Each
 * refusal is a 400 problem (problem.ts names it by its `type`), so no route ever sees the body.
 */

/** Deeper than any request the API defines (two or three levels), and far from a parser's limits. */
export const MAX_JSON_DEPTH = 32;

export const BODY_REFUSALS = {
  'entity.encoding.invalid': 'request body is not valid UTF-8',
  'entity.too.deep': 'request body is nested too deeply',
} as const;

type Refusal = keyof typeof BODY_REFUSALS;

const refuse = (type: Refusal): never => {
  throw Object.assign(new Error(BODY_REFUSALS[type]), { status: 400, type });
};

export function checkJsonBody(_req: unknown, _res: unknown, body: Buffer): void {
  // Else the parser decodes the bytes to U+FFFD and goes on: what we stored would not be what was sent.
  if (!isUtf8(body)) refuse('entity.encoding.invalid');
  // Else a body nested thousands deep is parsed in full, and a route that ignores the field
  // (every z.object drops unknown keys) carries on as if it were not there.
  if (jsonDepth(body) > MAX_JSON_DEPTH) refuse('entity.too.deep');
}

/** The deepest nesting of objects and arrays in JSON text; brackets inside strings do not count. */
export function jsonDepth(text: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const byte = text[i];
    if (inString) {
      if (byte === 0x5c)
        i += 1; // a backslash: the next byte is escaped
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth -= 1;
    }
  }
  return deepest;
}

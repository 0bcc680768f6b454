/**
 * Form bodies (application/x-www-form-urlencoded), decoded by the WHATWG rules the providers' own
 * SDKs use: `+` is a space, then percent-decoding as UTF-8. Repeated keys and their order are kept
 * for signature checks; `parseForm` gives the first value of each key for identify/normalize.
 */
import { BadRequestError } from '../errors';

/** Every key/value pair in the order sent, duplicates included. */
export const formPairs = (text: string): [string, string][] => [...new URLSearchParams(text)];

/** Fields by name (first value wins), on a null-prototype object so no key can reach a prototype. */
export function parseForm(text: string): Readonly<Record<string, string>> {
  const trimmed = text.trim();
  // A JSON document is not a form, however URLSearchParams would read it.
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) throw new BadRequestError('body is not a form');
  const fields: Record<string, string> = Object.create(null);
  for (const [key, value] of formPairs(text)) if (!(key in fields)) fields[key] = value;
  return fields;
}

/** JavaScript's default string order: UTF-16 code units, what `Array.prototype.sort()` compares. */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Pairs sorted by key, then value, in UTF-16 code-unit order: the order both Node SDKs sort by
 * (twilio-node `Object.keys(params).sort()` and values `.sort()`; plivo-node `get_sorted_params_string`
 * likewise), which is not UTF-8 byte order once a string holds characters past U+FFFF (a surrogate
 * pair sorts before U+E000–U+FFFF). The canonical order of the form-signing schemes (Twilio,
 * Plivo). Duplicates are kept.
 */
export function sortedPairs(pairs: readonly (readonly [string, string])[]): [string, string][] {
  return pairs
    .map(([key, value]): [string, string] => [key, value])
    .sort((a, b) => byCodeUnit(a[0], b[0]) || byCodeUnit(a[1], b[1]));
}

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

/**
 * Pairs sorted by key, then value, in code-point order (UTF-8 byte order, as the providers' SDKs
 * sort): the canonical order of the form-signing schemes (Twilio, Plivo). Duplicates are kept.
 * Each string is encoded once, not once per comparison: an unsigned caller chooses the body.
 */
export function sortedPairs(pairs: readonly (readonly [string, string])[]): [string, string][] {
  const encoded = pairs.map(([key, value]) => ({ key, value, k: Buffer.from(key), v: Buffer.from(value) }));
  encoded.sort((a, b) => Buffer.compare(a.k, b.k) || Buffer.compare(a.v, b.v));
  return encoded.map(({ key, value }) => [key, value]);
}

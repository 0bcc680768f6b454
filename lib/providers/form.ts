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

const byCodePoint = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Pairs sorted by key, then value, in code-point order (UTF-8 byte order, as the providers' SDKs
 * sort): the canonical order of the form-signing schemes (Twilio, Plivo). Duplicates are kept.
 */
export const sortedPairs = (pairs: readonly (readonly [string, string])[]): [string, string][] =>
  pairs
    .map(([key, value]): [string, string] => [key, value])
    .sort(([keyA, valueA], [keyB, valueB]) => byCodePoint(keyA, keyB) || byCodePoint(valueA, valueB));

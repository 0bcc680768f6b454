/**
 * Form bodies (application/x-www-form-urlencoded), decoded by the WHATWG rules the providers' own
 * SDKs use: `+` is a space, then percent-decoding as UTF-8. Repeated keys and their order are kept
 * for signature checks; `parseForm` gives the first value of each key for identify/normalize.
 */
import { BadRequestError, PayloadTooLargeError } from '../errors';

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

/**
 * The most pairs a Twilio or Plivo form may carry. Their largest documented callbacks are far
 * below: Twilio's voice status callback sends the ~30 standard request parameters (CallSid,
 * AccountSid, From, To, CallStatus, ApiVersion, Direction, ForwardedFrom, CallerName,
 * ParentCallSid, CallToken, and City/State/Zip/Country for From, To, Caller and Called) plus
 * ~12 status-callback ones (CallbackSource, SequenceNumber, Timestamp, CallDuration,
 * SipResponseCode, Recording*, AnsweredBy, MachineDetectionDuration, StirVerstat, …) and any
 * `SipHeader_*` (twilio.com/docs/voice/twiml#request-parameters, /docs/voice/api/call-resource#statuscallback);
 * Plivo's hangup callback ~25 fields plus `SIP-H-*` headers (plivo.com/docs/account/api/application
 * "Parameters Plivo sends to the Hangup URL"). 500 leaves ten times that for custom SIP headers.
 */
export const MAX_FORM_PAIRS = 500;
const AMPERSAND = 0x26;

/**
 * The pairs URLSearchParams would read at most (`&`-separated segments; an empty segment counts,
 * which only ever over-counts), from the raw bytes: no decoding, no allocation.
 */
export function countFormPairs(rawBody: Buffer): number {
  if (rawBody.length === 0) return 0;
  let pairs = 1;
  for (let at = rawBody.indexOf(AMPERSAND); at !== -1; at = rawBody.indexOf(AMPERSAND, at + 1)) pairs += 1;
  return pairs;
}

/**
 * `formPairs` of the raw body, refused with 413 past MAX_FORM_PAIRS before anything decodes, sorts
 * or hashes it: an unsigned caller chooses the body, and ~131k distinct keys cost the sort alone
 * ~0.4 s (bench/form-flood.ts). 413 rather than 400: the request is too large for what this
 * endpoint accepts, as Express's body-parser answers past its `parameterLimit`, and like the body
 * size limit it is decided before the credentials.
 */
export function limitedFormPairs(rawBody: Buffer): [string, string][] {
  if (countFormPairs(rawBody) > MAX_FORM_PAIRS) {
    throw new PayloadTooLargeError(`form has more than ${MAX_FORM_PAIRS} fields`);
  }
  return formPairs(rawBody.toString('utf8'));
}

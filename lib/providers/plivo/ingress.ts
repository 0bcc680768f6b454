/**
 * Plivo ingress: signature V3 (`X-Plivo-Signature-V3` or `X-Plivo-Signature-Ma-V3` with
 * `X-Plivo-Signature-V3-Nonce`, base64 HMAC-SHA256 per plivo-go's GenerateUrl/ComputeSignatureV3)
 * over the raw form body, as plivo-node's `validateV3Signature` checks it (test/differential/plivo.test.ts);
 * then the callback's event and `CallUUID`, and Plivo's documented formats (formats.ts). Loaded on
 * every cold start of the webhook Lambda: node:crypto and the repo's own modules only.
 */
import { createHmac } from 'node:crypto';
import { BadRequestError, UnauthorizedError } from '../../errors';
import { limitedFormPairs, parseForm, sortedPairs } from '../form';
import { optionalText, requireCallId } from '../identity';
import { envSecrets } from '../local-secrets';
import { matchesAnySecret, sameSecret } from '../secret-match';
import type { DeliveryIdentity, ProviderIngress, WebhookRequest } from '../types';
import { checkPlivoFormats } from './formats';

type Pairs = readonly (readonly [string, string])[];

const SIGNATURE_HEADERS = ['x-plivo-signature-v3', 'x-plivo-signature-ma-v3'] as const;
const NONCE_HEADER = 'x-plivo-signature-v3-nonce';

const queryText = (pairs: Pairs) =>
  sortedPairs(pairs)
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
const paramText = (pairs: Pairs) =>
  sortedPairs(pairs)
    .map(([key, value]) => `${key}${value}`)
    .join('');

/** `scheme://` + the authority without its userinfo (`user:pw@`), + the rest, as plivo-node rebuilds it. */
function withoutUserinfo(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)/.exec(url);
  if (!match) return url;
  const [prefix = '', scheme = '', authority = ''] = match;
  return scheme + authority.slice(authority.lastIndexOf('@') + 1) + url.slice(prefix.length);
}

/**
 * The string Plivo signs before `.nonce`, as plivo-node's `validateV3Signature` builds it
 * (dist/utils/v3Security.js construct_get_url / construct_post_url): scheme://host[:port]/path as
 * configured (no userinfo, no fragment), then for GET `?` + sorted `k=v` of query and params joined by
 * `&`; for POST `?` + the sorted query `k=v&…`, then `.` when there are both a query and params,
 * then the sorted params as `kv` concatenated (with a `?` first when there is no query but there are
 * params). Values are decoded; sorting is by UTF-16 code unit.
 */
export function plivoSignedUrl(url: string, params: Pairs, method: string): string {
  const withoutFragment = withoutUserinfo(url.split('#', 1)[0] ?? '');
  const queryAt = withoutFragment.indexOf('?');
  const base = queryAt < 0 ? withoutFragment : withoutFragment.slice(0, queryAt);
  const query = queryAt < 0 ? [] : [...new URLSearchParams(withoutFragment.slice(queryAt + 1))];
  if (method.toUpperCase() === 'GET') {
    const all = [...query, ...params];
    return all.length > 0 ? `${base}?${queryText(all)}` : base;
  }
  if (query.length > 0)
    return `${base}?${queryText(query)}${params.length > 0 ? '.' : ''}${paramText(params)}`;
  return params.length > 0 ? `${base}?${paramText(params)}` : base;
}

const sign = (authToken: string, signedUrl: string, nonce: string): string =>
  createHmac('sha256', authToken).update(`${signedUrl}.${nonce}`, 'utf8').digest('base64');

/** base64(HMAC-SHA256(authToken, signedUrl + "." + nonce)). */
export const plivoSignatureV3 = (
  authToken: string,
  url: string,
  params: Pairs,
  nonce: string,
  method = 'POST',
): string => sign(authToken, plivoSignedUrl(url, params, method), nonce);

/**
 * Throws UnauthorizedError unless one of the comma-separated signatures in `X-Plivo-Signature-V3`
 * or `X-Plivo-Signature-Ma-V3` is the V3 signature of `url`, the form parameters of `rawBody` and
 * the nonce under one of `authTokens`. No timestamp is signed, so there is no freshness check.
 */
export function verifyPlivoSignature(
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  url: string,
  authTokens: readonly string[],
  method = 'POST',
): void {
  const nonce = headers[NONCE_HEADER];
  if (typeof nonce !== 'string' || nonce === '') {
    throw new UnauthorizedError('missing X-Plivo-Signature-V3-Nonce header');
  }
  const presented = SIGNATURE_HEADERS.flatMap((name) => headers[name]?.split(',') ?? [])
    .map((signature) => signature.trim())
    .filter((signature) => signature !== '');
  if (presented.length === 0) throw new UnauthorizedError('missing X-Plivo-Signature-V3 header');
  // Counted (413 past MAX_FORM_PAIRS) before anything decodes, sorts or hashes them, then built
  // (sorted) once per request, not once per token.
  const signedUrl = plivoSignedUrl(url, limitedFormPairs(rawBody), method);
  const signed = matchesAnySecret(authTokens, (token) => {
    const expected = sign(token, signedUrl, nonce);
    return matchesAnySecret(presented, (signature) => sameSecret(signature, expected));
  });
  if (!signed) throw new UnauthorizedError('X-Plivo-Signature-V3 does not match');
}

/** `Event` names the callback (`Hangup`, `StartApp`, …); hangup_url callbacks without it carry CallStatus. */
function identify(fields: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const eventType = optionalText(fields, 'Event') ?? optionalText(fields, 'CallStatus');
  if (eventType === null) throw new BadRequestError('body has no Event or CallStatus');
  const callId = requireCallId(fields, 'CallUUID', 'callback');
  // Then every id, time and number in Plivo's documented format (formats.ts).
  checkPlivoFormats(fields);
  return { eventType, callId };
}

export const plivoIngress: ProviderIngress = {
  name: 'plivo',
  authenticate(request: WebhookRequest, secrets: readonly string[]): void {
    verifyPlivoSignature(request.rawBody, request.headers, request.url, secrets, request.method);
  },
  parse: (text) => parseForm(text),
  identify,
  local: { secret: envSecrets('PLIVO_AUTH_TOKEN', 'dev-plivo-auth-token') },
  // Issue 18: the exact text the signature covers (signed URL, `.`, nonce) rather than the headers,
  // which may list extra signatures, and whose nonce a forger can lengthen (text moved out of the
  // last value): every body a signature verifies has this same text.
  signatureKey: (request) =>
    `${plivoSignedUrl(request.url, limitedFormPairs(request.rawBody), request.method)}.${request.headers[NONCE_HEADER] ?? ''}`,
};

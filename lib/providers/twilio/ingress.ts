/**
 * Twilio ingress: `X-Twilio-Signature` (base64 HMAC-SHA1 of the URL Twilio called + its sorted form
 * parameters, or HMAC-SHA256 when a SharedKey signed) over the raw body, as twilio-node's
 * `validateRequest` checks it (test/differential/twilio.test.ts); then the Voice status callback's
 * `CallStatus` and `CallSid`, and Twilio's documented formats (formats.ts). Loaded on every cold
 * start of the webhook Lambda: node:crypto, node:querystring and the repo's own modules only.
 */
import { createHash, createHmac } from 'node:crypto';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import { BadRequestError, UnauthorizedError } from '../../errors';
import { parseJsonObject } from '../../http';
import { limitedFormPairs, parseForm, sortedPairs } from '../form';
import { optionalText, requireCallId } from '../identity';
import { envSecrets } from '../local-secrets';
import { matchesAnySecret, sameSecret } from '../secret-match';
import type { DeliveryIdentity, ProviderIngress, WebhookRequest } from '../types';
import { checkTwilioFormats } from './formats';

const SIGNATURE_HEADER = 'x-twilio-signature';
/** SharedKey webhooks carry `key=<sharedKeyId>,algorithm=HMAC_SHA256` here (twilio-node SIGNATURE_SETTINGS_HEADER). */
const SETTINGS_HEADER = 'x-twilio-webhooks-signature-settings';
/** The AMD result posted to AsyncAmdStatusCallback carries no CallStatus, only AnsweredBy. */
export const MACHINE_DETECTION_EVENT = 'machine-detection';

export type TwilioAlgorithm = 'HMAC_SHA1' | 'HMAC_SHA256';
const HASHES: Readonly<Record<TwilioAlgorithm, 'sha1' | 'sha256'>> = {
  HMAC_SHA1: 'sha1',
  HMAC_SHA256: 'sha256',
};

/**
 * The algorithm the settings header names, read as twilio-node's `getSignatureAlgorithm` and
 * `toHashName` read it (lib/webhooks/webhooks.js): the first `algorithm=` part with a non-empty value
 * (parts split on `,`, name and value trimmed, the name case-sensitive), its value compared
 * case-insensitively; none → HMAC_SHA1 (the Auth Token signature); anything else → null (refused).
 */
export function twilioSignatureAlgorithm(settings: string | undefined): TwilioAlgorithm | null {
  let named = '';
  for (const part of (settings ?? '').split(',')) {
    const separator = part.indexOf('=');
    if (separator === -1 || part.slice(0, separator).trim() !== 'algorithm') continue;
    named = part.slice(separator + 1).trim();
    if (named !== '') break;
  }
  const upper = named.toUpperCase();
  if (named === '' || upper === 'HMAC_SHA1') return 'HMAC_SHA1';
  return upper === 'HMAC_SHA256' ? 'HMAC_SHA256' : null;
}

/**
 * key1value1key2value2… as twilio-node's `getExpectedTwilioSignature` builds it: keys sorted, each
 * key's values without duplicates (a Set) and sorted — both in UTF-16 code-unit order (`sort()`).
 */
function signedParams(params: readonly (readonly [string, string])[]): string {
  let text = '';
  let previous: readonly [string, string] | undefined;
  for (const pair of sortedPairs(params)) {
    // Sorted, so a repeated pair sits next to its twin.
    if (previous !== undefined && previous[0] === pair[0] && previous[1] === pair[1]) continue;
    previous = pair;
    text += `${pair[0]}${pair[1]}`;
  }
  return text;
}

const sign = (secret: string, url: string, paramText: string, algorithm: TwilioAlgorithm = 'HMAC_SHA1') =>
  createHmac(HASHES[algorithm], secret).update(url, 'utf8').update(paramText, 'utf8').digest('base64');

/**
 * base64(HMAC(secret, url + key1value1key2value2…)): HMAC-SHA1 with the Auth Token, or HMAC-SHA256
 * with a SharedKey secret (`X-Twilio-Webhooks-Signature-Settings: …,algorithm=HMAC_SHA256`).
 */
export const twilioSignature = (
  secret: string,
  url: string,
  params: readonly (readonly [string, string])[],
  algorithm: TwilioAlgorithm = 'HMAC_SHA1',
): string => sign(secret, url, signedParams(params), algorithm);

interface UrlParts {
  scheme: string;
  userInfo: string;
  host: string;
  port: string;
  rest: string;
}

/** twilio-node's splitUrl: the URL's parts as written (no normalising), or null without `scheme://`. */
function splitUrl(url: string): UrlParts | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!match) return null;
  const [prefix = '', scheme = '', authority = ''] = match;
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  // A colon only starts the port after the closing bracket of an IPv6 literal.
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}

function addPort(url: string): string {
  const parts = splitUrl(url);
  if (!parts || parts.port) return url;
  const port = parts.scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return parts.scheme + parts.userInfo + parts.host + port + parts.rest;
}

function removePort(url: string): string {
  const parts = splitUrl(url);
  return parts ? parts.scheme + parts.userInfo + parts.host + parts.rest : url;
}

/** twilio-node's withLegacyQuerystring: the query re-encoded by Node's `querystring`. */
function withLegacyQuerystring(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1 || queryStart === url.length - 1) return url;
  return `${url.slice(0, queryStart)}?${stringifyQuery(parseQuery(url.slice(queryStart + 1)))}`;
}

/**
 * The URLs twilio-node's `validateRequest` tries, in its order, without repeats: the URL as received
 * without and with its port (the default one added when none is explicit); then the URL as `new
 * URL()` normalises it (scheme and host lower-cased, `'` → `%27` in the query, …), without and with
 * the port, and each of those with the query re-encoded by `querystring`.
 */
export function urlVariants(url: string): string[] {
  const candidates = [removePort(url), addPort(url)];
  let normalized: string | null = null;
  try {
    normalized = new URL(url).toString();
  } catch {
    // Not a URL a parser accepts: only the forms as received (twilio-node would throw here).
  }
  if (normalized !== null) {
    const [without, withPort] = [removePort(normalized), addPort(normalized)];
    candidates.push(without, withPort, withLegacyQuerystring(without), withLegacyQuerystring(withPort));
  }
  return [...new Set(candidates)];
}

/** The value of `bodySHA256` in the raw query, when the request is Twilio's JSON-bodied variant. */
export function bodyHashParameter(url: string): string | null {
  const query = url.indexOf('?');
  return query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get('bodySHA256');
}

/**
 * Throws UnauthorizedError unless `headers['x-twilio-signature']` signs one of `urlVariants(url)`
 * and the form parameters of `rawBody` under one of `secrets`, with the algorithm the settings
 * header names (HMAC-SHA1 without one). A URL carrying `bodySHA256` is the JSON variant: the
 * signature covers the URL alone and the hash must be sha256(rawBody). Matches twilio-node's
 * `validateRequest` / `validateRequestWithBody` (test/differential/twilio.test.ts).
 */
export function verifyTwilioSignature(
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  url: string,
  secrets: readonly string[],
): void {
  const presented = headers[SIGNATURE_HEADER];
  if (typeof presented !== 'string' || presented === '') {
    throw new UnauthorizedError('missing X-Twilio-Signature header');
  }
  const algorithm = twilioSignatureAlgorithm(headers[SETTINGS_HEADER]);
  if (algorithm === null) {
    throw new UnauthorizedError('X-Twilio-Webhooks-Signature-Settings names an unsupported algorithm');
  }
  const bodyHash = bodyHashParameter(url);
  // The signed parameters are the decoded form values; a JSON body is covered by its hash instead.
  // Counted (413 past MAX_FORM_PAIRS) before anything decodes, sorts or hashes them, then sorted
  // once per request, not once per secret and URL form.
  const paramText = bodyHash === null ? signedParams(limitedFormPairs(rawBody)) : '';
  const urls = urlVariants(url);
  const signed = matchesAnySecret(secrets, (secret) =>
    matchesAnySecret(urls, (candidate) =>
      sameSecret(presented, sign(secret, candidate, paramText, algorithm)),
    ),
  );
  if (!signed) throw new UnauthorizedError('X-Twilio-Signature does not match');
  if (bodyHash !== null) {
    const actual = createHash('sha256').update(rawBody).digest('hex');
    if (!sameSecret(bodyHash.toLowerCase(), actual))
      throw new UnauthorizedError('bodySHA256 does not match the body');
  }
}

function identifyEvent(fields: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const callStatus = optionalText(fields, 'CallStatus');
  if (callStatus !== null)
    return { eventType: callStatus, callId: requireCallId(fields, 'CallSid', 'status callback') };
  // Answering-machine detection posts AnsweredBy without CallStatus; it belongs to its call too.
  if (optionalText(fields, 'AnsweredBy') !== null) {
    return { eventType: MACHINE_DETECTION_EVENT, callId: requireCallId(fields, 'CallSid', 'AMD callback') };
  }
  throw new BadRequestError('body has no CallStatus');
}

/** The event and its call, then every id, time and number in Twilio's documented format (formats.ts). */
function identify(fields: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const identity = identifyEvent(fields);
  checkTwilioFormats(fields);
  return identity;
}

export const twilioIngress: ProviderIngress = {
  name: 'twilio',
  authenticate(request: WebhookRequest, secrets: readonly string[]): void {
    verifyTwilioSignature(request.rawBody, request.headers, request.url, secrets);
  },
  // Status callbacks are forms; the bodySHA256 variant (verified by its hash) is a JSON object.
  parse: (text, request) =>
    bodyHashParameter(request.url) === null ? parseForm(text) : parseJsonObject(text),
  identify,
  local: { secret: envSecrets('TWILIO_AUTH_TOKEN', 'dev-twilio-auth-token') },
  // Issue 18: the one header that verified (compared exactly), so a re-split body carries it too.
  signatureKey: (request) => request.headers[SIGNATURE_HEADER],
};

/**
 * Twilio ingress: `X-Twilio-Signature` (base64 HMAC-SHA1 of the URL Twilio called + its sorted form
 * parameters) over the raw body, then the Voice status callback's `CallStatus` and `CallSid`.
 * Loaded on every cold start of the webhook Lambda: node:crypto and the repo's own modules only.
 */
import { createHash, createHmac } from 'node:crypto';
import { BadRequestError, UnauthorizedError } from '../../errors';
import { parseJsonObject } from '../../http';
import { formPairs, parseForm, sortedPairs } from '../form';
import { optionalText, requireCallId } from '../identity';
import { envSecrets } from '../local-secrets';
import { matchesAnySecret, sameSecret } from '../secret-match';
import type { DeliveryIdentity, ProviderIngress, WebhookRequest } from '../types';

const SIGNATURE_HEADER = 'x-twilio-signature';
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };
/** The AMD result posted to AsyncAmdStatusCallback carries no CallStatus, only AnsweredBy. */
export const MACHINE_DETECTION_EVENT = 'machine-detection';

/** key1value1key2value2… with the pairs sorted by key, then value: what Twilio signs after the URL. */
const signedParams = (params: readonly (readonly [string, string])[]): string =>
  sortedPairs(params)
    .map(([key, value]) => `${key}${value}`)
    .join('');

const sign = (authToken: string, url: string, paramText: string): string =>
  createHmac('sha1', authToken).update(url, 'utf8').update(paramText, 'utf8').digest('base64');

/** base64(HMAC-SHA1(token, url + key1value1key2value2…)) with the pairs sorted by key, then value. */
export const twilioSignature = (
  authToken: string,
  url: string,
  params: readonly (readonly [string, string])[],
): string => sign(authToken, url, signedParams(params));

/**
 * The URL as given, and with the default port added (none explicit) or the explicit port removed,
 * as twilio-node's validateRequest tries them. Plain text surgery: the host keeps its case and the
 * query its exact bytes (a URL parser would lowercase the one and may re-encode the other).
 */
export function urlVariants(url: string): string[] {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(url);
  if (!match) return [url];
  const [, scheme = '', authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const explicitPort = /:(\d*)$/.exec(hostPort);
  const host = explicitPort ? hostPort.slice(0, explicitPort.index) : hostPort;
  const defaultPort = DEFAULT_PORTS[scheme.toLowerCase()];
  const other = explicitPort
    ? `${scheme}://${userinfo}${host}${rest}`
    : defaultPort
      ? `${scheme}://${userinfo}${host}:${defaultPort}${rest}`
      : url;
  return other === url ? [url] : [url, other];
}

/** The value of `bodySHA256` in the raw query, when the request is Twilio's JSON-bodied variant. */
export function bodyHashParameter(url: string): string | null {
  const query = url.indexOf('?');
  return query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get('bodySHA256');
}

/**
 * Throws UnauthorizedError unless `headers['x-twilio-signature']` signs `url` (with or without its
 * port) and the form parameters of `rawBody` under one of `authTokens`. A URL carrying `bodySHA256`
 * is the JSON variant: the signature covers the URL alone and the hash must be sha256(rawBody).
 */
export function verifyTwilioSignature(
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  url: string,
  authTokens: readonly string[],
): void {
  const presented = headers[SIGNATURE_HEADER];
  if (typeof presented !== 'string' || presented === '') {
    throw new UnauthorizedError('missing X-Twilio-Signature header');
  }
  const bodyHash = bodyHashParameter(url);
  // The signed parameters are the decoded form values; a JSON body is covered by its hash instead.
  // Sorted once per request, not once per token and URL variant.
  const paramText = bodyHash === null ? signedParams(formPairs(rawBody.toString('utf8'))) : '';
  const urls = urlVariants(url);
  const signed = matchesAnySecret(authTokens, (token) =>
    matchesAnySecret(urls, (candidate) => sameSecret(presented, sign(token, candidate, paramText))),
  );
  if (!signed) throw new UnauthorizedError('X-Twilio-Signature does not match');
  if (bodyHash !== null) {
    const actual = createHash('sha256').update(rawBody).digest('hex');
    if (!sameSecret(bodyHash.toLowerCase(), actual))
      throw new UnauthorizedError('bodySHA256 does not match the body');
  }
}

function identify(fields: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const callStatus = optionalText(fields, 'CallStatus');
  if (callStatus !== null)
    return { eventType: callStatus, callId: requireCallId(fields, 'CallSid', 'status callback') };
  // Answering-machine detection posts AnsweredBy without CallStatus; it belongs to its call too.
  if (optionalText(fields, 'AnsweredBy') !== null) {
    return { eventType: MACHINE_DETECTION_EVENT, callId: requireCallId(fields, 'CallSid', 'AMD callback') };
  }
  throw new BadRequestError('body has no CallStatus');
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

/**
 * Retell AI ingress: `x-retell-signature` verification over the raw body and identification of the
 * event. Loaded on every cold start inside Retell's 10 s timeout, so node:crypto and repo modules only.
 */
import { createHmac } from 'node:crypto';
import { BadRequestError, UnauthorizedError } from '../../errors';
import { requireEpochMsIfPresent } from '../formats';
import { isJsonRecord, optionalCallId, ownField, requireEventType } from '../identity';
import { envSecrets } from '../local-secrets';
import { matchesAnySecret, sameSecret } from '../secret-match';
import { requireFresh, timestampMs } from '../timestamp';
import type { DeliveryIdentity, ProviderIngress, WebhookRequest } from '../types';

export const SIGNATURE_HEADER = 'x-retell-signature';

/** Events about one call: without `call.call_id` they could not be attached to it. */
const CALL_EVENTS: ReadonlySet<string> = new Set(['call_started', 'call_ended', 'call_analyzed']);

/**
 * `v=<ms>,d=<hex>` as retell-sdk's `verify` reads it (lib/webhook_auth.js: `/^v=(\d+),d=([0-9a-f]+)$/i`,
 * so `V=`/`D=` and upper-case hex too); whitespace around the parts is our only leniency.
 */
const SIGNATURE = /^\s*v=(\d{1,16}),\s*d=([0-9a-f]{1,128})\s*$/i;

/** The hex HMAC-SHA256 Retell sends: key = the API key, message = raw body followed by the ms timestamp. */
export const retellDigest = (rawBody: Buffer, ms: number, apiKey: string): string =>
  createHmac('sha256', apiKey).update(rawBody).update(String(ms)).digest('hex');

/**
 * Retell's signature scheme: throws UnauthorizedError (one-line reason, never a secret) unless
 * `x-retell-signature` carries a timestamp within 300 s of `now` and the HMAC of one of `apiKeys`
 * (current and next) over the exact raw bytes. Retell signs no URL, so `_url` is unused.
 */
export function verifyRetellSignature(
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  _url: string,
  apiKeys: readonly string[],
  now: Date,
): void {
  const header = headers[SIGNATURE_HEADER];
  if (header === undefined || header === '') throw new UnauthorizedError(`missing ${SIGNATURE_HEADER}`);
  const match = SIGNATURE.exec(header);
  if (!match) throw new UnauthorizedError(`malformed ${SIGNATURE_HEADER}`);
  const ms = timestampMs(match[1], 'ms');
  if (ms === null) throw new UnauthorizedError(`malformed ${SIGNATURE_HEADER}`);
  requireFresh(ms, now);
  const presented = (match[2] ?? '').toLowerCase();
  const matched = matchesAnySecret(apiKeys, (key) => sameSecret(presented, retellDigest(rawBody, ms, key)));
  if (!matched) throw new UnauthorizedError(`${SIGNATURE_HEADER} does not match`);
}

function identify(body: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const eventType = requireEventType(ownField(body, 'event'), 'event');
  const call = ownField(body, 'call');
  if (call !== undefined && call !== null && !isJsonRecord(call)) {
    throw new BadRequestError('call is not an object');
  }
  const callId = isJsonRecord(call) ? optionalCallId(ownField(call, 'call_id'), 'call.call_id') : null;
  if (callId === null && CALL_EVENTS.has(eventType)) {
    throw new BadRequestError(`${eventType} event has no call.call_id`);
  }
  // "milliseconds since epoch", typed number (retell-sdk resources/call.d.ts); call_id has no
  // closed format, and from/to_number may be SIP addresses.
  if (isJsonRecord(call)) {
    requireEpochMsIfPresent(ownField(call, 'start_timestamp'), 'call.start_timestamp');
    requireEpochMsIfPresent(ownField(call, 'end_timestamp'), 'call.end_timestamp');
  }
  // Future event types are acknowledged so Retell does not retry them; the consumer decides.
  return { eventType, callId };
}

export const retellIngress: ProviderIngress = {
  name: 'retell',
  local: { secret: envSecrets('RETELL_API_KEY', 'key_dev_retell_webhook') },
  authenticate(request: WebhookRequest, secrets: readonly string[], { now }): void {
    verifyRetellSignature(request.rawBody, request.headers, request.url, secrets, now);
  },
  identify,
};

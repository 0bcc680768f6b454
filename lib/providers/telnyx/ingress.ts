/**
 * Telnyx ingress: Ed25519 signatures (Call Control JSON events and TeXML form callbacks alike) and
 * identification of the event. Loaded on every cold start, so node:crypto and repo modules only.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { BadRequestError, UnauthorizedError } from '../../errors';
import { parseJsonObject } from '../../http';
import { parseForm } from '../form';
import { requireIsoTimeIfPresent } from '../formats';
import { envSecrets } from '../local-secrets';
import { matchesAnySecret } from '../secret-match';
import { requireFresh, timestampMs } from '../timestamp';
import type { DeliveryIdentity, LocalSecrets, ProviderIngress, WebhookRequest } from '../types';
import { cachedKeyProblem, requireUsableKeys } from './key';

export const SIGNATURE_HEADER = 'telnyx-signature-ed25519';
export const TIMESTAMP_HEADER = 'telnyx-timestamp';
export const MAX_CALL_ID_LENGTH = 200;

/**
 * Local stack only: the public key of RFC 8032's TEST 1 key pair, whose private seed is published
 * (`9d61b19d…7f60`), so anyone can sign test requests with it (scripts/sign-webhook.ts). Never
 * register it anywhere real.
 */
export const DEV_PUBLIC_KEY = '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=';

// DER SubjectPublicKeyInfo header for an Ed25519 key: Node takes raw keys only wrapped in it.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const keys = new Map<string, KeyObject | null>();

/**
 * The portal's key (base64 of the 32 raw bytes) as a KeyObject; null when it is not one, or is one
 * no private key stands behind (small order, non-canonical: ./key.ts), which then verifies nothing.
 */
export function telnyxPublicKey(base64: string): KeyObject | null {
  const cached = keys.get(base64);
  if (cached !== undefined) return cached;
  const text = base64.trim();
  const raw = BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  let key: KeyObject | null = null;
  if (raw.length === 32 && cachedKeyProblem(text) === null) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    } catch {
      key = null;
    }
  }
  if (keys.size < 16) keys.set(base64, key);
  return key;
}

const header = (headers: Readonly<Record<string, string | undefined>>, name: string) => headers[name];

/**
 * Throws UnauthorizedError unless `telnyx-signature-ed25519` is an Ed25519 signature, by one of
 * `publicKeys`, over the UTF-8 bytes `<telnyx-timestamp>|<raw body>`, and the timestamp is within
 * 300 whole seconds of `now`. The reference is telnyx-node's `TelnyxWebhook.verify`
 * (test/differential/telnyx.test.ts); we are more lenient only about whitespace and base64 padding.
 */
export function verifyTelnyxSignature(
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  publicKeys: readonly string[],
  now: Date,
): void {
  const signatureText = header(headers, SIGNATURE_HEADER)?.trim();
  const timestamp = header(headers, TIMESTAMP_HEADER);
  if (!signatureText || timestamp === undefined) throw new UnauthorizedError('missing Telnyx signature');
  const signature = BASE64.test(signatureText) ? Buffer.from(signatureText, 'base64') : Buffer.alloc(0);
  if (signature.length !== 64) throw new UnauthorizedError('malformed Telnyx signature');
  requireFresh(timestampMs(timestamp, 's'), now, undefined, 's');
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), rawBody]);
  const valid = matchesAnySecret(publicKeys, (publicKey) => {
    const key = telnyxPublicKey(publicKey);
    return key !== null && verify(null, signed, key, signature);
  });
  if (!valid) throw new UnauthorizedError('invalid Telnyx signature');
}

/**
 * Call Control sends JSON, TeXML form fields; Content-Type is not trusted, so the body decides: a
 * JSON document starts with `{` or `[`, anything else is read as a form.
 */
export function parseTelnyxBody(text: string): Readonly<Record<string, unknown>> {
  const start = text.trimStart()[0];
  return start === '{' || start === '[' ? parseJsonObject(text) : parseForm(text);
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const own = (object: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;

/** A call id field: absent/empty → null; present but not a bounded string → 400. */
function callIdOf(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new BadRequestError(`${field} is not a string`);
  if (value.length > MAX_CALL_ID_LENGTH) {
    throw new BadRequestError(`${field} is longer than ${MAX_CALL_ID_LENGTH} characters`);
  }
  return value;
}

/** The TeXML event type: `texml.` + CallStatus (a status callback), else `texml.callback`. */
export const texmlEventType = (callStatus: string | undefined) =>
  `texml.${callStatus ? callStatus.slice(0, 48) : 'callback'}`;

function identifyCallControl(body: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const data = own(body, 'data');
  const eventType = isObject(data) ? own(data, 'event_type') : undefined;
  if (typeof eventType !== 'string' || eventType === '')
    throw new BadRequestError('body has no data.event_type');
  const payload = isObject(data) ? own(data, 'payload') : undefined;
  if (payload !== undefined && payload !== null && !isObject(payload)) {
    throw new BadRequestError('data.payload is not an object');
  }
  const callId = isObject(payload) ? callIdOf(own(payload, 'call_leg_id'), 'data.payload.call_leg_id') : null;
  // "ISO 8601 datetime" (telnyx-node resources/webhooks.d.ts); the leg ids have no closed format.
  if (isObject(data)) requireIsoTimeIfPresent(own(data, 'occurred_at'), 'data.occurred_at');
  if (isObject(payload)) {
    requireIsoTimeIfPresent(own(payload, 'start_time'), 'data.payload.start_time');
    requireIsoTimeIfPresent(own(payload, 'end_time'), 'data.payload.end_time');
  }
  // Every call.* event concerns one leg; other products' events (fax, messaging) are only kept.
  if (callId === null && eventType.startsWith('call.')) {
    throw new BadRequestError(`${eventType} event has no data.payload.call_leg_id`);
  }
  return { eventType, callId };
}

function identifyTexml(fields: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const status = own(fields, 'CallStatus');
  const callStatus = typeof status === 'string' && status !== '' ? status : undefined;
  if (callStatus === undefined && own(fields, 'CallSid') === undefined) {
    throw new BadRequestError('body is neither a Telnyx event nor a TeXML callback');
  }
  // TeXML keys a call by its leg (spec §6), like Call Control's call_leg_id; older callbacks
  // without CallLegId fall back to CallSid.
  const callId =
    callIdOf(own(fields, 'CallLegId'), 'CallLegId') ?? callIdOf(own(fields, 'CallSid'), 'CallSid');
  if (callId === null && callStatus !== undefined) {
    throw new BadRequestError('TeXML status callback has no CallLegId or CallSid');
  }
  return { eventType: texmlEventType(callStatus), callId };
}

/** Local stack: TELNYX_PUBLIC_KEY's keys, refused at start when one is unusable (issue 18). */
function localSecret(env: Readonly<Record<string, string | undefined>>): LocalSecrets {
  const secrets = envSecrets('TELNYX_PUBLIC_KEY', DEV_PUBLIC_KEY)(env);
  requireUsableKeys(secrets.secrets, 'TELNYX_PUBLIC_KEY');
  return secrets;
}

export const telnyxIngress: ProviderIngress = {
  name: 'telnyx',
  authenticate(request: WebhookRequest, secrets: readonly string[], { now, settings }): void {
    // Deployed, the keys arrive with the first request (SSM): an unusable one fails it, and every
    // request after, with a one-line error naming the parameter (a 500: the setup is wrong).
    requireUsableKeys(secrets, settings.WEBHOOK_SECRETS_PARAMETER || 'the telnyx webhook-secrets parameter');
    verifyTelnyxSignature(request.rawBody, request.headers, secrets, now);
  },
  parse: parseTelnyxBody,
  identify(body) {
    return own(body, 'data') !== undefined ? identifyCallControl(body) : identifyTexml(body);
  },
  local: { secret: localSecret },
};

/**
 * Vapi ingress: authentication as the stage configures it (Vapi's HMAC plan by default, or the shared
 * secret in `X-Vapi-Secret` / `Authorization: Bearer`) over the raw body, and identification of the
 * server message. Loaded on every cold start, so node:crypto and repo modules only.
 */
import { createHmac } from 'node:crypto';
import { BadRequestError, UnauthorizedError } from '../../errors';
import { requireIsoTimeIfPresent } from '../formats';
import { isJsonRecord, optionalCallId, ownField, requireEventType } from '../identity';
import { envSecrets } from '../local-secrets';
import { matchesAnySecret, sameSecret } from '../secret-match';
import { inSeconds, requireFresh, timestampMs } from '../timestamp';
import type { DeliveryIdentity, LocalSecrets, ProviderIngress, WebhookRequest } from '../types';

const END_OF_CALL_REPORT = 'end-of-call-report';

export const AUTH_MODES = ['hmac', 'secret', 'bearer', 'secret-or-bearer'] as const;
export type VapiAuthMode = (typeof AUTH_MODES)[number];
const ALGORITHMS = ['sha256', 'sha512', 'sha1'] as const;
const ENCODINGS = ['hex', 'base64'] as const;

/** Vapi's HMAC plan (VapiAI/docs openapi HMACAuthenticationPlan), with its defaults. */
export interface VapiHmacPlan {
  algorithm: (typeof ALGORITHMS)[number];
  encoding: (typeof ENCODINGS)[number];
  signaturePrefix: string;
  /** Lower-case header names (request headers arrive lower-cased). */
  signatureHeader: string;
  timestampHeader: string;
  /** `{body}` once, `{timestamp}` at most once; without `{timestamp}` no timestamp is required. */
  payloadFormat: string;
}

export interface VapiAuthSettings {
  mode: VapiAuthMode;
  hmac: VapiHmacPlan;
}

export const DEFAULT_HMAC_PLAN: VapiHmacPlan = {
  algorithm: 'sha256',
  encoding: 'hex',
  signaturePrefix: '',
  signatureHeader: 'x-signature',
  timestampHeader: 'x-timestamp',
  payloadFormat: '{timestamp}.{body}',
};

/** A bad setting: a one-line message naming the variable, at cold start and at local start. */
export class VapiSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VapiSettingsError';
  }
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const PLACEHOLDER = /\{[^{}]*\}/g;

function oneOf<T extends string>(
  settings: Readonly<Record<string, string | undefined>>,
  variable: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = settings[variable]?.trim();
  if (value === undefined || value === '') return fallback;
  const found = allowed.find((candidate) => candidate === value.toLowerCase());
  if (found === undefined) {
    throw new VapiSettingsError(`${variable} must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return found;
}

function headerName(
  settings: Readonly<Record<string, string | undefined>>,
  variable: string,
  fallback: string,
) {
  const value = settings[variable]?.trim();
  if (value === undefined || value === '') return fallback;
  if (!HEADER_NAME.test(value))
    throw new VapiSettingsError(`${variable} is not an HTTP header name ("${value}")`);
  return value.toLowerCase();
}

function payloadFormat(settings: Readonly<Record<string, string | undefined>>, variable: string): string {
  const value = settings[variable];
  if (value === undefined || value === '') return DEFAULT_HMAC_PLAN.payloadFormat;
  const placeholders = value.match(PLACEHOLDER) ?? [];
  const unknown = placeholders.filter((p) => p !== '{body}' && p !== '{timestamp}');
  if (unknown.length > 0) {
    throw new VapiSettingsError(
      `${variable} may only use {body} and {timestamp} (got ${unknown.join(', ')})`,
    );
  }
  if (placeholders.filter((p) => p === '{body}').length !== 1) {
    throw new VapiSettingsError(`${variable} must contain {body} exactly once`);
  }
  if (placeholders.filter((p) => p === '{timestamp}').length > 1) {
    throw new VapiSettingsError(`${variable} may contain {timestamp} at most once`);
  }
  return value;
}

/**
 * The stage's Vapi authentication from the webhook function's environment (serverless.yml sets it
 * from the `vapi*` stage params; the local stack from its env). Unset or empty → Vapi's defaults;
 * anything unrecognised throws VapiSettingsError rather than weakening the check.
 */
export function vapiAuthSettings(settings: Readonly<Record<string, string | undefined>>): VapiAuthSettings {
  const prefix = settings.VAPI_HMAC_SIGNATURE_PREFIX ?? '';
  if (/[\r\n]/.test(prefix)) throw new VapiSettingsError('VAPI_HMAC_SIGNATURE_PREFIX must be one line');
  return {
    mode: oneOf(settings, 'VAPI_AUTH_MODE', AUTH_MODES, 'hmac'),
    hmac: {
      algorithm: oneOf(settings, 'VAPI_HMAC_ALGORITHM', ALGORITHMS, DEFAULT_HMAC_PLAN.algorithm),
      encoding: oneOf(settings, 'VAPI_HMAC_ENCODING', ENCODINGS, DEFAULT_HMAC_PLAN.encoding),
      signaturePrefix: prefix,
      signatureHeader: headerName(settings, 'VAPI_HMAC_SIGNATURE_HEADER', DEFAULT_HMAC_PLAN.signatureHeader),
      timestampHeader: headerName(settings, 'VAPI_HMAC_TIMESTAMP_HEADER', DEFAULT_HMAC_PLAN.timestampHeader),
      payloadFormat: payloadFormat(settings, 'VAPI_HMAC_PAYLOAD_FORMAT'),
    },
  };
}

// Parsed once per distinct settings text: the check runs per request, the settings change per deploy.
let cached: { key: string; value: VapiAuthSettings } | undefined;
const SETTING_NAMES = [
  'VAPI_AUTH_MODE',
  'VAPI_HMAC_ALGORITHM',
  'VAPI_HMAC_ENCODING',
  'VAPI_HMAC_SIGNATURE_PREFIX',
  'VAPI_HMAC_SIGNATURE_HEADER',
  'VAPI_HMAC_TIMESTAMP_HEADER',
  'VAPI_HMAC_PAYLOAD_FORMAT',
];
function settingsOf(settings: Readonly<Record<string, string | undefined>>): VapiAuthSettings {
  const key = JSON.stringify(SETTING_NAMES.map((name) => settings[name] ?? null));
  if (cached?.key !== key) cached = { key, value: vapiAuthSettings(settings) };
  return cached.value;
}

/** The bytes the HMAC plan signs: `payloadFormat` with the timestamp text and the exact raw body. */
function signedPayload(format: string, rawBody: Buffer, timestamp: string): Buffer {
  const pieces = format.split(/(\{body\}|\{timestamp\})/);
  return Buffer.concat(
    pieces.map((piece) =>
      piece === '{body}' ? rawBody : Buffer.from(piece === '{timestamp}' ? timestamp : piece, 'utf8'),
    ),
  );
}

/** What Vapi puts in the signature header for `secret` under `plan`. */
export function vapiSignature(
  plan: VapiHmacPlan,
  rawBody: Buffer,
  timestamp: string,
  secret: string,
): string {
  const digest = createHmac(plan.algorithm, secret)
    .update(signedPayload(plan.payloadFormat, rawBody, timestamp))
    .digest(plan.encoding);
  return `${plan.signaturePrefix}${digest}`;
}

/**
 * Vapi's HMAC plan: throws UnauthorizedError unless the signature header is the HMAC of one of
 * `secrets` over the payload format (and, when it includes the timestamp, the timestamp header is
 * within 300 s of `now`; Unix seconds as Vapi sends them, milliseconds accepted too).
 */
export function verifyVapiHmac(
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  _url: string,
  secrets: readonly string[],
  now: Date,
  plan: VapiHmacPlan = DEFAULT_HMAC_PLAN,
): void {
  const presented = headers[plan.signatureHeader]?.trim();
  if (presented === undefined || presented === '') {
    throw new UnauthorizedError(`missing ${plan.signatureHeader}`);
  }
  let timestamp = '';
  if (plan.payloadFormat.includes('{timestamp}')) {
    timestamp = headers[plan.timestampHeader]?.trim() ?? '';
    if (timestamp === '') throw new UnauthorizedError(`missing ${plan.timestampHeader}`);
    requireFresh(timestampMs(timestamp, 'auto'), now, undefined, inSeconds(timestamp, 'auto') ? 's' : 'ms');
  }
  // Hex digits compare case-insensitively; base64 exactly.
  const comparable = (text: string) => (plan.encoding === 'hex' ? text.toLowerCase() : text);
  const matched = matchesAnySecret(secrets, (secret) =>
    sameSecret(comparable(presented), comparable(vapiSignature(plan, rawBody, timestamp, secret))),
  );
  if (!matched) throw new UnauthorizedError(`${plan.signatureHeader} does not match`);
}

const BEARER = /^Bearer[ \t]+(\S.*?)[ \t]*$/i;

/**
 * Vapi's credential without a signature: the secret itself, in `X-Vapi-Secret` (legacy) and/or as
 * `Authorization: Bearer <secret>`, as `mode` allows.
 */
export function verifyVapiToken(
  headers: Readonly<Record<string, string | undefined>>,
  secrets: readonly string[],
  mode: Exclude<VapiAuthMode, 'hmac'>,
): void {
  const candidates: string[] = [];
  if (mode !== 'bearer') {
    const secret = headers['x-vapi-secret'];
    if (secret !== undefined && secret !== '') candidates.push(secret);
  }
  if (mode !== 'secret') {
    const bearer = BEARER.exec(headers.authorization ?? '')?.[1];
    if (bearer !== undefined) candidates.push(bearer);
  }
  const expected =
    mode === 'secret'
      ? 'X-Vapi-Secret'
      : mode === 'bearer'
        ? 'Authorization: Bearer'
        : 'X-Vapi-Secret or Authorization: Bearer';
  if (candidates.length === 0) throw new UnauthorizedError(`missing ${expected}`);
  // Every presented credential must be valid: a wrong one next to a right one is still a wrong request.
  const valid = candidates.every((candidate) =>
    matchesAnySecret(secrets, (secret) => sameSecret(candidate, secret)),
  );
  if (!valid) throw new UnauthorizedError(`${expected} does not match`);
}

function identify(body: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const message = ownField(body, 'message');
  if (!isJsonRecord(message)) throw new BadRequestError('body has no message object');
  const eventType = requireEventType(ownField(message, 'type'), 'message.type');
  const call = ownField(message, 'call');
  if (call !== undefined && call !== null && !isJsonRecord(call)) {
    throw new BadRequestError('message.call is not an object');
  }
  const callId = isJsonRecord(call) ? optionalCallId(ownField(call, 'id'), 'message.call.id') : null;
  if (callId === null && eventType === END_OF_CALL_REPORT) {
    throw new BadRequestError(`${END_OF_CALL_REPORT} message has no message.call.id`);
  }
  // "ISO 8601 date-time string" (@vapi-ai/server-sdk ServerMessageEndOfCallReport.d.ts, Call.d.ts);
  // the call id has no closed format (a string).
  for (const field of ['startedAt', 'endedAt']) {
    requireIsoTimeIfPresent(ownField(message, field), `message.${field}`);
    if (isJsonRecord(call)) requireIsoTimeIfPresent(ownField(call, field), `message.call.${field}`);
  }
  // Every other server message (status-update, transcript, tool-calls, …) is acknowledged and kept.
  return { eventType, callId };
}

/** The local stack checks the settings when it starts, as a cold start does. */
function localSecret(env: Readonly<Record<string, string | undefined>>): LocalSecrets {
  vapiAuthSettings(env);
  return envSecrets('VAPI_WEBHOOK_SECRET', 'dev-vapi-secret')(env);
}

export const vapiIngress: ProviderIngress = {
  name: 'vapi',
  local: { secret: localSecret },
  authenticate(request: WebhookRequest, secrets: readonly string[], { now, settings }): void {
    const { mode, hmac } = settingsOf(settings);
    if (mode === 'hmac') verifyVapiHmac(request.rawBody, request.headers, request.url, secrets, now, hmac);
    else verifyVapiToken(request.headers, secrets, mode);
  },
  identify,
};

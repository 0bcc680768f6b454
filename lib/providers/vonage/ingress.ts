/**
 * Vonage ingress: signed webhooks (`Authorization: Bearer <JWT>`, HS256 with the account's signature
 * secret, whose `payload_hash` claim is the hex sha256 of the raw body) and identification of the
 * event. Loaded on every cold start, so node:crypto and repo modules only.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { BadRequestError, UnauthorizedError } from '../../errors';
import { envSecrets } from '../local-secrets';
import { matchesAnySecret } from '../secret-match';
import type { DeliveryIdentity, ProviderIngress, WebhookRequest } from '../types';

export const MAX_CALL_ID_LENGTH = 200;

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;
// Fatal decoding so bytes that are not UTF-8 fail instead of silently becoming U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type JwtClaims = Readonly<Record<string, unknown>>;

function jsonSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * The claims of `token` when it is a compact JWS signed with HMAC-SHA256 by one of `secrets`;
 * throws UnauthorizedError otherwise. Only `alg: HS256` is accepted (never `none` or another
 * algorithm the token names); the signature is compared in constant time.
 */
export function verifyVonageJwt(token: string, secrets: readonly string[]): JwtClaims {
  const parts = token.split('.');
  const [head, body, signature] = parts;
  if (parts.length !== 3 || head === undefined || body === undefined || signature === undefined) {
    throw new UnauthorizedError('malformed Vonage JWT');
  }
  if (!parts.every((part) => BASE64URL.test(part))) throw new UnauthorizedError('malformed Vonage JWT');
  const header = jsonSegment(head);
  if (header === null || header.alg !== 'HS256') throw new UnauthorizedError('Vonage JWT is not HS256');
  const presented = Buffer.from(signature, 'base64url');
  // Only the canonical encoding: a signature with altered padding bits is not the one Vonage sent.
  if (presented.toString('base64url') !== signature) throw new UnauthorizedError('malformed Vonage JWT');
  const signed = `${head}.${body}`;
  const valid = matchesAnySecret(secrets, (secret) => {
    if (secret === '') return false;
    const expected = createHmac('sha256', secret).update(signed, 'utf8').digest();
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
  if (!valid) throw new UnauthorizedError('invalid Vonage JWT signature');
  const claims = jsonSegment(body);
  if (claims === null) throw new UnauthorizedError('malformed Vonage JWT claims');
  return claims;
}

/** Throws UnauthorizedError unless `payload_hash` is the hex sha256 of exactly `rawBody`. */
export function verifyPayloadHash(claims: JwtClaims, rawBody: Buffer): void {
  const claimed = claims.payload_hash;
  if (typeof claimed !== 'string') throw new UnauthorizedError('Vonage JWT has no payload_hash');
  const expected = Buffer.from(createHash('sha256').update(rawBody).digest('hex'), 'utf8');
  const presented = Buffer.from(claimed.toLowerCase(), 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new UnauthorizedError('payload_hash does not match the body');
  }
}

/**
 * `exp` and `nbf`, when present, as @vonage/jwt's `verifySignature` enforces them (it calls
 * jsonwebtoken 9's `verify` with no clockTolerance, node_modules/jsonwebtoken/verify.js): present but
 * not a number → refused; expired once the current whole second reaches `exp`; refused while `nbf`
 * is after the current whole second. No tolerance, as there; `iat` is not checked (no window).
 */
export function verifyTimeClaims(claims: JwtClaims, now: Date): void {
  const clock = Math.floor(now.getTime() / 1000);
  const { exp, nbf } = claims;
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') throw new UnauthorizedError('Vonage JWT nbf is not a number');
    if (nbf > clock) throw new UnauthorizedError('Vonage JWT is not valid yet (nbf)');
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number') throw new UnauthorizedError('Vonage JWT exp is not a number');
    if (clock >= exp) throw new UnauthorizedError('Vonage JWT has expired (exp)');
  }
}

/**
 * The whole check over the raw request: a Bearer JWT signed by one of `secrets`, within its
 * `exp`/`nbf` when it has them, whose payload_hash matches the body. The reference is @vonage/jwt's
 * `verifySignature` plus our payload_hash check (test/differential/vonage.test.ts). No freshness
 * window on `iat` (spec §6: Vonage documents none).
 */
export function verifyVonageSignature(
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  secrets: readonly string[],
  now: Date,
): JwtClaims {
  const token = BEARER.exec(headers.authorization ?? '')?.[1];
  if (token === undefined) throw new UnauthorizedError('missing Vonage JWT');
  const claims = verifyVonageJwt(token, secrets);
  verifyTimeClaims(claims, now);
  verifyPayloadHash(claims, rawBody);
  return claims;
}

/** Statuses about one call leg: without its uuid the consumer could not attach them to a call. */
export const CALL_STATUSES: ReadonlySet<string> = new Set([
  'started',
  'ringing',
  'answered',
  'busy',
  'cancelled',
  'unanswered',
  'disconnected',
  'rejected',
  'failed',
  'timeout',
  'completed',
  'human',
  'machine',
]);

/**
 * The leg's id as Vonage documents it: a UUID (Voice API reference, event webhook `uuid` / the
 * human/machine event's `call_uuid`: "string (uuid)", e.g. `aaaaaaaa-bbbb-cccc-dddd-0123456789ab`;
 * shared/providers-next.md §4). Any hex case; no version nibble required (Vonage's own examples
 * have none). Checked after the signature (issue 18): an id no provider sends is refused.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const own = (body: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(body, key) ? body[key] : undefined;

const present = (value: unknown) => value !== undefined && value !== null && value !== '';

/**
 * Vonage's event type: `status` for call events (human/machine events too); the record, input and
 * transfer events have none, so they are named by what they carry.
 */
function eventTypeOf(body: Readonly<Record<string, unknown>>): string {
  const status = own(body, 'status');
  if (typeof status === 'string' && status !== '') return status;
  if (present(status)) throw new BadRequestError('status is not a string');
  const type = own(body, 'type');
  if (typeof type === 'string' && type !== '') return type;
  if (present(own(body, 'recording_url'))) return 'record';
  if (present(own(body, 'dtmf')) || present(own(body, 'speech'))) return 'input';
  throw new BadRequestError('body has no status');
}

function identify(body: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const eventType = eventTypeOf(body);
  // human/machine events name the leg `call_uuid`; every other call event `uuid`.
  const field = present(own(body, 'uuid')) ? 'uuid' : 'call_uuid';
  const callId = own(body, field);
  if (present(callId) && typeof callId !== 'string') throw new BadRequestError(`${field} is not a string`);
  if (typeof callId === 'string' && callId.length > MAX_CALL_ID_LENGTH) {
    throw new BadRequestError(`${field} is longer than ${MAX_CALL_ID_LENGTH} characters`);
  }
  const id = typeof callId === 'string' && callId !== '' ? callId : null;
  if (id !== null && !UUID.test(id)) throw new BadRequestError(`${field} is not a UUID`);
  if (id === null && CALL_STATUSES.has(eventType))
    throw new BadRequestError(`${eventType} event has no uuid`);
  return { eventType, callId: id };
}

export const vonageIngress: ProviderIngress = {
  name: 'vonage',
  authenticate(request: WebhookRequest, secrets: readonly string[], { now }): void {
    verifyVonageSignature(request.rawBody, request.headers, secrets, now);
  },
  identify,
  local: { secret: envSecrets('VONAGE_SIGNATURE_SECRET', 'dev-signature-secret') },
};

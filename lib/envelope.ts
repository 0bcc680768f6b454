/**
 * The one queue message format. An SQS message body is a one-line JSON header, a newline, then the
 * provider's raw request body byte for byte — so the size limit is exact and independent of how
 * much JSON escaping the body would need. Built by the ingress, parsed (and validated) by the
 * consumer and every tool that reads the queue.
 */
import { createHash } from 'node:crypto';
import { InvalidEnvelopeError } from './errors';

/** SQS's maximum message size, which serverless.yml sets explicitly on the queue. */
export const MAX_MESSAGE_BYTES = 1_048_576;
/**
 * Limits on the identifiers the ingress accepts, in characters as JavaScript counts them (UTF-16
 * code units: a character outside the BMP, such as an emoji, counts as two). The ingress refuses
 * longer ones (400) for every provider; the table keys stay far below DynamoDB's key limits.
 */
export const MAX_CALL_ID_CHARS = 200;
export const MAX_EVENT_TYPE_CHARS = 64;
/**
 * Bytes reserved for the header line. Sized for the worst identifiers accepted: every character a
 * control character that JSON escapes to 6 bytes (200 + 64 of them, and a 128-character request
 * id) comes to 2,559 bytes with a 32-character provider name, 2,606 with a signature digest;
 * test/unit/envelope.test.ts checks it.
 */
export const HEADER_RESERVE_BYTES = 3_072;
/** The largest request body the ingress accepts (documented in docs/webhook-contract.md): 1,045,504 bytes. */
export const MAX_BODY_BYTES = MAX_MESSAGE_BYTES - HEADER_RESERVE_BYTES;

export interface Delivery {
  deliveryId: string;
  provider: string;
  /** When the ingress received the request, ISO 8601 UTC. */
  receivedAt: string;
  /** API Gateway request id, for correlating with access logs. */
  requestId: string;
  eventType: string;
  /** The provider's call id, or null for events that concern no call. */
  callId: string | null;
  /** The exact raw request body. */
  body: string;
  /**
   * For schemes whose signature could vouch for a re-split body (Twilio, Plivo): a digest of the
   * signature material (ProviderIngress.signatureKey), which the consumer allows one body per.
   */
  signature?: string;
}

/** Hex digest length of delivery ids and signature digests: 128 bits of SHA-256. */
const DIGEST_HEX = 32;
const digest = (...parts: (string | Buffer)[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, DIGEST_HEX);
};

/**
 * The delivery id of a request body (spec §4: identical bytes from one provider are one stored
 * delivery): a digest of the provider's name and the exact body bytes. A replayed or retried
 * request gets the id it got the first time, so the consumer stores it once.
 */
export const contentDeliveryId = (provider: string, rawBody: Buffer): string =>
  digest(provider, '\u0000', rawBody);

/** The digest of a request's signature material that travels in the envelope (never the material). */
export const signatureDigest = (provider: string, signatureKey: string): string =>
  digest(provider, '\u0000', signatureKey);

type Header = Omit<Delivery, 'body'> & {
  v: 1;
  /** SQS cannot carry U+FFFE/U+FFFF; such bodies travel base64-encoded. */
  encoding: 'utf8' | 'base64';
};

// Characters SQS accepts in a message body (SendMessage docs); everything else forces base64.
const SQS_UNSAFE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function encodeEnvelope(delivery: Delivery): string {
  const encoding = SQS_UNSAFE.test(delivery.body) ? 'base64' : 'utf8';
  const { body: raw, ...fields } = delivery;
  const header: Header = { v: 1, ...fields, encoding };
  const body = encoding === 'base64' ? Buffer.from(raw, 'utf8').toString('base64') : raw;
  // The header line is ASCII: every other character JSON-escaped (U+FFFE/U+FFFF, which SQS refuses;
  // astral characters, which some SQS emulators refuse), so any identifier travels and parses back
  // exactly. At most 6 bytes per UTF-16 unit, as HEADER_RESERVE_BYTES assumes.
  const headerLine = JSON.stringify(header).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${headerLine}\n${body}`;
}

export const headerBytes = (message: string): number =>
  Buffer.byteLength(message.slice(0, message.indexOf('\n')));

const isString = (value: unknown): value is string => typeof value === 'string';

export function decodeEnvelope(message: string): Delivery {
  const newline = message.indexOf('\n');
  if (newline < 0) throw new InvalidEnvelopeError('message has no header line');
  let header: unknown;
  try {
    header = JSON.parse(message.slice(0, newline));
  } catch {
    throw new InvalidEnvelopeError('message header is not JSON');
  }
  if (typeof header !== 'object' || header === null)
    throw new InvalidEnvelopeError('message header is not an object');
  const h = header as Record<string, unknown>;
  if (h.v !== 1) throw new InvalidEnvelopeError(`unsupported envelope version ${String(h.v)}`);
  for (const key of ['deliveryId', 'provider', 'receivedAt', 'requestId', 'eventType'] as const) {
    if (!isString(h[key]) || (key !== 'requestId' && h[key] === '')) {
      throw new InvalidEnvelopeError(`envelope header field ${key} is missing`);
    }
  }
  if (h.callId !== null && (!isString(h.callId) || h.callId === '')) {
    throw new InvalidEnvelopeError('envelope header field callId must be a non-empty string or null');
  }
  if (Number.isNaN(Date.parse(h.receivedAt as string)))
    throw new InvalidEnvelopeError('envelope receivedAt is not a time');
  if (h.encoding !== 'utf8' && h.encoding !== 'base64')
    throw new InvalidEnvelopeError('envelope encoding is unknown');
  if (h.signature !== undefined && (!isString(h.signature) || h.signature === ''))
    throw new InvalidEnvelopeError('envelope header field signature must be a non-empty string');
  const rawBody = message.slice(newline + 1);
  return {
    deliveryId: h.deliveryId as string,
    provider: h.provider as string,
    receivedAt: h.receivedAt as string,
    requestId: h.requestId as string,
    eventType: h.eventType as string,
    callId: h.callId as string | null,
    body: h.encoding === 'base64' ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody,
    ...(isString(h.signature) && { signature: h.signature }),
  };
}

/**
 * The ingress pipeline shared by every provider's webhook Lambda: raw body → size → authenticate →
 * parse (JSON object or the provider's form) → identify → envelope → SQS → 200. Status codes are decided in lib/http.ts.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  contentDeliveryId,
  encodeEnvelope,
  HEADER_RESERVE_BYTES,
  headerBytes,
  MAX_BODY_BYTES,
  MAX_CALL_ID_CHARS,
  MAX_EVENT_TYPE_CHARS,
  MAX_MESSAGE_BYTES,
  signatureDigest,
} from './envelope';
import {
  BadRequestError,
  EnqueueError,
  HeadersTooLargeError,
  PayloadTooLargeError,
  WebhookError,
} from './errors';
import { acknowledged, decodeBody, errorResponse, parseJsonObject, toWebhookRequest } from './http';
import type { DeliveryIdentity, ProviderIngress } from './providers/types';
import type { Enqueue } from './queue';
import type { SecretSource } from './secrets';

export interface IngressDeps {
  secrets: SecretSource;
  enqueue: Enqueue;
  now?: () => Date;
  /** The delivery id of a body; default contentDeliveryId (spec §4: identical bytes, one delivery). */
  newId?: (provider: string, rawBody: Buffer) => string;
  /** spec §6: the public base URL signed URLs are checked against (PUBLIC_BASE_URL). */
  publicBaseUrl?: string;
  /** Deployment settings a provider's check may read (the function's environment). */
  settings?: Readonly<Record<string, string | undefined>>;
  /** Told about every outcome; must not throw. */
  observe?: (outcome: IngressOutcome) => void;
}

export interface IngressOutcome {
  provider: string;
  statusCode: number;
  requestId: string;
  deliveryId?: string;
  /** The SQS message id, once the delivery is queued. */
  messageId?: string;
  eventType?: string;
  callId?: string | null;
  reason?: string;
  error?: unknown;
  /** The provider sends this callback only to a call-answer URL (ProviderIngress.sentToCallAnswerUrl). */
  callAnswerUrl?: boolean;
}

/**
 * Header caps, checked before anything else looks at the request (issue 18). API Gateway's HTTP API
 * passes at most 10,240 bytes of request line and header values ("Total combined size of request
 * line and header values", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html),
 * so no deployed callback carries more; names count here too. A provider's callback carries about
 * a dozen headers and API Gateway adds its X-Forwarded-* and X-Amzn-Trace-Id: 100 is a wide margin.
 */
export const MAX_HEADER_BYTES = 10_240;
export const MAX_HEADERS = 100;

function checkHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): void {
  let count = 0;
  let bytes = 0;
  for (const name in headers ?? {}) {
    count += 1;
    if (count > MAX_HEADERS) throw new HeadersTooLargeError(`more than ${MAX_HEADERS} headers`);
    bytes += Buffer.byteLength(name) + Buffer.byteLength(String(headers?.[name] ?? ''));
    if (bytes > MAX_HEADER_BYTES)
      throw new HeadersTooLargeError(`headers are larger than ${MAX_HEADER_BYTES} bytes`);
  }
}

// In a `u` regex \p{Cs} matches only unpaired surrogates: a surrogate pair is one code point.
const LONE_SURROGATE = /\p{Cs}/u;

function checkIdentifier(field: string, value: string, maxChars: number): void {
  // A lone surrogate becomes U+FFFD on its way to DynamoDB (UTF-8): two calls would share a record.
  if (LONE_SURROGATE.test(value)) {
    throw new BadRequestError(`${field} is not well-formed Unicode (it has a lone surrogate)`);
  }
  if (value.length > maxChars) throw new BadRequestError(`${field} is longer than ${maxChars} characters`);
}

/**
 * What every provider's identify returned, held to the limits the envelope and the table keys are
 * sized for, so each accepted identifier is stored and read back exactly (spec §1).
 */
export function checkIdentity(identity: DeliveryIdentity): DeliveryIdentity {
  checkIdentifier('eventType', identity.eventType, MAX_EVENT_TYPE_CHARS);
  if (identity.callId !== null) checkIdentifier('callId', identity.callId, MAX_CALL_ID_CHARS);
  return identity;
}

export type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export async function receiveWebhook(
  provider: ProviderIngress,
  event: APIGatewayProxyEventV2,
  deps: IngressDeps,
): Promise<APIGatewayProxyStructuredResultV2> {
  const requestId = String(event.requestContext?.requestId ?? '').slice(0, 128);
  const outcome: IngressOutcome = { provider: provider.name, statusCode: 200, requestId };
  try {
    const method = event.requestContext?.http?.method;
    if (method !== undefined && method !== 'POST') throw new WebhookError(405, 'only POST is accepted');
    // Headers first: every later step (and each scheme) reads them, and an unsigned caller picks them.
    checkHeaders(event.headers);
    const request = toWebhookRequest(event, deps.publicBaseUrl);
    const now = deps.now?.() ?? new Date();
    // Size first: signature schemes hash (Twilio and Plivo also sort) the whole body, and an
    // unsigned caller chooses its size; a 413 tells nothing about the credentials.
    if (request.rawBody.length > MAX_BODY_BYTES) {
      throw new PayloadTooLargeError(`body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    provider.authenticate(request, await deps.secrets(), { now, settings: deps.settings ?? {} });
    const text = decodeBody(request.rawBody);
    const identity = checkIdentity(
      provider.identify(provider.parse ? provider.parse(text, request) : parseJsonObject(text)),
    );
    if (provider.sentToCallAnswerUrl?.(identity)) outcome.callAnswerUrl = true;
    const deliveryId = (deps.newId ?? contentDeliveryId)(provider.name, request.rawBody);
    // Separator-less schemes: the consumer lets one signature vouch for one body only.
    const signatureKey = provider.signatureKey?.(request);
    Object.assign(outcome, { deliveryId, eventType: identity.eventType, callId: identity.callId });
    const message = encodeEnvelope({
      deliveryId,
      provider: provider.name,
      receivedAt: now.toISOString(),
      requestId,
      eventType: identity.eventType,
      callId: identity.callId,
      body: text,
      ...(signatureKey && { signature: signatureDigest(provider.name, signatureKey) }),
    });
    // The reserve holds the header line and its newline for any identifiers checkIdentity lets
    // through, so any body up to MAX_BODY_BYTES fits; this only guards that arithmetic.
    if (headerBytes(message) + 1 > HEADER_RESERVE_BYTES)
      throw new Error(`envelope header of ${headerBytes(message)} bytes exceeds its reserve`);
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      throw new PayloadTooLargeError('body does not fit one queue message once encoded');
    }
    try {
      const messageId = await deps.enqueue(message);
      if (typeof messageId === 'string') outcome.messageId = messageId;
    } catch (error) {
      throw new EnqueueError(error);
    }
    return acknowledged(deliveryId);
  } catch (error) {
    const response = errorResponse(error);
    Object.assign(outcome, { statusCode: response.statusCode, reason: (error as Error)?.message, error });
    return response;
  } finally {
    deps.observe?.(outcome);
  }
}

/** A Lambda handler for one provider; `deps` is built on the first request (see functions/). */
export const createWebhookHandler =
  (provider: ProviderIngress, deps: () => IngressDeps): WebhookHandler =>
  (event) =>
    receiveWebhook(provider, event, deps());

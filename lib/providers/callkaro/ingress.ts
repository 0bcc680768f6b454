/**
 * CallKaro ingress: token-in-path authentication and event identification. Loaded on every cold
 * start inside CallKaro's 5 s deadline, so it uses node:crypto and the repo's own modules only.
 */
import { MAX_CALL_ID_CHARS } from '../../envelope';
import { BadRequestError, UnauthorizedError } from '../../errors';
import { envSecrets } from '../local-secrets';
import { matchesAnySecret, sameSecret } from '../secret-match';
import type { DeliveryIdentity, ProviderIngress, WebhookRequest } from '../types';

const CALL_ENDED = 'call_ended';
/** The shared limit (lib/envelope.ts), checked here too so the reason names CallKaro's field. */
export const MAX_CALL_SID_LENGTH = MAX_CALL_ID_CHARS;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isValidCallSid = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value.length <= MAX_CALL_SID_LENGTH;

function callSidOf(body: Readonly<Record<string, unknown>>): string | null {
  const data = body.data;
  return isRecord(data) && isValidCallSid(data.callSid) ? data.callSid : null;
}

function requireCallSid(body: Readonly<Record<string, unknown>>): string {
  const data = body.data;
  const callSid = isRecord(data) ? data.callSid : undefined;
  if (callSid === undefined || callSid === null || callSid === '') {
    throw new BadRequestError('call_ended event has no data.callSid');
  }
  if (typeof callSid !== 'string') throw new BadRequestError('call_ended event data.callSid is not a string');
  if (callSid.length > MAX_CALL_SID_LENGTH) {
    throw new BadRequestError(
      `call_ended event data.callSid is longer than ${MAX_CALL_SID_LENGTH} characters`,
    );
  }
  return callSid;
}

export const callkaroIngress: ProviderIngress = {
  name: 'callkaro',

  // Local stack: the token from the environment; the registered URL carries it as its last segment.
  local: {
    secret: envSecrets('CALLKARO_WEBHOOK_TOKEN', 'dev-token'),
    webhookUrl: (routeUrl, secret) => routeUrl.replace('{token}', encodeURIComponent(secret)),
  },

  authenticate(request: WebhookRequest, secrets: readonly string[]): void {
    // The path parameter is compared exactly as API Gateway hands it over: no extra decoding.
    const token = request.pathParameters.token;
    if (typeof token !== 'string' || token === '' || secrets.length === 0) {
      throw new UnauthorizedError('missing or invalid token');
    }
    const matched = matchesAnySecret(secrets, (secret) => sameSecret(token, secret));
    if (!matched) throw new UnauthorizedError('missing or invalid token');
  },

  identify(body: Readonly<Record<string, unknown>>): DeliveryIdentity {
    const eventType = body.event;
    if (typeof eventType !== 'string' || eventType === '') throw new BadRequestError('body has no event');
    if (eventType === CALL_ENDED) return { eventType, callId: requireCallSid(body) };
    // Future event types are acknowledged so CallKaro does not retry them; the consumer decides.
    return { eventType, callId: callSidOf(body) };
  },
};

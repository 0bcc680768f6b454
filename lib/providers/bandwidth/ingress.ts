/**
 * Bandwidth v1 ingress: HTTP Basic authentication (v1 has no signatures; the credentials are in the
 * callback URL the user registers) and identification of the event. Loaded on every cold start of
 * the webhook Lambda, so it imports node:crypto and the repo's own modules only.
 */
import { MAX_CALL_ID_CHARS } from '../../envelope';
import { BadRequestError } from '../../errors';
import { authenticateBasic, localBasicAuth } from '../basic-auth';
import type { DeliveryIdentity, ProviderIngress } from '../types';

/** Events about one call: without their callId the consumer could not attach them to a call. */
const CALL_EVENTS: ReadonlySet<string> = new Set([
  'hangup',
  'answer',
  'incomingcall',
  'timeout',
  'playback',
  'gather',
  'dtmf',
  'speak',
  'recording',
  'transcription',
  'redirect',
  'reject',
]);

/** The shared limit (lib/envelope.ts), checked here too so the reason names Bandwidth's field. */
export const MAX_CALL_ID_LENGTH = MAX_CALL_ID_CHARS;

const own = (body: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(body, key) ? body[key] : undefined;

function identify(body: Readonly<Record<string, unknown>>): DeliveryIdentity {
  const eventType = own(body, 'eventType');
  if (typeof eventType !== 'string' || eventType === '') throw new BadRequestError('body has no eventType');
  const callId = own(body, 'callId');
  if (callId !== undefined && callId !== null && typeof callId !== 'string') {
    throw new BadRequestError('callId is not a string');
  }
  if (typeof callId === 'string' && callId.length > MAX_CALL_ID_LENGTH) {
    throw new BadRequestError(`callId is longer than ${MAX_CALL_ID_LENGTH} characters`);
  }
  const present = typeof callId === 'string' && callId !== '' ? callId : null;
  if (present === null && CALL_EVENTS.has(eventType)) {
    throw new BadRequestError(`${eventType} event has no callId`);
  }
  return { eventType, callId: present };
}

export const bandwidthIngress: ProviderIngress = {
  name: 'bandwidth',
  authenticate: authenticateBasic,
  identify,
  local: localBasicAuth(['BANDWIDTH_WEBHOOK_USERNAME', 'BANDWIDTH_WEBHOOK_PASSWORD'], 'bandwidth'),
};

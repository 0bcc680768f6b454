/**
 * Bandwidth Voice API v2 ingress: HTTP Basic with the challenge Bandwidth waits for (it sends each
 * callback without credentials first, and again with them only after a 401 + `WWW-Authenticate`),
 * and identification of the callback. node:crypto and repo modules only (cold start).
 */
import { BadRequestError } from '../../errors';
import { authenticateBasic, localBasicAuth } from '../basic-auth';
import type { DeliveryIdentity, ProviderIngress } from '../types';

export const MAX_CALL_ID_LENGTH = 200;

/** Callbacks about one call: without their callId the consumer could not attach them to a call. */
const CALL_EVENTS: ReadonlySet<string> = new Set([
  'initiate',
  'answer',
  'disconnect',
  'bridgeComplete',
  'bridgeTargetComplete',
  'dtmf',
  'gather',
  'machineDetectionComplete',
  'recordingComplete',
  'recordingAvailable',
  'redirect',
  'transcriptionAvailable',
  'transferAnswer',
  'transferComplete',
  'transferDisconnect',
]);

/**
 * Sent only to the application's call-initiated URL (`initiate`) or to createCall's `answerUrl`
 * (`answer`), both of which must answer with BXML (dev.bandwidth.com/docs/voice/webhooks).
 */
const CALL_ANSWER_URL_EVENTS: ReadonlySet<string> = new Set(['initiate', 'answer']);

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
  const id = typeof callId === 'string' && callId !== '' ? callId : null;
  // Conference-wide callbacks (conferenceCreated, …) carry a conferenceId instead: kept, no call.
  if (id === null && CALL_EVENTS.has(eventType))
    throw new BadRequestError(`${eventType} callback has no callId`);
  return { eventType, callId: id };
}

export const bandwidthV2Ingress: ProviderIngress = {
  name: 'bandwidth-v2',
  authenticate: authenticateBasic,
  identify,
  sentToCallAnswerUrl: ({ eventType }) => CALL_ANSWER_URL_EVENTS.has(eventType),
  local: localBasicAuth(['BANDWIDTH_V2_WEBHOOK_USERNAME', 'BANDWIDTH_V2_WEBHOOK_PASSWORD'], 'bandwidth-v2'),
};

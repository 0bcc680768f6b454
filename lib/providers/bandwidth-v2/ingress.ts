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

/**
 * Formats Bandwidth documents as closed, checked after the credentials (issue 18: refuse what no
 * provider sends). Callback pages (dev.bandwidth.com/docs/voice/webhooks/disconnect and the others,
 * and the SDKs' *Callback models): every time is "in ISO 8601 format" (UTC), `to` is "in E.164
 * format", `from` is E.164 or one of Private, Restricted, Unavailable, Anonymous
 * (shared/providers-next.md §5); createCall also takes a SIP URI as `to` (and a SIP peer may call
 * from one), so `sip:`/`sips:` URIs pass. `callId` (`c-…` in the examples) has no documented
 * format and is not checked; neither are enumerated values (eventType, cause, direction).
 */
const TIME_FIELDS = ['eventTime', 'startTime', 'answerTime', 'endTime', 'enqueuedTime'] as const;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;
const E164 = /^\+[1-9]\d{1,14}$/;
const SIP_URI = /^sips?:[^\s]{1,250}$/i;
const WITHHELD_CALLERS: ReadonlySet<string> = new Set(['Private', 'Restricted', 'Unavailable', 'Anonymous']);

const absent = (value: unknown) => value === undefined || value === null;

function checkFormats(body: Readonly<Record<string, unknown>>): void {
  for (const field of TIME_FIELDS) {
    const value = own(body, field);
    if (!absent(value) && (typeof value !== 'string' || !ISO_8601.test(value))) {
      throw new BadRequestError(`${field} is not an ISO 8601 time`);
    }
  }
  const to = own(body, 'to');
  if (!absent(to) && (typeof to !== 'string' || !(E164.test(to) || SIP_URI.test(to)))) {
    throw new BadRequestError('to is not an E.164 number or SIP URI');
  }
  const from = own(body, 'from');
  if (
    !absent(from) &&
    (typeof from !== 'string' || !(E164.test(from) || SIP_URI.test(from) || WITHHELD_CALLERS.has(from)))
  ) {
    throw new BadRequestError(
      'from is not an E.164 number, SIP URI or Private/Restricted/Unavailable/Anonymous',
    );
  }
}

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
  checkFormats(body);
  return { eventType, callId: id };
}

export const bandwidthV2Ingress: ProviderIngress = {
  name: 'bandwidth-v2',
  authenticate: authenticateBasic,
  identify,
  sentToCallAnswerUrl: ({ eventType }) => CALL_ANSWER_URL_EVENTS.has(eventType),
  local: localBasicAuth(['BANDWIDTH_V2_WEBHOOK_USERNAME', 'BANDWIDTH_V2_WEBHOOK_PASSWORD'], 'bandwidth-v2'),
};

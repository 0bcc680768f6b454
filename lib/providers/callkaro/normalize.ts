/**
 * CallKaro consumer half: the `call_ended` deliveries stored for one call become its record
 * (shared/spec.md §2–§3). Never throws on odd field values; unreadable fields become null.
 */
import type { Delivery } from '../../envelope';
import {
  byArrival,
  isJsonObject,
  type JsonObject,
  orNull,
  orNullOnError,
  own,
  parseObject,
} from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { addSeconds, assertTimeZone, parseLocalTime, usableSeconds } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import type { ProviderNormalizer } from '../types';

const PROVIDER = 'callkaro';
const CALL_ENDED = 'call_ended';

// A Map, not an object literal, so reasons like '__proto__' or 'toString' cannot hit inherited keys.
const OUTCOME_BY_HANGUP_REASON: ReadonlyMap<string, Outcome> = new Map<string, Outcome>([
  ['CLIENT_INITIATED', 'completed'],
  ['PARTICIPANT_REMOVED', 'completed'],
  ['SESSION_TIMEOUT', 'completed'],
  ['VOICEMAIL_DETECTED', 'voicemail'],
  ['USER_REJECTED', 'rejected'],
  ['USER_UNAVAILABLE', 'no_answer'],
  ['USER_UNRESPONSIVE', 'failed'],
  ['INVALID_PHONE_NUMBER', 'invalid_number'],
  ['OUTSIDE_TRIGGER_WINDOW', 'not_placed'],
  ['DELETED_SCH_CALL_ALL', 'not_placed'],
  ['DELETED_SCH_CALL_ONE', 'not_placed'],
  ['PRE_CALL_FN_FAILED', 'not_placed'],
  ['UNKNOWN', 'unknown'],
]);

/** spec.md §3: documented reasons map to their outcome; anything else (or nothing) is unknown. */
export function outcomeOfHangupReason(reason: unknown): Outcome {
  return (typeof reason === 'string' && OUTCOME_BY_HANGUP_REASON.get(reason)) || 'unknown';
}

/** CallKaro sends digits as a string; a JSON number with the same digits means the same number. */
function addressOf(value: unknown): string | null {
  const text =
    typeof value === 'number' && Number.isInteger(value) && value >= 0 ? BigInt(value).toString() : value;
  return orNullOnError(() => normalizeAddress(text));
}

const directionOf = (data: JsonObject): Direction =>
  own(data, 'name') === 'inbound' || own(data, 'try_count') === -1 ? 'inbound' : 'outbound';

function receivedAtOf(first: Delivery): string {
  const ms = Date.parse(first.receivedAt);
  return Number.isNaN(ms) ? first.receivedAt : new Date(ms).toISOString();
}

interface CallEnded {
  delivery: Delivery;
  callId: string;
  data: JsonObject;
}

function callEndedOf(delivery: Delivery): CallEnded | null {
  // The envelope's event type is what the ingress identified (from `event`), and what the consumer gates on.
  if (delivery.eventType !== CALL_ENDED) return null;
  const body = parseObject(delivery.body);
  if (body === null) return null;
  const data = own(body, 'data');
  if (!isJsonObject(data)) return null;
  const callSid = own(data, 'callSid');
  const callId = delivery.callId ?? (typeof callSid === 'string' && callSid !== '' ? callSid : null);
  return callId === null ? null : { delivery, callId, data };
}

function detailsOf(data: JsonObject): Record<string, unknown> {
  // A fixed literal: untrusted keys are never used to assign into the details object.
  return {
    callType: orNull(own(data, 'name')),
    agentId: orNull(own(data, 'agent')),
    agentVersionId: orNull(own(data, 'versionId')),
    batchId: orNull(own(data, 'batchId')),
    recordingUrl: orNull(own(data, 'recordingUrl')),
    transcription: orNull(own(data, 'transcription')),
    metadata: orNull(own(data, 'call_metadata')),
    tryCount: orNull(own(data, 'try_count')),
    postCall: orNull(own(data, 'post_call')),
    postCallDetail: orNull(own(data, 'post_call_detail')),
    functionsCalled: orNull(own(data, 'functions_called')),
    dispositionReason: orNull(own(data, 'disposition_reason')),
    converted: orNull(own(data, 'conversion_status')),
    nextCallScheduled: orNull(own(data, 'next_call_scheduled')),
    callLink: orNull(own(data, 'call_link')),
  };
}

export function createCallkaroNormalizer(timeZone: string): ProviderNormalizer {
  const zone = assertTimeZone(timeZone);
  return {
    name: PROVIDER,
    recordEvents: new Set([CALL_ENDED]),
    toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
      const events = deliveries.map(callEndedOf).filter((event): event is CallEnded => event !== null);
      // Account- and agent-level webhooks send the same event twice: the earliest arrival wins.
      const [chosen] = events.sort((a, b) => byArrival(a.delivery, b.delivery));
      if (chosen === undefined) return null;
      const { data, callId } = chosen;
      const hangupReason = own(data, 'hangup_reason');
      const outcome = outcomeOfHangupReason(hangupReason);
      const startedAt = orNullOnError(() => parseLocalTime(own(data, 'time'), zone));
      const durationSeconds = usableSeconds(own(data, 'call_duration'));
      return {
        provider: PROVIDER,
        callId,
        from: addressOf(own(data, 'from')),
        to: addressOf(own(data, 'to')),
        direction: directionOf(data),
        startedAt,
        // CallKaro reports no answer time, only when the call was made and how long it lasted.
        answeredAt: null,
        endedAt: orNullOnError(() => addSeconds(startedAt, durationSeconds)),
        durationSeconds,
        outcome,
        answered: isAnswered(outcome),
        hangupCause: typeof hangupReason === 'string' ? hangupReason : '',
        receivedAt: receivedAtOf(chosen.delivery),
        details: detailsOf(data),
      };
    },
  };
}

/** The zone CallKaro's zone-less `time` is read in: serverless.yml's `callkaroTimezone` param when deployed. */
export const callkaroTimeZone = process.env.CALLKARO_TIMEZONE || 'Asia/Kolkata';
export const callkaroNormalizer = createCallkaroNormalizer(callkaroTimeZone);

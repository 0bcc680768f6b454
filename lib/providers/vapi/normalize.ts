/**
 * Vapi consumer half: the `end-of-call-report` server messages stored for one call become its record
 * (shared/spec.md §6). Pure and order-free; never throws on odd field values.
 */
import type { Delivery } from '../../envelope';
import {
  byArrival,
  isJsonObject,
  type JsonObject,
  nonNegativeNumber,
  orNull,
  orNullOnError,
  own,
  parseObject,
  receivedAtIso,
} from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseIsoInstant, secondsBetween } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import type { ProviderNormalizer } from '../types';

const PROVIDER = 'vapi';
const END_OF_CALL_REPORT = 'end-of-call-report';

// A Map, not an object literal, so reasons like '__proto__' or 'toString' cannot hit inherited keys.
export const OUTCOME_BY_ENDED_REASON: ReadonlyMap<string, Outcome> = new Map<string, Outcome>([
  ['customer-ended-call', 'completed'],
  ['assistant-said-end-call-phrase', 'completed'],
  ['assistant-forwarded-call', 'completed'],
  ['silence-timed-out', 'completed'],
  ['exceeded-max-duration', 'completed'],
  ['voicemail', 'voicemail'],
  ['customer-busy', 'busy'],
  ['customer-did-not-answer', 'no_answer'],
  ['manually-canceled', 'canceled'],
]);

/** assistant-ended-call, -after-message-spoken, -with-hangup-task, …: the assistant hung up. */
export const OUTCOME_BY_REASON_PREFIX: readonly (readonly [string, Outcome])[] = [
  ['assistant-ended-call', 'completed'],
];

/** Checked in this order after the exact and prefix rules: Vapi has hundreds of provider-error reasons. */
export const OUTCOME_BY_REASON_PART: readonly (readonly [string, Outcome])[] = [
  ['misdialed', 'invalid_number'],
  ['rejected', 'rejected'],
  ['error', 'failed'],
  ['failed', 'failed'],
];

/** spec.md §6: exact reasons, then the assistant-ended-call family, then reason parts; else unknown. */
export function outcomeOfEndedReason(reason: unknown): Outcome {
  if (typeof reason !== 'string') return 'unknown';
  return (
    OUTCOME_BY_ENDED_REASON.get(reason) ??
    OUTCOME_BY_REASON_PREFIX.find(([prefix]) => reason.startsWith(prefix))?.[1] ??
    OUTCOME_BY_REASON_PART.find(([part]) => reason.includes(part))?.[1] ??
    'unknown'
  );
}

const DIRECTION_BY_CALL_TYPE: ReadonlyMap<string, Direction> = new Map<string, Direction>([
  ['inboundPhoneCall', 'inbound'],
  ['outboundPhoneCall', 'outbound'],
]);

const objectAt = (object: JsonObject | undefined, key: string): JsonObject | undefined => {
  const value = object === undefined ? undefined : own(object, key);
  return isJsonObject(value) ? value : undefined;
};

/** The message's own field, else the call's (older and newer payloads put parties in either place). */
const partyNumber = (message: JsonObject, call: JsonObject | undefined, party: string): unknown =>
  own(objectAt(message, party) ?? objectAt(call, party) ?? {}, 'number');

/** Vapi moved the transcript and recording into `artifact`; older reports carry them on the message. */
const artifactField = (message: JsonObject, key: string): unknown =>
  own(objectAt(message, 'artifact') ?? {}, key) ?? own(message, key);

interface Report {
  delivery: Delivery;
  callId: string;
  message: JsonObject;
  call: JsonObject | undefined;
}

function reportOf(delivery: Delivery): Report | null {
  // The envelope's event type is what the ingress identified (from `message.type`).
  if (delivery.eventType !== END_OF_CALL_REPORT) return null;
  const body = parseObject(delivery.body);
  const message = objectAt(body ?? undefined, 'message');
  if (message === undefined) return null;
  const call = objectAt(message, 'call');
  const id = call === undefined ? undefined : own(call, 'id');
  const callId = delivery.callId ?? (typeof id === 'string' && id !== '' ? id : null);
  return callId === null ? null : { delivery, callId, message, call };
}

function detailsOf(message: JsonObject, call: JsonObject | undefined): Record<string, unknown> {
  const analysis = own(message, 'analysis');
  const summary = own(objectAt(message, 'analysis') ?? {}, 'summary') ?? own(message, 'summary');
  // A fixed literal: untrusted keys are never used to assign into the details object.
  return {
    callType: orNull(call === undefined ? undefined : own(call, 'type')),
    assistantId: orNull(call === undefined ? undefined : own(call, 'assistantId')),
    phoneNumberId: orNull(call === undefined ? undefined : own(call, 'phoneNumberId')),
    transcript: orNull(artifactField(message, 'transcript')),
    summary: orNull(summary),
    recordingUrl: orNull(artifactField(message, 'recordingUrl')),
    stereoRecordingUrl: orNull(artifactField(message, 'stereoRecordingUrl')),
    cost: orNull(own(message, 'cost')),
    costBreakdown: orNull(own(message, 'costBreakdown')),
    analysis: orNull(analysis),
  };
}

export const vapiNormalizer: ProviderNormalizer = {
  name: PROVIDER,
  recordEvents: new Set([END_OF_CALL_REPORT]),
  toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
    const reports = deliveries.map(reportOf).filter((report): report is Report => report !== null);
    // Vapi documents duplicates may happen: the earliest arrival wins.
    const [chosen] = reports.sort((a, b) => byArrival(a.delivery, b.delivery));
    if (chosen === undefined) return null;
    const { message, call, callId } = chosen;
    const reason = own(message, 'endedReason');
    const outcome = outcomeOfEndedReason(reason);
    const type = call === undefined ? undefined : own(call, 'type');
    const direction = (typeof type === 'string' && DIRECTION_BY_CALL_TYPE.get(type)) || null;
    const ours = orNullOnError(() => normalizeAddress(partyNumber(message, call, 'phoneNumber')));
    const customer = orNullOnError(() => normalizeAddress(partyNumber(message, call, 'customer')));
    const startedAt = orNullOnError(() => parseIsoInstant(own(message, 'startedAt')));
    const endedAt = orNullOnError(() => parseIsoInstant(own(message, 'endedAt')));
    return {
      provider: PROVIDER,
      callId,
      // Web calls have no direction, so neither side can be named from or to.
      from: direction === 'outbound' ? ours : direction === 'inbound' ? customer : null,
      to: direction === 'outbound' ? customer : direction === 'inbound' ? ours : null,
      direction,
      startedAt,
      // Vapi reports when the call started and ended, not when it was answered.
      answeredAt: null,
      endedAt,
      durationSeconds: nonNegativeNumber(secondsBetween(startedAt, endedAt)),
      outcome,
      answered: isAnswered(outcome),
      hangupCause: typeof reason === 'string' ? reason : '',
      receivedAt: receivedAtIso(chosen.delivery),
      details: detailsOf(message, call),
    };
  },
};

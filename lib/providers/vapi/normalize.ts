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
// Beyond spec §6's rows, each reason below was decided by what happened to the call, as Vapi's
// "Call ended reasons" page describes it (docs.vapi.ai/calls/call-ended-reason).
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
  // The carrier reported the connected call completed on its side: a normal end.
  ['call.in-progress.twilio-completed-call', 'completed'],
  ['call.in-progress.sip-completed-call', 'completed'],
  ['vonage-completed', 'completed'],
  // The customer was connected and hung up around a transfer: the call happened.
  ['customer-ended-call-during-transfer', 'completed'],
  ['customer-ended-call-before-warm-transfer', 'completed'],
  ['customer-ended-call-after-warm-transfer-attempt', 'completed'],
  // Forwarded instead of an assistant, or a call hook said its message / transferred: answered.
  ['assistant-request-returned-forwarding-phone-number', 'completed'],
  ['call.ringing.hook-executed-say', 'completed'],
  ['call.ringing.hook-executed-transfer', 'completed'],
  ['call.ending.hook-executed-say', 'completed'],
  ['call.ending.hook-executed-transfer', 'completed'],
  // Forwarding reached nobody: what the forwarded leg met is the call's outcome.
  ['call.forwarding.operator-busy', 'busy'],
  ['call.forwarding.no-answer', 'no_answer'],
  // The caller hung up before the call connected.
  ['call.ringing.sip-inbound-caller-hungup-before-call-connect', 'canceled'],
  // A web call whose user denied the microphone: the customer declined it.
  ['customer-did-not-give-microphone-permission', 'rejected'],
  // A scheduled call deleted before it ran was never placed.
  ['scheduled-call-deleted', 'not_placed'],
  // Setup or infrastructure ended the call (no assistant, no transport, a dropped worker or socket).
  ['assistant-request-returned-invalid-assistant', 'failed'],
  ['assistant-request-returned-no-assistant', 'failed'],
  ['assistant-not-valid', 'failed'],
  ['assistant-not-found', 'failed'],
  ['assistant-join-timed-out', 'failed'],
  ['worker-shutdown', 'failed'],
  ['phone-call-provider-closed-websocket', 'failed'],
  ['phone-call-provider-bypass-enabled-but-no-call-received', 'failed'],
]);

/**
 * Reasons that say nothing of what happened to the call, judged unknowable: they stay `unknown`.
 * `vonage-disconnected` ("Call disconnected by Vonage") may come before or after an answer;
 * `call-deleted` ("The call record was deleted") is about the record, not the call.
 */
export const UNKNOWABLE_ENDED_REASONS: ReadonlySet<string> = new Set(['vonage-disconnected', 'call-deleted']);

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

/**
 * A field of the report, else of its call when the report has none (absent or null): the SDK's
 * `ServerMessageEndOfCallReport` has startedAt/endedAt on the message, its `Call` type on the call.
 * A present but unreadable message value is not replaced by the call's.
 */
const messageOrCall = (message: JsonObject, call: JsonObject | undefined, key: string): unknown => {
  const value = own(message, key);
  return value === undefined || value === null ? own(call ?? {}, key) : value;
};

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
    const startedAt = orNullOnError(() => parseIsoInstant(messageOrCall(message, call, 'startedAt')));
    const endedAt = orNullOnError(() => parseIsoInstant(messageOrCall(message, call, 'endedAt')));
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

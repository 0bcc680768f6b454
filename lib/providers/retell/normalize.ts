/**
 * Retell AI consumer half: the `call_ended` and `call_analyzed` deliveries stored for one call
 * become its record (shared/spec.md §6). Pure and order-free; never throws on odd field values.
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
import { parseEpochMs, usableSeconds } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import type { ProviderNormalizer } from '../types';

const PROVIDER = 'retell';
const CALL_ENDED = 'call_ended';
const CALL_ANALYZED = 'call_analyzed';

// A Map, not an object literal, so reasons like '__proto__' or 'toString' cannot hit inherited keys.
export const OUTCOME_BY_DISCONNECTION_REASON: ReadonlyMap<string, Outcome> = new Map<string, Outcome>([
  ['user_hangup', 'completed'],
  ['agent_hangup', 'completed'],
  ['call_transfer', 'completed'],
  ['transfer_bridged', 'completed'],
  ['transfer_cancelled', 'completed'],
  ['inactivity', 'completed'],
  ['max_duration_reached', 'completed'],
  ['manual_stopped', 'completed'],
  ['call_take_over', 'completed'],
  ['ivr_reached', 'completed'],
  ['voicemail_reached', 'voicemail'],
  ['dial_busy', 'busy'],
  ['dial_no_answer', 'no_answer'],
  ['user_declined', 'rejected'],
  ['invalid_destination', 'invalid_number'],
  ['dial_failed', 'failed'],
  ['sip_routing_error', 'failed'],
  ['concurrency_limit_reached', 'not_placed'],
  ['no_concurrency_fallback', 'not_placed'],
  ['no_valid_payment', 'not_placed'],
  ['scam_detected', 'not_placed'],
  ['marked_as_spam', 'not_placed'],
  ['registered_call_timeout', 'not_placed'],
]);

/** Families of reasons Retell keeps adding to (telephony_provider_permission_denied, error_asr, …). */
export const OUTCOME_BY_REASON_PREFIX: readonly (readonly [string, Outcome])[] = [
  ['telephony_provider_', 'failed'],
  ['error_', 'failed'],
];

/**
 * Reasons judged unknowable: none. Every member of retell-sdk's `disconnection_reason` union says
 * what happened (`error_unknown` is an error: failed). `transfer_cancelled` is completed (spec §6):
 * the user was connected to the agent before the transfer was called off.
 */
export const UNKNOWABLE_DISCONNECTION_REASONS: ReadonlySet<string> = new Set();

/** spec.md §6: listed reasons and families map to their outcome; anything else is unknown. */
export function outcomeOfDisconnectionReason(reason: unknown): Outcome {
  if (typeof reason !== 'string') return 'unknown';
  const exact = OUTCOME_BY_DISCONNECTION_REASON.get(reason);
  if (exact !== undefined) return exact;
  return OUTCOME_BY_REASON_PREFIX.find(([prefix]) => reason.startsWith(prefix))?.[1] ?? 'unknown';
}

function directionOf(call: JsonObject): Direction | null {
  const direction = own(call, 'direction');
  return direction === 'inbound' || direction === 'outbound' ? direction : null;
}

interface RetellEvent {
  delivery: Delivery;
  callId: string;
  call: JsonObject;
}

function eventOf(delivery: Delivery): RetellEvent | null {
  // The envelope's event type is what the ingress identified (from `event`), and what the consumer gates on.
  if (delivery.eventType !== CALL_ENDED && delivery.eventType !== CALL_ANALYZED) return null;
  const body = parseObject(delivery.body);
  const call = body === null ? undefined : own(body, 'call');
  if (!isJsonObject(call)) return null;
  const callIdField = own(call, 'call_id');
  const callId =
    delivery.callId ?? (typeof callIdField === 'string' && callIdField !== '' ? callIdField : null);
  return callId === null ? null : { delivery, callId, call };
}

function detailsOf(call: JsonObject, analysis: unknown): Record<string, unknown> {
  // A fixed literal: untrusted keys are never used to assign into the details object.
  return {
    callType: orNull(own(call, 'call_type')),
    callStatus: orNull(own(call, 'call_status')),
    agentId: orNull(own(call, 'agent_id')),
    agentName: orNull(own(call, 'agent_name')),
    agentVersion: orNull(own(call, 'agent_version')),
    metadata: orNull(own(call, 'metadata')),
    dynamicVariables: orNull(own(call, 'retell_llm_dynamic_variables')),
    collectedDynamicVariables: orNull(own(call, 'collected_dynamic_variables')),
    transcript: orNull(own(call, 'transcript')),
    recordingUrl: orNull(own(call, 'recording_url')),
    publicLogUrl: orNull(own(call, 'public_log_url')),
    callCost: orNull(own(call, 'call_cost')),
    telephonyIdentifier: orNull(own(call, 'telephony_identifier')),
    analysis: orNull(analysis),
  };
}

export const retellNormalizer: ProviderNormalizer = {
  name: PROVIDER,
  recordEvents: new Set([CALL_ENDED, CALL_ANALYZED]),
  toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
    const events = deliveries
      .map(eventOf)
      .filter((event): event is RetellEvent => event !== null)
      .sort((a, b) => byArrival(a.delivery, b.delivery));
    // call_ended makes the record; retries and duplicates: the earliest arrival wins.
    const ended = events.find((event) => event.delivery.eventType === CALL_ENDED);
    if (ended === undefined) return null;
    const analyzed = events.find((event) => event.delivery.eventType === CALL_ANALYZED);
    const { call, callId } = ended;
    const reason = own(call, 'disconnection_reason');
    const outcome = outcomeOfDisconnectionReason(reason);
    const durationMs = nonNegativeNumber(own(call, 'duration_ms'));
    const [first] = events;
    return {
      provider: PROVIDER,
      callId,
      from: orNullOnError(() => normalizeAddress(own(call, 'from_number'))),
      to: orNullOnError(() => normalizeAddress(own(call, 'to_number'))),
      direction: directionOf(call),
      startedAt: orNullOnError(() => parseEpochMs(own(call, 'start_timestamp'))),
      // Retell reports when the call began and ended, not when it was answered.
      answeredAt: null,
      endedAt: orNullOnError(() => parseEpochMs(own(call, 'end_timestamp'))),
      durationSeconds: durationMs === null ? null : usableSeconds(durationMs / 1000),
      outcome,
      answered: isAnswered(outcome),
      hangupCause: typeof reason === 'string' ? reason : '',
      receivedAt: receivedAtIso((first ?? ended).delivery),
      details: detailsOf(
        call,
        analyzed === undefined ? own(call, 'call_analysis') : own(analyzed.call, 'call_analysis'),
      ),
    };
  },
};

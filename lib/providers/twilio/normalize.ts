/**
 * Twilio consumer half: the status callbacks stored for one CallSid (initiated, ringing,
 * in-progress, AMD, and the terminal one) become its record (shared/spec.md §6). Pure and
 * order-free; an unreadable field becomes null and stays in the raw body.
 */
import type { Delivery } from '../../envelope';
import { byArrival, firstValue, type JsonObject, own, parseObject } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseRfc2822Instant, wholeSecondsText } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import { parseForm } from '../form';
import type { ProviderNormalizer } from '../types';
import { MACHINE_DETECTION_EVENT } from './ingress';

const PROVIDER = 'twilio';

// A Map, not an object literal, so statuses like "__proto__" cannot hit the prototype.
const OUTCOME_BY_CALL_STATUS: ReadonlyMap<string, Outcome> = new Map<string, Outcome>([
  ['completed', 'completed'],
  ['busy', 'busy'],
  ['no-answer', 'no_answer'],
  ['canceled', 'canceled'],
  ['failed', 'failed'],
]);

/** The five terminal CallStatus values: one of them makes the record. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(OUTCOME_BY_CALL_STATUS.keys());

/** AMD results that mean nobody answered in person (Twilio's AnsweredBy values). */
const isMachine = (answeredBy: string | null): boolean =>
  answeredBy !== null && (answeredBy.startsWith('machine_') || answeredBy === 'fax');

/** spec §6: the terminal status's outcome; `completed` answered by a machine or fax is voicemail. */
export function outcomeOfCallStatus(callStatus: string, answeredBy: string | null): Outcome {
  const outcome = OUTCOME_BY_CALL_STATUS.get(callStatus) ?? 'unknown';
  return outcome === 'completed' && isMachine(answeredBy) ? 'voicemail' : outcome;
}

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map<string, Direction>([
  ['inbound', 'inbound'],
  ['outbound-api', 'outbound'],
  ['outbound-dial', 'outbound'],
]);

/** Callbacks that can change the record: the lifecycle before the end fills its times. */
const RECORD_EVENTS: ReadonlySet<string> = new Set([
  'initiated',
  'ringing',
  'in-progress',
  MACHINE_DETECTION_EVENT,
  ...TERMINAL_STATUSES,
]);

interface Callback {
  delivery: Delivery;
  fields: JsonObject;
}

/** Voice status callbacks are forms; the bodySHA256 variant is JSON. */
function fieldsOf(body: string): JsonObject | null {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) return parseObject(body);
  try {
    return parseForm(body);
  } catch {
    return null;
  }
}

const text = (fields: JsonObject, key: string): string | null => {
  const value = own(fields, key);
  return typeof value === 'string' && value !== '' ? value : null;
};

/** The first value `read` finds in the callbacks' fields, in arrival order. */
const firstField = <T>(callbacks: readonly Callback[], read: (fields: JsonObject) => T | null): T | null =>
  firstValue(callbacks, (callback) => read(callback.fields));

const timestampOf = (fields: JsonObject) => parseRfc2822Instant(text(fields, 'Timestamp'));

function detailsOf(end: JsonObject, answeredBy: string | null): Record<string, unknown> {
  // A fixed literal: untrusted keys are never used to assign into the details object.
  return {
    accountSid: text(end, 'AccountSid'),
    parentCallSid: text(end, 'ParentCallSid'),
    answeredBy,
    callbackSource: text(end, 'CallbackSource'),
    sequenceNumber: text(end, 'SequenceNumber'),
    sipResponseCode: text(end, 'SipResponseCode'),
    forwardedFrom: text(end, 'ForwardedFrom'),
    callerName: text(end, 'CallerName'),
    apiVersion: text(end, 'ApiVersion'),
  };
}

function toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
  const callbacks: Callback[] = [];
  for (const delivery of [...deliveries].sort(byArrival)) {
    if (!RECORD_EVENTS.has(delivery.eventType) || !delivery.callId) continue;
    const fields = fieldsOf(delivery.body);
    if (fields !== null) callbacks.push({ delivery, fields });
  }
  const end = callbacks.find((callback) => TERMINAL_STATUSES.has(callback.delivery.eventType));
  const first = callbacks[0];
  if (end === undefined || first === undefined) return null;
  const callId = end.delivery.callId as string;
  const sameCall = callbacks.filter((callback) => callback.delivery.callId === callId);
  // The end callback's own fields first, then the rest of the call's callbacks in arrival order.
  const preferringEnd = [end, ...sameCall.filter((callback) => callback !== end)];
  const ofStatus = (status: string) => sameCall.filter((callback) => callback.delivery.eventType === status);

  const answeredBy = firstField(preferringEnd, (fields) => text(fields, 'AnsweredBy'));
  const callStatus = end.delivery.eventType;
  const outcome = outcomeOfCallStatus(callStatus, answeredBy);
  return {
    provider: PROVIDER,
    callId,
    from: normalizeAddress(firstField(preferringEnd, (fields) => text(fields, 'From'))),
    to: normalizeAddress(firstField(preferringEnd, (fields) => text(fields, 'To'))),
    direction: firstField(preferringEnd, (fields) => DIRECTIONS.get(text(fields, 'Direction') ?? '') ?? null),
    // Inbound calls have no `initiated` callback: their first ringing is when the call began.
    startedAt: firstField(ofStatus('initiated'), timestampOf) ?? firstField(ofStatus('ringing'), timestampOf),
    answeredAt: firstField(ofStatus('in-progress'), timestampOf),
    endedAt: timestampOf(end.fields),
    durationSeconds: wholeSecondsText(text(end.fields, 'CallDuration')),
    outcome,
    answered: isAnswered(outcome),
    hangupCause: callStatus,
    receivedAt: sameCall[0]?.delivery.receivedAt ?? first.delivery.receivedAt,
    details: detailsOf(end.fields, answeredBy),
  };
}

export const twilioNormalizer: ProviderNormalizer = {
  name: PROVIDER,
  recordEvents: RECORD_EVENTS,
  toCallRecord,
};

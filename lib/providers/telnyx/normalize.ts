/**
 * Telnyx consumer half: a leg's stored deliveries become its record (spec §6). Call Control JSON:
 * `call.hangup` ends the call, `call.answered` gives answeredAt, `call.initiated` the direction,
 * `call.machine.detection.ended` a detail. TeXML form callbacks: a terminal CallStatus ends it.
 */
import type { Delivery } from '../../envelope';
import {
  byArrival,
  firstValue,
  isJsonObject,
  type JsonObject,
  nonEmptyText,
  own,
} from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseIsoInstant, parseLenientInstant, secondsBetween, usableSeconds } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import type { ProviderNormalizer } from '../types';
import { parseTelnyxBody, texmlEventType } from './ingress';

const HANGUP = 'call.hangup';
const ANSWERED = 'call.answered';
const INITIATED = 'call.initiated';
const MACHINE_DETECTION = ['call.machine.detection.ended', 'call.machine.premium.detection.ended'];

/** hangup_cause → outcome; normal_clearing and time_limit depend on whether the call was answered. */
const OUTCOME_BY_CAUSE: ReadonlyMap<string, Outcome | 'completed_if_answered'> = new Map([
  ['normal_clearing', 'completed_if_answered'],
  ['time_limit', 'completed_if_answered'],
  ['originator_cancel', 'canceled'],
  ['user_busy', 'busy'],
  ['no_answer', 'no_answer'],
  ['timeout', 'no_answer'],
  ['call_rejected', 'rejected'],
  ['not_found', 'invalid_number'],
  ['unspecified', 'unknown'],
]);

/** `unspecified`: Telnyx itself says nothing of how the call ended, so neither can we. */
export const UNKNOWABLE_HANGUP_CAUSES: ReadonlySet<string> = new Set(['unspecified']);

export function outcomeOfHangupCause(cause: unknown, answered: boolean): Outcome {
  const mapped = typeof cause === 'string' ? OUTCOME_BY_CAUSE.get(cause) : undefined;
  if (mapped === 'completed_if_answered') return answered ? 'completed' : 'canceled';
  return mapped ?? 'unknown';
}

/** TeXML terminal CallStatus → outcome, as Twilio's (AnsweredBy machine/fax makes completed voicemail). */
const OUTCOME_BY_TEXML_STATUS: ReadonlyMap<string, Outcome> = new Map([
  ['completed', 'completed'],
  ['busy', 'busy'],
  ['no-answer', 'no_answer'],
  ['canceled', 'canceled'],
  ['failed', 'failed'],
]);

export function outcomeOfTexmlStatus(status: string, answeredBy: unknown): Outcome {
  const outcome = OUTCOME_BY_TEXML_STATUS.get(status) ?? 'unknown';
  const machine = typeof answeredBy === 'string' && /^(machine|fax)/i.test(answeredBy);
  return outcome === 'completed' && machine ? 'voicemail' : outcome;
}

const TEXML_END_EVENTS = [...OUTCOME_BY_TEXML_STATUS.keys()].map(texmlEventType);
const TEXML_PROGRESS_EVENTS = ['initiated', 'ringing', 'in-progress', 'answered'].map(texmlEventType);

const RECORD_EVENTS: ReadonlySet<string> = new Set([
  HANGUP,
  ANSWERED,
  INITIATED,
  ...MACHINE_DETECTION,
  ...TEXML_END_EVENTS,
  ...TEXML_PROGRESS_EVENTS,
]);

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map([
  ['incoming', 'inbound'],
  ['inbound', 'inbound'],
  ['outgoing', 'outbound'],
  ['outbound', 'outbound'],
  ['outbound-api', 'outbound'],
  ['outbound-dial', 'outbound'],
]);

interface CallEvent {
  delivery: Delivery;
  /** Call Control: `data`; TeXML: the form fields. */
  data: JsonObject;
  /** Call Control: `data.payload`; TeXML: the form fields again. */
  payload: JsonObject;
}

const text = nonEmptyText;

function readEvent(delivery: Delivery): CallEvent | null {
  let body: Readonly<Record<string, unknown>>;
  try {
    body = parseTelnyxBody(delivery.body);
  } catch {
    return null;
  }
  if (delivery.eventType.startsWith('texml.')) return { delivery, data: body, payload: body };
  const data = own(body, 'data');
  if (!isJsonObject(data)) return null;
  const payload = own(data, 'payload');
  return { delivery, data, payload: isJsonObject(payload) ? payload : {} };
}

const directionOf = (value: unknown): Direction | null =>
  typeof value === 'string' ? (DIRECTIONS.get(value.toLowerCase()) ?? null) : null;

function callControlRecord(hangup: CallEvent, events: readonly CallEvent[], receivedAt: string): CallRecord {
  const ofType = (...types: string[]) => events.filter((e) => types.includes(e.delivery.eventType));
  const answers = ofType(ANSWERED);
  const initiated = ofType(INITIATED);
  const machine = ofType(...MACHINE_DETECTION);
  // The hangup first, then the call's other events, for fields more than one of them carries.
  const others = [hangup, ...events.filter((e) => e !== hangup)];
  const field = (key: string) => firstValue(others, (e) => text(own(e.payload, key)));
  const address = (key: string) => firstValue(others, (e) => normalizeAddress(own(e.payload, key)));

  const answeredAt = firstValue(answers, (e) => parseIsoInstant(own(e.data, 'occurred_at')));
  const endTime = own(hangup.payload, 'end_time');
  const endedAt =
    endTime === undefined || endTime === null || endTime === ''
      ? parseIsoInstant(own(hangup.data, 'occurred_at'))
      : parseIsoInstant(endTime);
  const cause = own(hangup.payload, 'hangup_cause');
  const outcome = outcomeOfHangupCause(cause, answers.length > 0);
  return {
    provider: 'telnyx',
    callId: hangup.delivery.callId as string,
    from: address('from'),
    to: address('to'),
    direction:
      firstValue(initiated, (e) => directionOf(own(e.payload, 'direction'))) ??
      firstValue(others, (e) => directionOf(own(e.payload, 'direction'))),
    startedAt: firstValue(others, (e) => parseIsoInstant(own(e.payload, 'start_time'))),
    answeredAt,
    endedAt,
    durationSeconds: secondsBetween(answeredAt, endedAt),
    outcome,
    answered: isAnswered(outcome),
    hangupCause: typeof cause === 'string' ? cause : '',
    receivedAt,
    details: {
      product: 'call-control',
      eventId: text(own(hangup.data, 'id')),
      callControlId: field('call_control_id'),
      callSessionId: field('call_session_id'),
      connectionId: field('connection_id'),
      clientState: field('client_state'),
      hangupSource: text(own(hangup.payload, 'hangup_source')),
      sipHangupCause: text(own(hangup.payload, 'sip_hangup_cause')),
      machineDetectionResult: firstValue(machine, (e) => text(own(e.payload, 'result'))),
    },
  };
}

function texmlRecord(end: CallEvent, events: readonly CallEvent[], receivedAt: string): CallRecord {
  const others = [end, ...events.filter((e) => e !== end)];
  const field = (key: string) => firstValue(others, (e) => text(own(e.payload, key)));
  const time = (key: string) => firstValue(others, (e) => parseLenientInstant(own(e.payload, key)));
  const status = text(own(end.payload, 'CallStatus')) ?? '';
  const answeredAt = time('AnsweredTime');
  const endedAt = parseLenientInstant(own(end.payload, 'EndTime'));
  const answeredBy = field('AnsweredBy');
  const outcome = outcomeOfTexmlStatus(status, answeredBy);
  return {
    provider: 'telnyx',
    callId: end.delivery.callId as string,
    from: firstValue(others, (e) => normalizeAddress(own(e.payload, 'From'))),
    to: firstValue(others, (e) => normalizeAddress(own(e.payload, 'To'))),
    direction: firstValue(others, (e) => directionOf(own(e.payload, 'Direction'))),
    startedAt: time('StartTime'),
    answeredAt,
    endedAt,
    durationSeconds: secondsBetween(answeredAt, endedAt),
    outcome,
    answered: isAnswered(outcome),
    hangupCause: status,
    receivedAt,
    details: {
      product: 'texml',
      callSid: field('CallSid'),
      callSessionId: field('CallSessionId'),
      accountSid: field('AccountSid'),
      callDuration: usableSeconds(own(end.payload, 'CallDuration')),
      hangupCause: text(own(end.payload, 'HangupCause')),
      hangupSource: text(own(end.payload, 'HangupSource')),
      sipHangupCause: text(own(end.payload, 'SipHangupCause')),
      answeredBy,
    },
  };
}

function toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
  const ordered = deliveries.filter((d) => RECORD_EVENTS.has(d.eventType) && d.callId).sort(byArrival);
  const events = ordered.map(readEvent).filter((e): e is CallEvent => e !== null);
  // The earliest-received end event wins (ties: delivery id), so processing order never matters.
  const end = events.find(
    (e) => e.delivery.eventType === HANGUP || TEXML_END_EVENTS.includes(e.delivery.eventType),
  );
  const earliest = ordered[0];
  if (end === undefined || earliest === undefined) return null;
  const sameCall = events.filter((e) => e.delivery.callId === end.delivery.callId);
  return end.delivery.eventType === HANGUP
    ? callControlRecord(end, sameCall, earliest.receivedAt)
    : texmlRecord(end, sameCall, earliest.receivedAt);
}

export const telnyxNormalizer: ProviderNormalizer = {
  name: 'telnyx',
  recordEvents: RECORD_EVENTS,
  toCallRecord,
};

/**
 * Bandwidth v1 consumer half: the deliveries stored for one call (hangup, answer, incomingcall, …)
 * become its call record (shared/spec.md §2–§3). Only the hangup says the call ended.
 */
import type { Delivery } from '../../envelope';
import { byArrival, firstValue, type JsonObject, own, parseObject } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseIsoInstant, secondsBetween } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import type { ProviderNormalizer } from '../types';

interface CallEvent {
  delivery: Delivery;
  body: JsonObject;
}

// A Map, not an object literal, so causes like "__proto__" or "toString" cannot hit the prototype.
const OUTCOME_BY_CAUSE: ReadonlyMap<string, Outcome> = new Map([
  ['NORMAL_CLEARING', 'completed'],
  ['ORIGINATOR_CANCEL', 'canceled'],
  ['USER_BUSY', 'busy'],
  ['CALL_REJECTED', 'rejected'],
  ['UNALLOCATED_NUMBER', 'invalid_number'],
  ['NO_ANSWER', 'no_answer'],
  ['NORMAL_TEMPORARY_FAILURE', 'failed'],
]);

/** Bandwidth documents any cause outside its list as an internal error, hence 'failed'. */
export function outcomeOfCause(cause: unknown): Outcome {
  return (typeof cause === 'string' && OUTCOME_BY_CAUSE.get(cause)) || 'failed';
}

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map([
  ['in', 'inbound'],
  ['inbound', 'inbound'],
  ['out', 'outbound'],
  ['outbound', 'outbound'],
]);

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The first value `read` finds in the events' bodies, in arrival order. */
const firstBodyValue = <T>(events: readonly CallEvent[], read: (body: JsonObject) => T | null): T | null =>
  firstValue(events, (event) => read(event.body));

function directionOf(events: readonly CallEvent[]): Direction | null {
  const stated = firstBodyValue(events, (body) => {
    const value = own(body, 'direction');
    return typeof value === 'string' ? (DIRECTIONS.get(value.toLowerCase()) ?? null) : null;
  });
  if (stated !== null) return stated;
  // Bandwidth sends incomingcall only for calls that arrive at the user's number or SIP endpoint.
  return events.some((event) => event.delivery.eventType === 'incomingcall') ? 'inbound' : null;
}

/** What a Bandwidth record is made of; every other event of the call is kept raw only. */
const RECORD_EVENTS: ReadonlySet<string> = new Set(['hangup', 'answer', 'incomingcall']);

function toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
  const ordered = deliveries.filter((d) => RECORD_EVENTS.has(d.eventType)).sort(byArrival);
  const events: CallEvent[] = [];
  for (const delivery of ordered) {
    const body = parseObject(delivery.body);
    if (body !== null) events.push({ delivery, body });
  }
  const hangup = events.find((event) => event.delivery.eventType === 'hangup' && event.delivery.callId);
  const callId = hangup?.delivery.callId;
  const earliest = ordered[0];
  if (hangup === undefined || !callId || earliest === undefined) return null;

  const sameCall = events.filter((event) => event.delivery.callId === callId);
  const ofType = (eventType: string) => sameCall.filter((event) => event.delivery.eventType === eventType);
  const answers = ofType('answer');
  const incoming = ofType('incomingcall');
  const parties = sameCall.filter((event) => ['answer', 'incomingcall'].includes(event.delivery.eventType));
  const address = (key: string) =>
    normalizeAddress(own(hangup.body, key)) ??
    firstBodyValue(parties, (body) => normalizeAddress(own(body, key)));
  const timeOf = (body: JsonObject) => parseIsoInstant(own(body, 'time'));

  const endedAt = timeOf(hangup.body);
  const answeredAt = firstBodyValue(answers, timeOf);
  const cause = own(hangup.body, 'cause');
  const outcome = outcomeOfCause(cause);
  return {
    provider: 'bandwidth',
    callId,
    from: address('from'),
    to: address('to'),
    direction: directionOf(sameCall),
    // v1 has no "call started" event; only an inbound call's incomingcall marks when it began.
    startedAt: firstBodyValue(incoming, timeOf),
    answeredAt,
    endedAt,
    durationSeconds: secondsBetween(answeredAt, endedAt),
    outcome,
    answered: isAnswered(outcome),
    hangupCause: typeof cause === 'string' ? cause : '',
    receivedAt: earliest.receivedAt,
    details: {
      callUri: stringOrNull(own(hangup.body, 'callUri')),
      callState: stringOrNull(own(hangup.body, 'callState')),
    },
  };
}

export const bandwidthNormalizer: ProviderNormalizer = {
  name: 'bandwidth',
  recordEvents: RECORD_EVENTS,
  toCallRecord,
};

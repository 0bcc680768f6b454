/**
 * Vonage consumer half: a leg's stored events become its record (spec §6). A terminal status
 * (completed, busy, cancelled, unanswered, rejected, failed, timeout) ends the call; `started` and
 * `answered` give times, a `machine` human/machine event turns a completed call into voicemail.
 */
import type { Delivery } from '../../envelope';
import { byArrival, firstValue, type JsonObject, nonEmptyText, own, parseObject } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseIsoInstant, usableSeconds } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import type { ProviderNormalizer } from '../types';

const OUTCOME_BY_STATUS: ReadonlyMap<string, Outcome> = new Map([
  ['completed', 'completed'],
  ['busy', 'busy'],
  ['cancelled', 'canceled'],
  ['unanswered', 'no_answer'],
  ['timeout', 'no_answer'],
  ['rejected', 'rejected'],
  ['failed', 'failed'],
]);

/** `detail` values that say more than the status does. */
const OUTCOME_BY_DETAIL: ReadonlyMap<string, Outcome> = new Map([['invalid_number', 'invalid_number']]);

export function outcomeOfStatus(status: string, detail: unknown, machine: boolean): Outcome {
  const outcome = OUTCOME_BY_STATUS.get(status) ?? 'unknown';
  if (outcome === 'completed') return machine ? 'voicemail' : 'completed';
  if (outcome === 'rejected' && typeof detail === 'string') return OUTCOME_BY_DETAIL.get(detail) ?? outcome;
  return outcome;
}

const END_STATUSES: ReadonlySet<string> = new Set(OUTCOME_BY_STATUS.keys());
const MACHINE_STATUSES = ['human', 'machine'];
const RECORD_EVENTS: ReadonlySet<string> = new Set([
  ...END_STATUSES,
  'started',
  'ringing',
  'answered',
  ...MACHINE_STATUSES,
]);

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map([
  ['inbound', 'inbound'],
  ['outbound', 'outbound'],
]);

interface CallEvent {
  delivery: Delivery;
  body: JsonObject;
}

const text = nonEmptyText;

/** The first value `read` finds in the events' bodies, in arrival order. */
const firstBodyValue = <T>(events: readonly CallEvent[], read: (body: JsonObject) => T | null): T | null =>
  firstValue(events, (event) => read(event.body));

/** Vonage sends numbers as strings; a duration is kept only when usable (decimal, 0 to 7 days). */
const seconds = usableSeconds;

function toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
  const ordered = deliveries.filter((d) => RECORD_EVENTS.has(d.eventType) && d.callId).sort(byArrival);
  const events: CallEvent[] = [];
  for (const delivery of ordered) {
    const body = parseObject(delivery.body);
    if (body !== null) events.push({ delivery, body });
  }
  const ends = events.filter((e) => END_STATUSES.has(e.delivery.eventType));
  // A specific end (busy, rejected, …) says more than the `completed` that may follow it; among
  // equals the earliest-received wins, so the order deliveries are processed in never matters.
  const end = ends.find((e) => e.delivery.eventType !== 'completed') ?? ends[0];
  const earliest = ordered[0];
  if (end === undefined || earliest === undefined) return null;
  const callId = end.delivery.callId as string;
  const sameCall = events.filter((e) => e.delivery.callId === callId);
  const ofType = (...types: string[]) => sameCall.filter((e) => types.includes(e.delivery.eventType));
  const others = [end, ...ends.filter((e) => e !== end && e.delivery.callId === callId), ...sameCall];
  const field = (key: string) => firstBodyValue(others, (body) => text(own(body, key)));
  const machineEvents = ofType(...MACHINE_STATUSES);
  const answeredBy = machineEvents[0]?.delivery.eventType ?? null;

  const status = end.delivery.eventType;
  const detail = own(end.body, 'detail');
  const outcome = outcomeOfStatus(status, detail, answeredBy === 'machine');
  return {
    provider: 'vonage',
    callId,
    from: firstBodyValue(others, (body) => normalizeAddress(own(body, 'from'))),
    to: firstBodyValue(others, (body) => normalizeAddress(own(body, 'to'))),
    direction: firstBodyValue(others, (body) => {
      const value = own(body, 'direction');
      return typeof value === 'string' ? (DIRECTIONS.get(value.toLowerCase()) ?? null) : null;
    }),
    startedAt: firstBodyValue(others, (body) => parseIsoInstant(own(body, 'start_time'))),
    answeredAt: firstBodyValue(ofType('answered'), (body) => parseIsoInstant(own(body, 'timestamp'))),
    endedAt: firstBodyValue(others, (body) => parseIsoInstant(own(body, 'end_time'))),
    durationSeconds: firstBodyValue(others, (body) => seconds(own(body, 'duration'))),
    outcome,
    answered: isAnswered(outcome),
    hangupCause: status,
    receivedAt: earliest.receivedAt,
    details: {
      conversationUuid: field('conversation_uuid'),
      detail: text(detail),
      network: field('network'),
      rate: field('rate'),
      price: field('price'),
      answeredBy,
      subState: firstBodyValue(machineEvents, (body) => text(own(body, 'sub_state'))),
    },
  };
}

export const vonageNormalizer: ProviderNormalizer = {
  name: 'vonage',
  recordEvents: RECORD_EVENTS,
  toCallRecord,
};

/**
 * Bandwidth Voice API v2 consumer half: the `disconnect` callback makes the record (spec §6); an
 * `answer` or `initiate` callback of the same call fills what the disconnect lacks.
 */
import type { Delivery } from '../../envelope';
import { byArrival, firstValue, type JsonObject, nonEmptyText, own, parseObject } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseIsoInstant, secondsBetween } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import type { ProviderNormalizer } from '../types';

/** `cause` → outcome; `hangup` depends on whether the call was answered. */
const OUTCOME_BY_CAUSE: ReadonlyMap<string, Outcome | 'completed_if_answered'> = new Map([
  ['hangup', 'completed_if_answered'],
  ['busy', 'busy'],
  ['timeout', 'no_answer'],
  ['cancel', 'canceled'],
  ['rejected', 'rejected'],
  ['callback-error', 'failed'],
  ['invalid-bxml', 'failed'],
  ['application-error', 'failed'],
  ['account-limit', 'failed'],
  ['node-capacity-exceeded', 'failed'],
  ['error', 'failed'],
  ['unknown', 'unknown'],
]);

export function outcomeOfCause(cause: unknown, answered: boolean): Outcome {
  const mapped = typeof cause === 'string' ? OUTCOME_BY_CAUSE.get(cause) : undefined;
  if (mapped === 'completed_if_answered') return answered ? 'completed' : 'canceled';
  return mapped ?? 'unknown';
}

const RECORD_EVENTS: ReadonlySet<string> = new Set(['disconnect', 'answer', 'initiate']);

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

const DETAIL_FIELDS = [
  'errorMessage',
  'errorId',
  'tag',
  'callUrl',
  'accountId',
  'applicationId',
  'enqueuedTime',
  'eventTime',
  'parentCallId',
] as const;

function toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
  const ordered = deliveries.filter((d) => RECORD_EVENTS.has(d.eventType) && d.callId).sort(byArrival);
  const events: CallEvent[] = [];
  for (const delivery of ordered) {
    const body = parseObject(delivery.body);
    if (body !== null) events.push({ delivery, body });
  }
  // The earliest-received disconnect wins (ties: delivery id): the order of processing never matters.
  const disconnect = events.find((e) => e.delivery.eventType === 'disconnect');
  const earliest = ordered[0];
  if (disconnect === undefined || earliest === undefined) return null;
  const callId = disconnect.delivery.callId as string;
  const others = [disconnect, ...events.filter((e) => e !== disconnect && e.delivery.callId === callId)];
  const time = (key: string) => firstBodyValue(others, (body) => parseIsoInstant(own(body, key)));

  const answeredAt = time('answerTime');
  const endedAt = parseIsoInstant(own(disconnect.body, 'endTime'));
  // Its presence means answered, even when the value itself is unreadable.
  const answered = firstBodyValue(others, (body) => text(own(body, 'answerTime'))) !== null;
  const cause = own(disconnect.body, 'cause');
  const outcome = outcomeOfCause(cause, answered);
  return {
    provider: 'bandwidth-v2',
    callId,
    // Anonymous/Private/Restricted/Unavailable callers are not numbers and stay as sent.
    from: firstBodyValue(others, (body) => normalizeAddress(own(body, 'from'))),
    to: firstBodyValue(others, (body) => normalizeAddress(own(body, 'to'))),
    direction: firstBodyValue(others, (body) => {
      const value = own(body, 'direction');
      return typeof value === 'string' ? (DIRECTIONS.get(value.toLowerCase()) ?? null) : null;
    }),
    startedAt: time('startTime'),
    answeredAt,
    endedAt,
    durationSeconds: secondsBetween(answeredAt, endedAt),
    outcome,
    answered: isAnswered(outcome),
    hangupCause: typeof cause === 'string' ? cause : '',
    receivedAt: earliest.receivedAt,
    details: Object.fromEntries(
      DETAIL_FIELDS.map((key) => [key, firstBodyValue(others, (body) => text(own(body, key)))]),
    ),
  };
}

export const bandwidthV2Normalizer: ProviderNormalizer = {
  name: 'bandwidth-v2',
  recordEvents: RECORD_EVENTS,
  toCallRecord,
};

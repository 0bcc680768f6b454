/**
 * Plivo consumer half: the hangup callback stored for one CallUUID becomes its record
 * (shared/spec.md §6). Plivo's times carry no zone: they are read in PLIVO_TIMEZONE. Pure and
 * order-free; an unreadable field becomes null and stays in the raw body.
 */
import type { Delivery } from '../../envelope';
import { byArrival, type JsonObject, own } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { assertTimeZone, parseLocalTime, wholeSecondsText } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import { parseForm } from '../form';
import type { ProviderNormalizer } from '../types';

const PROVIDER = 'plivo';
const HANGUP_EVENT = 'Hangup';

// A Map, not an object literal, so statuses like "__proto__" cannot hit the prototype.
const OUTCOME_BY_CALL_STATUS: ReadonlyMap<string, Outcome> = new Map<string, Outcome>([
  ['completed', 'completed'],
  ['busy', 'busy'],
  ['no-answer', 'no_answer'],
  ['timeout', 'no_answer'],
  ['cancel', 'canceled'],
  ['failed', 'failed'],
]);

/** spec §6; any other CallStatus at hangup (undocumented there) is unknown rather than a guess. */
export function outcomeOfCallStatus(callStatus: string | null): Outcome {
  return (callStatus !== null && OUTCOME_BY_CALL_STATUS.get(callStatus)) || 'unknown';
}

/**
 * The ingress names a delivery by `Event`, or by `CallStatus` when there is none; the hangup is
 * `Event=Hangup`, or an Event-less callback with a terminal status.
 */
const END_EVENTS: ReadonlySet<string> = new Set([HANGUP_EVENT, ...OUTCOME_BY_CALL_STATUS.keys()]);

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map<string, Direction>([
  ['inbound', 'inbound'],
  ['outbound', 'outbound'],
]);

interface Hangup {
  delivery: Delivery;
  fields: JsonObject;
}

function hangupOf(delivery: Delivery): Hangup | null {
  if (!END_EVENTS.has(delivery.eventType) || !delivery.callId) return null;
  try {
    const fields = parseForm(delivery.body);
    // A terminal status names the end only when no Event says what the callback is.
    const isEnd = delivery.eventType === HANGUP_EVENT || own(fields, 'Event') === undefined;
    return isEnd ? { delivery, fields } : null;
  } catch {
    return null;
  }
}

const text = (fields: JsonObject, key: string): string | null => {
  const value = own(fields, key);
  return typeof value === 'string' && value.trim() !== '' ? value : null;
};

function timeOf(value: string | null, zone: string): string | null {
  try {
    return parseLocalTime(value, zone);
  } catch {
    return null;
  }
}

function detailsOf(fields: JsonObject): Record<string, unknown> {
  // A fixed literal: untrusted keys are never used to assign into the details object.
  return {
    billDuration: wholeSecondsText(text(fields, 'BillDuration')),
    billRate: text(fields, 'BillRate'),
    totalCost: text(fields, 'TotalCost'),
    callStatus: text(fields, 'CallStatus'),
    hangupCauseCode: text(fields, 'HangupCauseCode'),
    hangupSource: text(fields, 'HangupSource'),
    legacyHangupCause: text(fields, 'HangupCause'),
    aLegUuid: text(fields, 'ALegUUID'),
    aLegRequestUuid: text(fields, 'ALegRequestUUID'),
    requestUuid: text(fields, 'RequestUUID'),
    parentAuthId: text(fields, 'ParentAuthID'),
    sessionStart: text(fields, 'SessionStart'),
  };
}

export function createPlivoNormalizer(timeZone: string): ProviderNormalizer {
  const zone = assertTimeZone(timeZone);
  return {
    name: PROVIDER,
    recordEvents: END_EVENTS,
    toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
      const hangups = deliveries.map(hangupOf).filter((hangup): hangup is Hangup => hangup !== null);
      // Plivo retries and may send the hangup twice: the earliest arrival wins, whatever the order given.
      const [chosen] = hangups.sort((a, b) => byArrival(a.delivery, b.delivery));
      if (chosen === undefined) return null;
      const { fields, delivery } = chosen;
      const outcome = outcomeOfCallStatus(text(fields, 'CallStatus'));
      return {
        provider: PROVIDER,
        callId: delivery.callId as string,
        from: normalizeAddress(text(fields, 'From')),
        to: normalizeAddress(text(fields, 'To')),
        direction: DIRECTIONS.get(text(fields, 'Direction') ?? '') ?? null,
        startedAt: timeOf(text(fields, 'StartTime'), zone),
        answeredAt: timeOf(text(fields, 'AnswerTime'), zone),
        endedAt: timeOf(text(fields, 'EndTime'), zone),
        durationSeconds: wholeSecondsText(text(fields, 'Duration')),
        outcome,
        answered: isAnswered(outcome),
        hangupCause: text(fields, 'HangupCauseName') ?? '',
        receivedAt: delivery.receivedAt,
        details: detailsOf(fields),
      };
    },
  };
}

/** The zone Plivo's zone-less times are read in: serverless.yml's `plivoTimezone` param when deployed. */
export const plivoTimeZone = process.env.PLIVO_TIMEZONE || 'UTC';
export const plivoNormalizer = createPlivoNormalizer(plivoTimeZone);

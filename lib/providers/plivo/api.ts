/**
 * Plivo's list-calls API for reconciliation (reconcile-apis.md §2): `GET /v1/Account/{auth_id}/Call/`
 * lists completed calls only, HTTP Basic (Auth ID + Auth Token), `end_time__gte`/`end_time__lt` in
 * UTC (`YYYY-MM-DD HH:MM:SS`), a range of at most 30 days (longer windows are split here), `limit`
 * ≤ 20 with `offset`. The response's times are in the account's zone (an offset like `+05:30`, or
 * none: then read in PLIVO_TIMEZONE, as the webhooks' are).
 *
 * A page is not trusted for being a 200: Plivo's own SDK retries a 5xx with the query string
 * dropped and gets the unfiltered last-7-days page (reconcile-apis.md §2.4). Every listed call's
 * `end_time` must lie in the range asked for and `meta.offset` must be the offset asked for; else
 * the run fails and the window is left to the next run.
 */
import { DateTime } from 'luxon';
import type { Delivery } from '../../envelope';
import { byArrival, isJsonObject, type JsonObject, own, parseObject } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { assertTimeZone, wholeSecondsText } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered } from '../../record';
import {
  type ApiCall,
  type ApiClient,
  ApiCredentialsError,
  ApiResponseError,
  arrayElementTexts,
  type CallWindow,
  type ProviderApi,
} from '../api';
import { outcomeOfCallStatus, plivoTimeZone } from './normalize';

const PROVIDER = 'plivo';
export const PLIVO_PAGE_SIZE = 20;
/** "The time range … can't exceed 30 days" (retrieve-all-calls): longer windows are listed in parts. */
export const PLIVO_MAX_RANGE_MS = 30 * 86_400_000;

export interface PlivoApiCredentials {
  authId: string;
  authToken: string;
}

const AUTH_ID = /^[A-Za-z0-9]{20}$/;
const CALL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const field = (value: JsonObject, key: string): string | null => {
  const v = own(value, key);
  return typeof v === 'string' && v.trim() !== '' ? v : null;
};
const numberText = (value: JsonObject, key: string): string | null => {
  const v = own(value, key);
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : field(value, key);
};

/** Plivo's filter format, UTC, whole seconds. */
const utc = (ms: number) => DateTime.fromMillis(ms, { zone: 'utc' }).toFormat('yyyy-MM-dd HH:mm:ss');

/** A response time: with its offset when it has one, else in the account's zone; null if unreadable. */
export function plivoInstant(value: string | null, zone: string): string | null {
  if (value === null) return null;
  const text = value.trim();
  for (const read of [DateTime.fromSQL, DateTime.fromISO]) {
    const parsed = read(text, { zone, setZone: true });
    if (parsed.isValid) return parsed.toUTC().toISO();
  }
  return null;
}

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map<string, Direction>([
  ['inbound', 'inbound'],
  ['outbound', 'outbound'],
]);

/**
 * The call object has no CallStatus: it is inferred from the answer and the hangup cause name
 * (Plivo's hangup-causes page names "Busy Line", "No Answer", "Ring Timeout Reached",
 * "Cancelled"…). Only a value the webhook lacks is filled with it.
 */
export function plivoApiCallStatus(call: JsonObject): string {
  const cause = (field(call, 'hangup_cause_name') ?? '').toLowerCase();
  const billed = Number(numberText(call, 'bill_duration') ?? 0);
  if (field(call, 'answer_time') !== null || billed > 0) return 'completed';
  if (cause.includes('busy')) return 'busy';
  if (cause.includes('no answer') || cause.includes('timeout')) return 'no-answer';
  if (cause.includes('cancel')) return 'cancel';
  return 'failed';
}

async function* range(
  client: ApiClient,
  authId: string,
  zone: string,
  window: CallWindow,
  gte: number,
  lt: number,
): AsyncIterable<ApiCall[]> {
  for (let offset = 0; ; offset += PLIVO_PAGE_SIZE) {
    const query = new URLSearchParams({
      end_time__gte: utc(gte),
      end_time__lt: utc(lt),
      limit: String(PLIVO_PAGE_SIZE),
      offset: String(offset),
    });
    const text = await client.request({ path: `/v1/Account/${authId}/Call/?${query}` });
    const body = parseObject(text);
    const raw = arrayElementTexts(text, 'objects');
    const meta = body === null ? undefined : own(body, 'meta');
    if (body === null || raw === null || !isJsonObject(meta))
      throw new ApiResponseError(PROVIDER, `the page at offset ${offset} is not a calls page`);
    if (Number(own(meta, 'offset')) !== offset)
      throw new ApiResponseError(
        PROVIDER,
        `asked for offset ${offset}, got a page at ${String(own(meta, 'offset'))}`,
      );
    const page: ApiCall[] = [];
    for (const callText of raw) {
      const call = parseObject(callText);
      const id = call === null ? null : field(call, 'call_uuid');
      if (call === null || id === null || !CALL_UUID.test(id))
        throw new ApiResponseError(PROVIDER, 'a listed call has no valid call_uuid');
      const ended = Date.parse(plivoInstant(field(call, 'end_time'), zone) ?? '');
      // Not the range asked for: an unfiltered page (the query was dropped), never stored.
      if (!(ended >= gte && ended < lt))
        throw new ApiResponseError(
          PROVIDER,
          `a listed call ended outside the range asked for (${utc(gte)} to ${utc(lt)} UTC): the page is not the filtered list, or a zone-less time is not in PLIVO_TIMEZONE`,
        );
      if (ended >= window.since.getTime() && ended < window.until.getTime())
        page.push({ callId: id, body: callText, ended: true });
    }
    yield page;
    const next = own(meta, 'next');
    if (raw.length < PLIVO_PAGE_SIZE || next === null || next === undefined) return;
  }
}

export function createPlivoApi(timeZone: string): ProviderApi<PlivoApiCredentials> {
  const zone = assertTimeZone(timeZone);
  return {
    name: PROVIDER,
    defaultBaseUrl: 'https://api.plivo.com',

    parseCredentials(value, source) {
      const object = isJsonObject(value) ? value : {};
      const authId = field(object, 'authId');
      if (authId === null || !AUTH_ID.test(authId))
        throw new ApiCredentialsError(`${source}: authId (the 20-character Auth ID) is required`);
      const authToken = field(object, 'authToken');
      if (authToken === null) throw new ApiCredentialsError(`${source}: authToken is required`);
      return { authId, authToken };
    },

    authorization: ({ authId, authToken }) =>
      `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`,

    async *listCalls(client, { authId }, window: CallWindow) {
      // Whole seconds outward (the filter's format), in parts of at most 30 days; the exact
      // window is cut out of each page.
      const gte = Math.floor(window.since.getTime() / 1000) * 1000;
      const lt = Math.ceil(window.until.getTime() / 1000) * 1000;
      for (let part = gte; part < lt; part += PLIVO_MAX_RANGE_MS)
        yield* range(client, authId, zone, window, part, Math.min(lt, part + PLIVO_MAX_RANGE_MS));
    },

    toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
      const sorted = [...deliveries].sort(byArrival);
      // A completed call's object no longer changes; the latest fetch is taken, the earliest dates the record.
      const latest = sorted.at(-1);
      const first = sorted[0];
      const call = latest ? parseObject(latest.body) : null;
      if (!latest || !first || call === null || latest.callId === null) return null;
      const outcome = outcomeOfCallStatus(plivoApiCallStatus(call));
      return {
        provider: PROVIDER,
        callId: latest.callId,
        from: normalizeAddress(field(call, 'from_number')),
        to: normalizeAddress(field(call, 'to_number')),
        direction: DIRECTIONS.get(field(call, 'call_direction') ?? '') ?? null,
        startedAt: plivoInstant(field(call, 'initiation_time'), zone),
        answeredAt: plivoInstant(field(call, 'answer_time'), zone),
        endedAt: plivoInstant(field(call, 'end_time'), zone),
        durationSeconds: wholeSecondsText(numberText(call, 'call_duration')),
        outcome,
        answered: isAnswered(outcome),
        hangupCause: field(call, 'hangup_cause_name') ?? '',
        receivedAt: first.receivedAt,
        // The webhook record's detail keys, filled from the call object where it has them.
        details: {
          billDuration: wholeSecondsText(numberText(call, 'bill_duration')),
          billRate: numberText(call, 'total_rate'),
          totalCost: numberText(call, 'total_amount'),
          callStatus: null,
          hangupCauseCode: numberText(call, 'hangup_cause_code'),
          hangupSource: field(call, 'hangup_source'),
          legacyHangupCause: null,
          aLegUuid: null,
          aLegRequestUuid: null,
          requestUuid: null,
          parentAuthId: null,
          sessionStart: null,
        },
      };
    },
  };
}

export const plivoApi = createPlivoApi(plivoTimeZone);

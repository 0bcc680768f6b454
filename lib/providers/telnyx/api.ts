/**
 * Telnyx for reconciliation (reconcile-apis.md §3). Telnyx has no clean "completed calls by leg"
 * list; of its four candidates only one yields the id our records key by:
 * - Detail records, `GET /v2/detail_records?filter[record_type]=call-control` filtered by
 *   `filter[finished_at][gte|lt]`, `page[number]`/`page[size]` ≤ 50 (telnyx-node
 *   `resources/detail-records.ts`): records of ended calls, with the leg id. Used.
 * - TeXML calls, `GET /v2/texml/Accounts/{sid}/Calls`: keyed by `sid` (the CallSid, `v3:…`) with no
 *   leg id, while our TeXML records key by `CallLegId` (lib/providers/telnyx/ingress.ts), and its
 *   time filters are dates only. A CallSid cannot be mapped to a leg without the very webhook that
 *   was lost: not used (a lost TeXML call is recovered only if its detail record carries its leg).
 * - Call events (24 h only) and active calls: not lists of ended calls.
 * A detail record whose leg id is missing or unreadable is not guessed at: it is counted
 * (`unmatched N`) and never stored, so it cannot become a second record of a call.
 *
 * The call-control record's fields are not in the SDK's types (UNVERIFIED); these are the names of
 * Telnyx's documented detail-record example (developers.telnyx.com, WebRTC "detail records":
 * `telnyx_leg_id`, `telnyx_session_id`, `telnyx_call_control_id`, `cli`, `cld`, `direction`,
 * `started_at`, `finished_at`, `call_sec`) and the SDK's note that call-control records "use
 * started_at, finished_at and answered_at"; `call_leg_id`/`from`/`to`/`hangup_cause` are read too.
 */
import type { Delivery } from '../../envelope';
import { isJsonObject, type JsonObject, nonEmptyText, own, parseObject } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseIsoInstant, secondsBetween, usableSeconds } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered, type Outcome } from '../../record';
import {
  type ApiCall,
  type ApiKeyCredentials,
  ApiResponseError,
  arrayElementTexts,
  bearerApiKey,
  type CallWindow,
  latestApiObject,
  type ProviderApi,
} from '../api';
import { MAX_CALL_ID_LENGTH } from './ingress';
import { outcomeOfHangupCause } from './normalize';

const PROVIDER = 'telnyx';
/** `page[size]` is 1..50 (Telnyx's Detail Records API reference). */
export const TELNYX_PAGE_SIZE = 50;
/** A runaway `total_pages` never makes an endless run. */
const MAX_PAGES = 100_000;

export type TelnyxApiCredentials = ApiKeyCredentials;

const field = (value: JsonObject, key: string): string | null => nonEmptyText(own(value, key));

/** The leg id our records key by (`call_leg_id` of the webhooks), or null when the record has none. */
export function legIdOf(record: JsonObject): string | null {
  const leg = field(record, 'call_leg_id') ?? field(record, 'telnyx_leg_id');
  return leg !== null && leg.length <= MAX_CALL_ID_LENGTH ? leg : null;
}

function toApiCall(text: string, page: number): ApiCall {
  const record = parseObject(text);
  if (record === null)
    throw new ApiResponseError(PROVIDER, `page ${page} has no valid detail record (not an object)`);
  const leg = legIdOf(record);
  if (leg !== null) return { callId: leg, body: text, ended: true };
  // Not stored, only counted; identified by the record's own id (or its bytes) so a repeat counts once.
  const id = field(record, 'id') ?? text;
  return { callId: `unmatched:${id}`, body: text, ended: true, unmatched: true };
}

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map([
  ['inbound', 'inbound'],
  ['incoming', 'inbound'],
  ['outbound', 'outbound'],
  ['outgoing', 'outbound'],
]);

export const telnyxApi: ProviderApi<TelnyxApiCredentials> = {
  name: PROVIDER,
  defaultBaseUrl: 'https://api.telnyx.com',
  reportsUnmatched: true,

  ...bearerApiKey('apiKey (a Telnyx API key, KEY…)'),

  async *listCalls(client, _credentials, window: CallWindow) {
    for (let number = 1; number <= MAX_PAGES; number++) {
      const query = [
        ['filter[record_type]', 'call-control'],
        ['filter[finished_at][gte]', window.since.toISOString()],
        ['filter[finished_at][lt]', window.until.toISOString()],
        ['page[number]', String(number)],
        ['page[size]', String(TELNYX_PAGE_SIZE)],
        ['sort', 'finished_at'],
      ]
        .map(([k, v]) => `${encodeURIComponent(k as string)}=${encodeURIComponent(v as string)}`)
        .join('&');
      const text = await client.request({ path: `/v2/detail_records?${query}` });
      const body = parseObject(text);
      const raw = arrayElementTexts(text, 'data');
      const meta = body === null ? null : own(body, 'meta');
      const totalPages = isJsonObject(meta) ? own(meta, 'total_pages') : undefined;
      if (raw === null || !Number.isInteger(totalPages))
        throw new ApiResponseError(PROVIDER, `page ${number} is not a detail-records page`);
      const calls = raw.map((t) => toApiCall(t, number));
      // Telnyx filters by finished_at; a record outside the window is not trusted to be in it.
      yield calls.filter((call) => {
        const finished = parseIsoInstant(own(parseObject(call.body) ?? {}, 'finished_at'));
        const at = finished === null ? Number.NaN : Date.parse(finished);
        return at >= window.since.getTime() && at < window.until.getTime();
      });
      if (raw.length === 0 || number >= (totalPages as number)) return;
    }
    throw new ApiResponseError(PROVIDER, `more than ${MAX_PAGES} pages`);
  },

  toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
    const latest = latestApiObject(deliveries);
    if (latest === null) return null;
    const record = latest.object;
    const answeredAt = parseIsoInstant(own(record, 'answered_at'));
    const endedAt = parseIsoInstant(own(record, 'finished_at'));
    const cause = field(record, 'hangup_cause');
    const answered = answeredAt !== null || (usableSeconds(own(record, 'billed_sec')) ?? 0) > 0;
    const outcome: Outcome =
      cause !== null ? outcomeOfHangupCause(cause, answered) : answered ? 'completed' : 'unknown';
    return {
      provider: PROVIDER,
      callId: latest.callId,
      from: normalizeAddress(own(record, 'from') ?? own(record, 'cli')),
      to: normalizeAddress(own(record, 'to') ?? own(record, 'cld')),
      direction: DIRECTIONS.get((field(record, 'direction') ?? '').toLowerCase()) ?? null,
      startedAt: parseIsoInstant(own(record, 'started_at')),
      answeredAt,
      endedAt,
      durationSeconds: usableSeconds(own(record, 'call_sec')) ?? secondsBetween(answeredAt, endedAt),
      outcome,
      answered: isAnswered(outcome),
      hangupCause: cause ?? '',
      receivedAt: latest.receivedAt,
      // The Call Control record's detail keys, filled from the detail record where it has them.
      details: {
        product: 'call-control',
        eventId: null,
        callControlId: field(record, 'call_control_id') ?? field(record, 'telnyx_call_control_id'),
        callSessionId: field(record, 'call_session_id') ?? field(record, 'telnyx_session_id'),
        connectionId: field(record, 'connection_id'),
        clientState: null,
        hangupSource: field(record, 'hangup_source'),
        sipHangupCause: field(record, 'sip_hangup_cause'),
        machineDetectionResult: null,
      },
    };
  },
};

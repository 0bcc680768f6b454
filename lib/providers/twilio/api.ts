/**
 * Twilio's list-calls API for reconciliation (reconcile-apis.md §1): `GET /2010-04-01/Accounts/
 * {AccountSid}/Calls.json`, HTTP Basic (Account SID + Auth Token, or an API Key SID + secret),
 * `PageSize` ≤ 1000, pages followed through `next_page_uri`. A call's `end_time` is "Empty if the
 * call did not complete successfully" (twilio-node `call.d.ts`), so a window is listed twice: by
 * `EndTime`, and by `StartTime` over a wider range for terminal calls without an end time.
 */
import type { Delivery } from '../../envelope';
import { byArrival, isJsonObject, type JsonObject, own, parseObject } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseRfc2822Instant, wholeSecondsText } from '../../normalize/time';
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
import { outcomeOfCallStatus, TERMINAL_STATUSES } from './normalize';

const PROVIDER = 'twilio';
export const TWILIO_PAGE_SIZE = 1000;
/** Calls without an end time are looked for among those that started up to this long before the window. */
export const START_LOOKBACK_MS = 4 * 3_600_000;

export interface TwilioApiCredentials {
  accountSid: string;
  username: string;
  password: string;
}

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

const field = (value: JsonObject, key: string): string | null => {
  const v = own(value, key);
  return typeof v === 'string' && v !== '' ? v : null;
};

const DAY_MS = 86_400_000;
const utcDay = (date: Date) => date.toISOString().slice(0, 10);

async function* walk(client: ApiClient, accountSid: string, firstQuery: string): AsyncIterable<JsonObject[]> {
  const prefix = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
  let path: string | null = `${prefix}?${firstQuery}&PageSize=${TWILIO_PAGE_SIZE}`;
  for (let page = 0; path !== null; page++) {
    const text = await client.request({ path });
    const body = parseObject(text);
    const raw = arrayElementTexts(text, 'calls');
    if (body === null || raw === null)
      throw new ApiResponseError(PROVIDER, `page ${page} is not a calls page`);
    const next = own(body, 'next_page_uri');
    // Only a page of the same list is followed: the credential goes nowhere else.
    if (next !== null && next !== undefined && (typeof next !== 'string' || !next.startsWith(`${prefix}?`)))
      throw new ApiResponseError(PROVIDER, `page ${page} has an unexpected next_page_uri`);
    yield raw.map((text) => ({ ...(parseObject(text) ?? {}), [RAW]: text }));
    path = typeof next === 'string' ? next : null;
  }
}

/** The exact text of a listed call, carried beside its parsed fields. */
const RAW = Symbol('raw');

function toApiCall(call: JsonObject & { [RAW]?: string }): ApiCall {
  const sid = field(call, 'sid');
  if (sid === null || !CALL_SID.test(sid))
    throw new ApiResponseError(PROVIDER, 'a listed call has no valid sid');
  const status = field(call, 'status');
  return {
    callId: sid,
    body: call[RAW] ?? JSON.stringify(call),
    ended: status !== null && TERMINAL_STATUSES.has(status),
  };
}

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map<string, Direction>([
  ['inbound', 'inbound'],
  ['outbound-api', 'outbound'],
  ['outbound-dial', 'outbound'],
]);

export const twilioApi: ProviderApi<TwilioApiCredentials> = {
  name: PROVIDER,
  defaultBaseUrl: 'https://api.twilio.com',

  parseCredentials(value, source) {
    const object = isJsonObject(value) ? value : {};
    const accountSid = field(object, 'accountSid');
    if (accountSid === null || !ACCOUNT_SID.test(accountSid))
      throw new ApiCredentialsError(`${source}: accountSid (AC + 32 hex digits) is required`);
    const authToken = field(object, 'authToken');
    const apiKeySid = field(object, 'apiKeySid');
    const apiKeySecret = field(object, 'apiKeySecret');
    if (apiKeySid !== null && apiKeySecret !== null)
      return { accountSid, username: apiKeySid, password: apiKeySecret };
    if (authToken !== null) return { accountSid, username: accountSid, password: authToken };
    throw new ApiCredentialsError(`${source}: authToken, or apiKeySid and apiKeySecret, is required`);
  },

  authorization: ({ username, password }) =>
    `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,

  async *listCalls(client, { accountSid }, window: CallWindow) {
    // Twilio documents these filters as UTC dates (`YYYY-MM-DD`) and the anchors send dates only
    // (reconcile-apis.md §1): whole days are asked for and the window is cut out here, so the
    // listing is right whether or not Twilio honours a time part.
    const days = (name: string, since: Date) =>
      `${encodeURIComponent(`${name}>`)}=${utcDay(since)}&${encodeURIComponent(`${name}<`)}=${utcDay(new Date(window.until.getTime() + DAY_MS))}`;
    const inWindow = (since: Date) => (time: string | null) => {
      const at = time === null ? Number.NaN : Date.parse(parseRfc2822Instant(time) ?? '');
      return at >= since.getTime() && at < window.until.getTime();
    };
    const endedIn = inWindow(window.since);
    for await (const page of walk(client, accountSid, days('EndTime', window.since)))
      yield page.filter((call) => endedIn(field(call, 'end_time'))).map(toApiCall);
    // Busy, failed, no-answer and canceled calls may have no end time: found by their start.
    const startSince = new Date(window.since.getTime() - START_LOOKBACK_MS);
    const startedIn = inWindow(startSince);
    for await (const page of walk(client, accountSid, days('StartTime', startSince)))
      yield page
        .filter((call) => field(call, 'end_time') === null && startedIn(field(call, 'start_time')))
        .map(toApiCall);
  },

  toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
    const sorted = [...deliveries].sort(byArrival);
    // An ended call's object no longer changes; the latest fetch is taken, the earliest dates the record.
    const latest = sorted.at(-1);
    const first = sorted[0];
    const call = latest ? parseObject(latest.body) : null;
    if (!latest || !first || call === null || latest.callId === null) return null;
    const status = field(call, 'status') ?? '';
    const answeredBy = field(call, 'answered_by');
    const outcome = outcomeOfCallStatus(status, answeredBy);
    return {
      provider: PROVIDER,
      callId: latest.callId,
      from: normalizeAddress(field(call, 'from')),
      to: normalizeAddress(field(call, 'to')),
      direction: DIRECTIONS.get(field(call, 'direction') ?? '') ?? null,
      startedAt: parseRfc2822Instant(field(call, 'start_time')),
      // The Call resource has no answer time.
      answeredAt: null,
      endedAt: parseRfc2822Instant(field(call, 'end_time')),
      durationSeconds: wholeSecondsText(field(call, 'duration')),
      outcome,
      answered: isAnswered(outcome),
      hangupCause: status,
      receivedAt: first.receivedAt,
      // The webhook record's detail keys, filled from the Call resource where it has them.
      details: {
        accountSid: field(call, 'account_sid'),
        parentCallSid: field(call, 'parent_call_sid'),
        answeredBy,
        callbackSource: null,
        sequenceNumber: null,
        sipResponseCode: null,
        forwardedFrom: field(call, 'forwarded_from'),
        callerName: field(call, 'caller_name'),
        apiVersion: field(call, 'api_version'),
      },
    };
  },
};

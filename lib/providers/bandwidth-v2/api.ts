/**
 * Bandwidth Voice API v2's list-calls API for reconciliation (reconcile-apis.md §5):
 * `GET /accounts/{accountId}/calls` on `https://voice.bandwidth.com/api/v2`, HTTP Basic with an API
 * user's username and password (not the callbacks' credentials), `pageSize` ≤ 10000, the next page
 * in the `Link: <…>; rel="next"` header (bandwidth-sdk does not follow it; we do).
 *
 * Two traps shape the lister: the list filters on *start* time only (`minStartTime`/`maxStartTime`,
 * no end-time filter), so a window is listed from its start minus the longest call we look for and
 * cut to calls that ended in it here; and calls are kept for 7 days after they hung up
 * (bandwidth-sdk `calls-api.ts`: "older than 7 days, you will get an empty array"), so an older
 * window is clamped (`retentionMs`) and the summary says from when it was listed.
 */
import type { Delivery } from '../../envelope';
import { isJsonObject, type JsonObject, nonEmptyText, own, parseObject } from '../../normalize/json';
import { normalizeAddress } from '../../normalize/phone';
import { parseIsoInstant, secondsBetween } from '../../normalize/time';
import { type CallRecord, type Direction, isAnswered } from '../../record';
import {
  type ApiCall,
  type ApiClient,
  ApiCredentialsError,
  ApiResponseError,
  arrayElementTexts,
  type CallWindow,
  latestApiObject,
  type ProviderApi,
} from '../api';
import { outcomeOfCause } from './normalize';

const PROVIDER = 'bandwidth-v2';
export const BANDWIDTH_V2_PAGE_SIZE = 1000;
/** "call information is kept for 7 days after the calls are hung up" (bandwidth-sdk `calls-api.ts`). */
export const BANDWIDTH_V2_RETENTION_MS = 7 * 86_400_000;
/**
 * The longest call looked for: the list filters on start time, so a window is listed from this long
 * before its start. Bandwidth publishes no maximum call length; a call longer than this that ended
 * in the window is not listed by that window (our choice, README "Backfill" of Bandwidth v2).
 */
export const BANDWIDTH_V2_MAX_CALL_MS = 24 * 3_600_000;

export interface BandwidthV2ApiCredentials {
  accountId: string;
  username: string;
  password: string;
}

/** Bandwidth account ids are digits (`9900000` in the SDK's examples); a path segment either way. */
const ACCOUNT_ID = /^\d{1,20}$/;
const MAX_CALL_ID_LENGTH = 200;

const field = (value: JsonObject, key: string): string | null => nonEmptyText(own(value, key));

/** The `rel="next"` target of a Link header (RFC 8288), or null. */
export function nextLink(header: string | null): string | null {
  if (header === null) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*((?:;[^;]*)*)$/.exec(part);
    if (match && /;\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(match[2] ?? ''))
      return match[1] ?? null;
  }
  return null;
}

function toApiCall(text: string): ApiCall & { endTime: string | null } {
  const call = parseObject(text);
  const callId = call === null ? null : field(call, 'callId');
  if (call === null || callId === null || callId.length > MAX_CALL_ID_LENGTH)
    throw new ApiResponseError(PROVIDER, 'a listed call has no valid callId');
  // `state`: queued, initiated, answered, disconnected (bandwidth-sdk `models/call-state-enum.ts`).
  return {
    callId,
    body: text,
    ended: field(call, 'state') === 'disconnected',
    endTime: parseIsoInstant(own(call, 'endTime')),
  };
}

const DIRECTIONS: ReadonlyMap<string, Direction> = new Map([
  ['inbound', 'inbound'],
  ['outbound', 'outbound'],
]);

export const bandwidthV2Api: ProviderApi<BandwidthV2ApiCredentials> = {
  name: PROVIDER,
  defaultBaseUrl: 'https://voice.bandwidth.com/api/v2',
  retentionMs: BANDWIDTH_V2_RETENTION_MS,

  parseCredentials(value, source) {
    const object = isJsonObject(value) ? value : {};
    const accountId = field(object, 'accountId');
    if (accountId === null || !ACCOUNT_ID.test(accountId))
      throw new ApiCredentialsError(`${source}: accountId (the account's digits) is required`);
    const username = field(object, 'username');
    const password = field(object, 'password');
    if (username === null || password === null)
      throw new ApiCredentialsError(`${source}: username and password (an API user's) are required`);
    if (username.includes(':')) throw new ApiCredentialsError(`${source}: username cannot contain ':'`);
    return { accountId, username, password };
  },

  authorization: ({ username, password }) =>
    `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,

  async *listCalls(client: ApiClient, { accountId }, window: CallWindow) {
    const prefix = `/accounts/${accountId}/calls`;
    const query = new URLSearchParams({
      minStartTime: new Date(window.since.getTime() - BANDWIDTH_V2_MAX_CALL_MS).toISOString(),
      // Inclusive; a call that ended before `until` started before it too.
      maxStartTime: window.until.toISOString(),
      pageSize: String(BANDWIDTH_V2_PAGE_SIZE),
    });
    let path: string | null = `${prefix}?${query}`;
    for (let page = 0; path !== null; page++) {
      const { text, headers } = await client.requestWithHeaders({ path });
      // The page is a bare array of call states; anything else is not the documented shape.
      const raw = arrayElementTexts(text, null);
      if (raw === null) throw new ApiResponseError(PROVIDER, `page ${page} is not an array of calls`);
      const calls = raw.map(toApiCall);
      yield calls.filter(({ endTime }) => {
        const at = endTime === null ? Number.NaN : Date.parse(endTime);
        return at >= window.since.getTime() && at < window.until.getTime();
      });
      const next = nextLink(headers.get('link'));
      if (next === null) break;
      // Only a page of the same list under the same base URL is followed: the credential goes nowhere else.
      let url: URL;
      try {
        url = new URL(next, `${client.baseUrl}${path}`);
      } catch {
        throw new ApiResponseError(PROVIDER, `page ${page} has an unreadable Link header`);
      }
      if (!url.href.startsWith(`${client.baseUrl}${prefix}?`))
        throw new ApiResponseError(PROVIDER, `page ${page} links to another list`);
      path = url.href.slice(client.baseUrl.length);
    }
  },

  toCallRecord(deliveries: readonly Delivery[]): CallRecord | null {
    const latest = latestApiObject(deliveries);
    if (latest === null) return null;
    const call = latest.object;
    const answeredAt = parseIsoInstant(own(call, 'answerTime'));
    const endedAt = parseIsoInstant(own(call, 'endTime'));
    // The API's `disconnectCause` takes the values of the disconnect callback's `cause`.
    const cause = field(call, 'disconnectCause');
    const outcome = outcomeOfCause(cause, field(call, 'answerTime') !== null);
    return {
      provider: PROVIDER,
      callId: latest.callId,
      from: normalizeAddress(own(call, 'from')),
      to: normalizeAddress(own(call, 'to')),
      direction: DIRECTIONS.get((field(call, 'direction') ?? '').toLowerCase()) ?? null,
      startedAt: parseIsoInstant(own(call, 'startTime')),
      answeredAt,
      endedAt,
      // The API has no duration; as for the callbacks, answer to end.
      durationSeconds: secondsBetween(answeredAt, endedAt),
      outcome,
      answered: isAnswered(outcome),
      hangupCause: cause ?? '',
      receivedAt: latest.receivedAt,
      // The callback record's detail keys, filled from the call state where it has them.
      details: {
        errorMessage: field(call, 'errorMessage'),
        errorId: field(call, 'errorId'),
        tag: null,
        callUrl: null,
        accountId: field(call, 'accountId'),
        applicationId: field(call, 'applicationId'),
        enqueuedTime: field(call, 'enqueuedTime'),
        eventTime: null,
        parentCallId: field(call, 'parentCallId'),
      },
    };
  },
};

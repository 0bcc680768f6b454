/**
 * A local fake of Plivo's list-calls API, as documented (reconcile-apis.md §2; plivo.com/docs/voice/
 * api/call/retrieve-all-calls; plivo-node `dist/resources/call.js` ListAllCallsResponse):
 * `GET /v1/Account/{auth_id}/Call/`, HTTP Basic Auth ID + Auth Token (401 otherwise, 404 for another
 * account), completed calls only, `end_time[__gt|__gte|__lt|__lte]` read as UTC
 * `YYYY-MM-DD HH:MM[:SS[.ffffff]]`, a range over 30 days → 400, no end_time filter → the last 7 days,
 * `limit` ≤ 20 (default 20) + `offset`, `{api_id, meta, objects}`; times in the response are in the
 * account's zone with its offset (`2022-06-28 19:39:05+05:30`).
 *
 * `dropQuery: n` reproduces plivo-node's 5xx retry, which re-sends the request without its query
 * string: the next n requests are answered as if no filter, limit or offset had been sent.
 * Other faults: test/support/fake-api.ts.
 */
import { DateTime } from 'luxon';
import { basicCredentials, type FakeApi, json, startFakeApi } from '../support/fake-api';

export const PLIVO_FAKE_CREDENTIALS = { authId: 'MAFAKE0123456789ABCD', authToken: 'fake-plivo-auth-token' };

export type PlivoApiCall = Record<string, unknown> & { call_uuid: string; end_time: string };

/** Plivo's response format for a time, in `zone` (the account's console zone). */
export const plivoTime = (date: Date, zone: string) =>
  DateTime.fromJSDate(date, { zone }).toFormat('yyyy-MM-dd HH:mm:ssZZ');

/** A completed outbound call as the list returns it, answered for 60 s unless `spec` says otherwise. */
export function plivoApiCall(
  spec: { callUuid: string; endedAt: Date; answered?: boolean; zone?: string } & Record<string, unknown>,
): PlivoApiCall {
  const { callUuid, endedAt, answered = true, zone = 'Asia/Kolkata', ...rest } = spec;
  const start = new Date(endedAt.getTime() - 70_000);
  return {
    answer_time: answered ? plivoTime(new Date(start.getTime() + 10_000), zone) : null,
    bill_duration: answered ? 60 : 0,
    billed_duration: answered ? 60 : 0,
    call_direction: 'outbound',
    call_duration: answered ? 60 : 0,
    call_state: 'ANSWER',
    call_uuid: callUuid,
    conference_uuid: null,
    end_time: plivoTime(endedAt, zone),
    from_number: '14155550100',
    hangup_cause_code: answered ? 4000 : 3010,
    hangup_cause_name: answered ? 'Normal Hangup' : 'Busy Line',
    hangup_source: 'Callee',
    initiation_time: plivoTime(start, zone),
    parent_call_uuid: null,
    resource_uri: `/v1/Account/${PLIVO_FAKE_CREDENTIALS.authId}/Call/${callUuid}/`,
    to_number: '14155550123',
    total_amount: '0.00850',
    total_rate: '0.00850',
    stir_verification: 'Not Applicable',
    source_ip: null,
    ...rest,
  } as PlivoApiCall;
}

const FILTERS: [string, (a: number, b: number) => boolean][] = [
  ['end_time__gt', (a, b) => a > b],
  ['end_time__gte', (a, b) => a >= b],
  ['end_time__lt', (a, b) => a < b],
  ['end_time__lte', (a, b) => a <= b],
  ['end_time', (a, b) => a === b],
];
const DAY_MS = 86_400_000;

const readUtc = (value: string) => {
  for (const format of ['yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm:ss', 'yyyy-MM-dd HH:mm:ss.SSSSSS']) {
    const parsed = DateTime.fromFormat(value, format, { zone: 'utc' });
    if (parsed.isValid) return parsed.toMillis();
  }
  return Number.NaN;
};
const endedMs = (call: PlivoApiCall) => DateTime.fromSQL(call.end_time, { setZone: true }).toMillis();

export interface PlivoFake extends FakeApi {
  calls: PlivoApiCall[];
  credentials: { authId: string; authToken: string };
  /** The next n requests lose their query string, as plivo-node's retry sends them. */
  dropQuery: number;
}

export async function startPlivoFake(
  calls: PlivoApiCall[] = [],
  credentials = { ...PLIVO_FAKE_CREDENTIALS },
  options: { port?: number; now?: () => number } = {},
): Promise<PlivoFake> {
  const fake = { calls, credentials, dropQuery: 0 } as PlivoFake;
  const now = options.now ?? Date.now;
  const api = await startFakeApi((request) => {
    const basic = basicCredentials(request.headers);
    if (basic === null || basic[0] !== fake.credentials.authId || basic[1] !== fake.credentials.authToken)
      return json(401, { api_id: 'fake', error: 'Authentication credentials invalid' });
    const match = /^\/v1\/Account\/([^/]+)\/Call\/$/.exec(request.path);
    if (request.method !== 'GET' || match === null || match[1] !== fake.credentials.authId)
      return json(404, { api_id: 'fake', error: 'not found' });
    let query = request.query;
    if (fake.dropQuery > 0) {
      fake.dropQuery -= 1;
      query = new URLSearchParams();
    }
    const limit = Number(query.get('limit') ?? 20);
    const offset = Number(query.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 20 || !Number.isInteger(offset) || offset < 0)
      return json(400, { api_id: 'fake', error: 'limit must be 1 to 20, offset ≥ 0' });
    let selected = [...fake.calls];
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (const [name, compare] of FILTERS) {
      const raw = query.get(name);
      if (raw === null) continue;
      const bound = readUtc(raw);
      if (Number.isNaN(bound)) return json(400, { api_id: 'fake', error: `${name}: invalid format` });
      low = Math.min(low, bound);
      high = Math.max(high, bound);
      selected = selected.filter((c) => compare(endedMs(c), bound));
    }
    if (high - low > 30 * DAY_MS)
      return json(400, { api_id: 'fake', error: 'end_time range cannot exceed 30 days' });
    if (low === Number.POSITIVE_INFINITY) selected = selected.filter((c) => endedMs(c) >= now() - 7 * DAY_MS);
    selected.sort((a, b) => endedMs(b) - endedMs(a) || (a.call_uuid < b.call_uuid ? -1 : 1));
    const objects = selected.slice(offset, offset + limit);
    const more = offset + limit < selected.length;
    return json(200, {
      api_id: 'fake-api-id',
      meta: {
        limit,
        next: more
          ? `/v1/Account/${fake.credentials.authId}/Call/?limit=${limit}&offset=${offset + limit}`
          : null,
        offset,
        previous: null,
        total_count: selected.length,
      },
      objects,
    });
  }, options);
  return Object.assign(fake, api);
}

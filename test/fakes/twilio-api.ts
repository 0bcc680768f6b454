/**
 * A local fake of Twilio's list-calls API, as documented (reconcile-apis.md §1; twilio-node
 * `rest/api/v2010/account/call.js`): `GET /2010-04-01/Accounts/{AccountSid}/Calls.json`, HTTP
 * Basic with the Account SID + Auth Token or an API Key SID + secret (401 otherwise, 404 for
 * another account), `EndTime>`/`EndTime<`/`StartTime>`/`StartTime<` filters read as UTC dates
 * (Twilio documents `YYYY-MM-DD`; a time part is cut off), `Status`, `PageSize` ≤ 1000 (default
 * 50), newest first, `next_page_uri` carrying `Page` and `PageToken`. Calls without an end time
 * (busy, failed, canceled) never match an `EndTime` filter. Faults: test/support/fake-api.ts.
 */
import { randomBytes } from 'node:crypto';
import {
  basicCredentials,
  type FakeApi,
  type FakeRequest,
  type FakeResponse,
  json,
  startFakeApi,
} from '../support/fake-api';

export interface TwilioFakeCredentials {
  accountSid: string;
  authToken: string;
  apiKeySid?: string;
  apiKeySecret?: string;
}

export const TWILIO_FAKE_CREDENTIALS: TwilioFakeCredentials = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: 'fake-twilio-auth-token',
  apiKeySid: 'SK0123456789abcdef0123456789abcdef',
  apiKeySecret: 'fake-twilio-api-key-secret',
};

/** RFC 2822 as Twilio writes it: `Tue, 10 Aug 2010 08:02:17 +0000`. */
export const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000');

export interface TwilioCallSpec {
  sid?: string;
  status?: string;
  startTime?: Date | null;
  endTime?: Date | null;
  duration?: number | null;
  from?: string;
  to?: string;
  direction?: string;
  answeredBy?: string | null;
}

export const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;

/** A Call resource as the API returns it (twilio-node `CallInstance` fields, snake_case on the wire). */
export function twilioApiCall(spec: TwilioCallSpec, accountSid = TWILIO_FAKE_CREDENTIALS.accountSid) {
  const sid = spec.sid ?? newCallSid();
  const start = spec.startTime === undefined ? new Date('2026-11-30T10:00:00Z') : spec.startTime;
  const status = spec.status ?? 'completed';
  const end =
    spec.endTime !== undefined
      ? spec.endTime
      : start && status === 'completed'
        ? new Date(start.getTime() + 37_000)
        : null;
  const duration =
    spec.duration !== undefined
      ? spec.duration
      : start && end
        ? Math.round((end.getTime() - start.getTime()) / 1000)
        : 0;
  const created = start ?? new Date('2026-11-30T10:00:00Z');
  return {
    date_updated: rfc2822(end ?? created),
    price_unit: 'USD',
    parent_call_sid: null,
    caller_name: null,
    duration: duration === null ? null : String(duration),
    from: spec.from ?? '+14158675309',
    to: spec.to ?? '+18005551212',
    annotation: null,
    answered_by: spec.answeredBy ?? null,
    sid,
    queue_time: '0',
    price: null,
    api_version: '2010-04-01',
    status,
    direction: spec.direction ?? 'outbound-api',
    start_time: start ? rfc2822(start) : null,
    date_created: rfc2822(created),
    from_formatted: '(415) 867-5309',
    group_sid: null,
    trunk_sid: null,
    forwarded_from: null,
    uri: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`,
    account_sid: accountSid,
    end_time: end ? rfc2822(end) : null,
    to_formatted: '(800) 555-1212',
    phone_number_sid: null,
    subresource_uris: {
      recordings: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}/Recordings.json`,
    },
  };
}

export type TwilioApiCall = ReturnType<typeof twilioApiCall>;

export interface TwilioFake extends FakeApi {
  calls: TwilioApiCall[];
  credentials: TwilioFakeCredentials;
}

const DAY = /^\d{4}-\d{2}-\d{2}/;
/** A filter value as Twilio documents it: a UTC date; a time part (the SDK sends one) is cut off. */
const filterDay = (value: string): string | null => value.match(DAY)?.[0] ?? null;
const dayOf = (rfc: string | null) => (rfc === null ? null : new Date(rfc).toISOString().slice(0, 10));

function listCalls(fake: TwilioFake, request: FakeRequest, accountSid: string): FakeResponse {
  const q = request.query;
  const filters: [string, (call: TwilioApiCall) => string | null, (a: string, b: string) => boolean][] = [
    ['EndTime>', (c) => dayOf(c.end_time), (a, b) => a >= b],
    ['EndTime<', (c) => dayOf(c.end_time), (a, b) => a < b],
    ['StartTime>', (c) => dayOf(c.start_time), (a, b) => a >= b],
    ['StartTime<', (c) => dayOf(c.start_time), (a, b) => a < b],
  ];
  let calls = fake.calls.filter((c) => c.account_sid === accountSid);
  for (const [name, read, compare] of filters) {
    const raw = q.get(name);
    if (raw === null) continue;
    const day = filterDay(raw);
    if (day === null) return json(400, { code: 20001, message: `Invalid ${name}`, status: 400 });
    calls = calls.filter((c) => {
      const value = read(c);
      return value !== null && compare(value, day);
    });
  }
  const status = q.get('Status');
  if (status !== null) calls = calls.filter((c) => c.status === status);
  calls.sort((a, b) => Date.parse(b.date_created) - Date.parse(a.date_created) || (a.sid < b.sid ? -1 : 1));
  const pageSize = Math.min(1000, Math.max(1, Number(q.get('PageSize') ?? 50) || 50));
  const page = Number(q.get('Page') ?? 0) || 0;
  const token = q.get('PageToken');
  const offset = token === null ? page * pageSize : Number(token.replace(/^PA/, ''));
  const slice = calls.slice(offset, offset + pageSize);
  const base = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
  const uriOf = (p: number, off: number | null) => {
    const params = new URLSearchParams();
    for (const [key, value] of q)
      if (!['Page', 'PageToken', 'PageSize'].includes(key)) params.append(key, value);
    params.set('PageSize', String(pageSize));
    params.set('Page', String(p));
    if (off !== null) params.set('PageToken', `PA${off}`);
    return `${base}?${params}`;
  };
  const hasNext = offset + pageSize < calls.length;
  return json(200, {
    calls: slice,
    end: offset + slice.length - 1,
    first_page_uri: uriOf(0, null),
    next_page_uri: hasNext ? uriOf(page + 1, offset + pageSize) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? uriOf(page - 1, Math.max(0, offset - pageSize)) : null,
    start: offset,
    uri: uriOf(page, token === null ? null : offset),
  });
}

export async function startTwilioFake(
  calls: TwilioApiCall[] = [],
  credentials: TwilioFakeCredentials = TWILIO_FAKE_CREDENTIALS,
  options: { port?: number } = {},
): Promise<TwilioFake> {
  // A copy: a test may change the fake's credentials (a rotation) without changing the client's.
  credentials = { ...credentials };
  const fake = { calls, credentials } as TwilioFake;
  const api = await startFakeApi((request) => {
    const match = request.path.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/);
    if (request.method !== 'GET' || !match)
      return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    const auth = basicCredentials(request.headers);
    const ok =
      auth !== null &&
      ((auth[0] === credentials.accountSid && auth[1] === credentials.authToken) ||
        (credentials.apiKeySid !== undefined &&
          auth[0] === credentials.apiKeySid &&
          auth[1] === credentials.apiKeySecret));
    if (!ok)
      return json(401, {
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
    if (match[1] !== credentials.accountSid)
      return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    return listCalls(fake, request, match[1]);
  }, options);
  return Object.assign(fake, api);
}

/** `count` ended calls spread evenly over [since, until): the bench's and the walkthrough's data. */
export function seedTwilioCalls(count: number, since: Date, until: Date): TwilioApiCall[] {
  const span = until.getTime() - since.getTime();
  const statuses = ['completed', 'completed', 'completed', 'busy', 'no-answer', 'failed', 'canceled'];
  return Array.from({ length: count }, (_, i) => {
    const end = new Date(since.getTime() + Math.floor(((i + 0.5) * span) / count));
    const status = statuses[i % statuses.length] as string;
    const answered = status === 'completed';
    return twilioApiCall({
      sid: `CA${i.toString(16).padStart(32, '0')}`,
      status,
      startTime: new Date(end.getTime() - (answered ? 60_000 : 5_000)),
      endTime: answered ? end : null,
      duration: answered ? 60 : 0,
      to: `+1415555${String(i % 10_000).padStart(4, '0')}`,
    });
  });
}

/**
 * A local fake of Retell's call API, as documented (reconcile-apis.md §8; retell-sdk
 * `src/resources/call.ts`): `POST /v3/list-calls` with `filter_criteria.end_timestamp` (epoch ms,
 * `{type:'range', op:'bt', value:[lo, hi]}` inclusive, or `{type:'number', op, value}`),
 * `sort_order` by `start_timestamp` (default descending), `limit` ≤ 1000 (default 50),
 * `pagination_key` + `has_more`; the v3 items omit `transcript`, `transcript_object` and
 * `transcript_with_tool_calls`. `GET /v2/get-call/{call_id}` returns the whole call. Bearer API key
 * (401 otherwise). Faults: test/support/fake-api.ts.
 */
import { bearer, type FakeApi, type FakeResponse, json, startFakeApi } from '../support/fake-api';

export const RETELL_FAKE_API_KEY = 'key_fake_retell_api';

export type RetellApiCall = Record<string, unknown> & { call_id: string; call_status: string };

/** A phone call as get-call returns it (the webhook's `call` object). */
export function retellApiCall(
  spec: Partial<RetellApiCall> & { call_id: string; end_timestamp?: number | null },
): RetellApiCall {
  const end = spec.end_timestamp ?? 1_764_500_000_000;
  return {
    call_type: 'phone_call',
    from_number: '+12137771234',
    to_number: '+12137771235',
    direction: 'outbound',
    agent_id: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD',
    call_status: 'ended',
    start_timestamp: end - 60_000,
    end_timestamp: end,
    duration_ms: 60_000,
    disconnection_reason: 'user_hangup',
    transcript: 'Agent: hi how are you doing?\nUser: Doing pretty well.',
    transcript_object: [],
    recording_url: 'https://retellai.s3.us-west-2.amazonaws.com/recording.wav',
    call_analysis: { call_summary: 'A short call.', user_sentiment: 'Positive', call_successful: true },
    ...spec,
  } as RetellApiCall;
}

const OMITTED_FROM_LIST = ['transcript', 'transcript_object', 'transcript_with_tool_calls'];

type Condition = { type?: string; op?: string; value?: unknown };

function matches(value: unknown, condition: Condition | undefined): boolean | null {
  if (condition === undefined) return true;
  if (typeof value !== 'number') return false;
  if (condition.type === 'range' && condition.op === 'bt' && Array.isArray(condition.value)) {
    const [lo, hi] = condition.value as number[];
    return typeof lo === 'number' && typeof hi === 'number' ? value >= lo && value <= hi : null;
  }
  if (condition.type === 'number' && typeof condition.value === 'number') {
    const v = condition.value;
    const ops: Record<string, boolean> = {
      gt: value > v,
      ge: value >= v,
      lt: value < v,
      le: value <= v,
      eq: value === v,
      ne: value !== v,
    };
    return condition.op !== undefined && condition.op in ops ? (ops[condition.op] as boolean) : null;
  }
  return null;
}

export interface RetellFake extends FakeApi {
  calls: RetellApiCall[];
}

export async function startRetellFake(
  calls: RetellApiCall[] = [],
  apiKey = RETELL_FAKE_API_KEY,
  options: { port?: number } = {},
): Promise<RetellFake> {
  const fake = { calls } as RetellFake;
  const api = await startFakeApi((request): FakeResponse => {
    if (bearer(request.headers) !== apiKey) return json(401, { status: 'error', message: 'Unauthorized' });
    const get = request.path.match(/^\/v2\/get-call\/([^/]+)$/);
    if (request.method === 'GET' && get) {
      const call = fake.calls.find((c) => c.call_id === decodeURIComponent(get[1] as string));
      return call ? json(200, call) : json(404, { status: 'error', message: 'Not Found' });
    }
    if (request.method !== 'POST' || request.path !== '/v3/list-calls')
      return json(404, { status: 'error', message: 'Not Found' });
    let body: {
      filter_criteria?: Record<string, Condition>;
      sort_order?: string;
      limit?: number;
      pagination_key?: string;
    };
    try {
      body = JSON.parse(request.body || '{}');
    } catch {
      return json(400, { status: 'error', message: 'Invalid JSON' });
    }
    const limit = body.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return json(400, { status: 'error', message: 'limit must be 1-1000' });
    let selected = [...fake.calls];
    for (const field of ['end_timestamp', 'start_timestamp']) {
      const condition = body.filter_criteria?.[field];
      if (selected.some((c) => matches(c[field], condition) === null))
        return json(400, { status: 'error', message: `bad ${field} filter` });
      selected = selected.filter((c) => matches(c[field], condition) === true);
    }
    const sign = body.sort_order === 'ascending' ? 1 : -1;
    selected.sort(
      (a, b) =>
        sign * ((a.start_timestamp as number) - (b.start_timestamp as number)) ||
        (a.call_id < b.call_id ? -1 : 1),
    );
    const offset =
      body.pagination_key === undefined
        ? 0
        : Number(Buffer.from(body.pagination_key, 'base64url').toString());
    const items = selected
      .slice(offset, offset + limit)
      .map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => !OMITTED_FROM_LIST.includes(k))));
    const more = offset + limit < selected.length;
    return json(200, {
      items,
      has_more: more,
      ...(more && { pagination_key: Buffer.from(String(offset + limit)).toString('base64url') }),
    });
  }, options);
  return Object.assign(fake, api);
}

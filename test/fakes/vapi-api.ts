/**
 * A local fake of Vapi's list-calls API, as documented (reconcile-apis.md §9; @vapi-ai/server-sdk
 * `requests/ListCallsRequest.d.ts`): `GET /call` with `createdAt{Gt,Ge,Lt,Le}` /
 * `updatedAt{Gt,Ge,Lt,Le}` and `limit` (default 100; the maximum is undocumented, 1000 here), a bare
 * array newest first by `createdAt`, no cursor. Bearer private API key (401 otherwise). Faults:
 * test/support/fake-api.ts.
 */
import { bearer, type FakeApi, json, startFakeApi } from '../support/fake-api';

export const VAPI_FAKE_API_KEY = 'fake-vapi-private-key';

export type VapiApiCall = Record<string, unknown> & {
  id: string;
  status: string;
  createdAt: string;
  updatedAt: string;
};

/** An ended outbound phone call as `GET /call` returns it (SDK `Call` fields). */
export function vapiApiCall(spec: Partial<VapiApiCall> & { id: string; endedAt?: string }): VapiApiCall {
  const ended = spec.endedAt ?? '2026-11-30T10:01:00.000Z';
  const started = new Date(Date.parse(ended) - 60_000).toISOString();
  return {
    orgId: 'org-fake',
    type: 'outboundPhoneCall',
    status: 'ended',
    endedReason: 'customer-ended-call',
    createdAt: started,
    updatedAt: new Date(Date.parse(ended) + 2_000).toISOString(),
    startedAt: started,
    endedAt: ended,
    assistantId: 'asst-fake',
    phoneNumberId: 'pn-fake',
    phoneNumber: { twilioPhoneNumber: '+14155550100' },
    customer: { number: '+14155550123' },
    cost: 0.12,
    artifact: { transcript: 'AI: Hello.\nUser: Hi.', recordingUrl: 'https://storage.vapi.ai/recording.wav' },
    analysis: { summary: 'A short call.' },
    ...spec,
  } as VapiApiCall;
}

const FILTERS: [string, 'createdAt' | 'updatedAt', (a: number, b: number) => boolean][] = [
  ['createdAtGt', 'createdAt', (a, b) => a > b],
  ['createdAtGe', 'createdAt', (a, b) => a >= b],
  ['createdAtLt', 'createdAt', (a, b) => a < b],
  ['createdAtLe', 'createdAt', (a, b) => a <= b],
  ['updatedAtGt', 'updatedAt', (a, b) => a > b],
  ['updatedAtGe', 'updatedAt', (a, b) => a >= b],
  ['updatedAtLt', 'updatedAt', (a, b) => a < b],
  ['updatedAtLe', 'updatedAt', (a, b) => a <= b],
];

export interface VapiFake extends FakeApi {
  calls: VapiApiCall[];
}

export async function startVapiFake(
  calls: VapiApiCall[] = [],
  apiKey = VAPI_FAKE_API_KEY,
  options: { port?: number } = {},
): Promise<VapiFake> {
  const fake = { calls } as VapiFake;
  const api = await startFakeApi((request) => {
    if (bearer(request.headers) !== apiKey)
      return json(401, {
        message:
          'Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.',
        statusCode: 401,
      });
    if (request.method !== 'GET' || request.path !== '/call')
      return json(404, { message: 'Not Found', statusCode: 404 });
    const limit = Number(request.query.get('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return json(400, { message: ['limit must not be greater than 1000'], statusCode: 400 });
    let selected = [...fake.calls];
    for (const [name, field, compare] of FILTERS) {
      const raw = request.query.get(name);
      if (raw === null) continue;
      const bound = Date.parse(raw);
      if (Number.isNaN(bound))
        return json(400, { message: [`${name} must be a valid ISO 8601 date string`], statusCode: 400 });
      selected = selected.filter((c) => compare(Date.parse(c[field]), bound));
    }
    selected.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? -1 : 1));
    return json(200, selected.slice(0, limit));
  }, options);
  return Object.assign(fake, api);
}

/**
 * Each provider's lister and client against a local fake of its documented API (test/fakes/),
 * through the production client (lib/providers/api.ts) over real HTTP: pagination, the window,
 * authentication, 429 with Retry-After, a malformed page, a call without an id, an empty page.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiAuthError,
  type ApiCall,
  ApiRateLimitError,
  ApiResponseError,
  createApiClient,
  type ProviderApi,
} from '../../lib/providers/api';
import { bandwidthV2Api } from '../../lib/providers/bandwidth-v2/api';
import { retellApi } from '../../lib/providers/retell/api';
import { telnyxApi } from '../../lib/providers/telnyx/api';
import { twilioApi } from '../../lib/providers/twilio/api';
import { vapiApi } from '../../lib/providers/vapi/api';
import {
  BANDWIDTH_V2_FAKE_CREDENTIALS,
  bandwidthV2ApiCall,
  startBandwidthV2Fake,
} from '../fakes/bandwidth-v2-api';
import { RETELL_FAKE_API_KEY, retellApiCall, startRetellFake } from '../fakes/retell-api';
import { startTelnyxFake, TELNYX_FAKE_API_KEY, telnyxDetailRecord } from '../fakes/telnyx-api';
import { startTwilioFake, TWILIO_FAKE_CREDENTIALS, twilioApiCall } from '../fakes/twilio-api';
import { startVapiFake, VAPI_FAKE_API_KEY, vapiApiCall } from '../fakes/vapi-api';
import type { FakeApi } from '../support/fake-api';

const WINDOW = { since: new Date('2026-11-30T10:00:00Z'), until: new Date('2026-11-30T11:00:00Z') };
const at = (minute: number) => new Date(WINDOW.since.getTime() + minute * 60_000);

let fakes: FakeApi[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

async function listAll<C>(
  api: ProviderApi<C>,
  fake: FakeApi,
  credentials: C,
  options: { sleeps?: number[] } = {},
) {
  const client = createApiClient({
    provider: api.name,
    baseUrl: fake.url,
    authorization: api.authorization(credentials),
    credentialSource: `${api.name.toUpperCase()}_API_CREDENTIALS`,
    maxAttempts: 4,
    sleep: async (ms) => {
      options.sleeps?.push(ms);
    },
  });
  const calls: ApiCall[] = [];
  for await (const page of api.listCalls(client, credentials, WINDOW)) calls.push(...page);
  return { calls, client };
}

const twilioCredentials = twilioApi.parseCredentials(TWILIO_FAKE_CREDENTIALS, 'TWILIO_API_CREDENTIALS');

describe('twilio lister', () => {
  it('walks every page of both listings and keeps exactly the calls of the window', async () => {
    // Prepare: 2,100 completed calls in the window (three pages of 1000), a failed call without an
    // end time that started in it, one that ended before it, one still in progress.
    const inWindow = Array.from({ length: 2100 }, (_, i) =>
      twilioApiCall({ startTime: at(i / 40), endTime: at(i / 40 + 0.5) }),
    );
    const failed = twilioApiCall({ status: 'failed', startTime: at(5), endTime: null, duration: 0 });
    const before = twilioApiCall({ startTime: at(-30), endTime: at(-20) });
    const live = twilioApiCall({ status: 'in-progress', startTime: at(50), endTime: null });
    const fake = await startTwilioFake([...inWindow, failed, before, live]);
    fakes.push(fake);

    // Act
    const { calls, client } = await listAll(twilioApi, fake, twilioCredentials);

    // Assess
    const ids = calls.filter((c) => c.ended).map((c) => c.callId);
    expect(new Set(ids)).toEqual(new Set([...inWindow, failed].map((c) => c.sid)));
    expect(calls.find((c) => c.callId === live.sid)?.ended).toBe(false);
    expect(fake.requests.every((r) => r.headers.authorization?.startsWith('Basic '))).toBe(true);
    expect(fake.requests[0]?.query.get('EndTime>')).toBe('2026-11-30');
    expect(fake.requests[0]?.query.get('PageSize')).toBe('1000');
    expect(client.stats.requests).toBe(fake.requests.length);
    // The stored body is the call's exact JSON text in the page.
    const one = calls.find((c) => c.callId === failed.sid);
    expect(JSON.parse(one?.body ?? '')).toEqual(failed);
  });

  it('accepts an API key instead of the Auth Token', async () => {
    const fake = await startTwilioFake([twilioApiCall({ startTime: at(1), endTime: at(2) })]);
    fakes.push(fake);
    const { apiKeySid, apiKeySecret, accountSid } = TWILIO_FAKE_CREDENTIALS;
    const credentials = twilioApi.parseCredentials({ accountSid, apiKeySid, apiKeySecret }, 'X');
    expect((await listAll(twilioApi, fake, credentials)).calls).toHaveLength(1);
  });

  it('an empty account lists nothing', async () => {
    const fake = await startTwilioFake([]);
    fakes.push(fake);
    expect((await listAll(twilioApi, fake, twilioCredentials)).calls).toEqual([]);
  });
});

describe('retell lister', () => {
  it('pages with pagination_key over the end_timestamp range and fetches a missing call whole', async () => {
    const inWindow = Array.from({ length: 1500 }, (_, i) =>
      retellApiCall({ call_id: `call_${i}`, end_timestamp: at(i / 30).getTime() }),
    );
    const outside = retellApiCall({ call_id: 'call_late', end_timestamp: at(61).getTime() });
    const fake = await startRetellFake([...inWindow, outside]);
    fakes.push(fake);
    const credentials = retellApi.parseCredentials({ apiKey: RETELL_FAKE_API_KEY }, 'RETELL_API_CREDENTIALS');

    const { calls, client } = await listAll(retellApi, fake, credentials);

    expect(calls.map((c) => c.callId).sort()).toEqual(inWindow.map((c) => c.call_id).sort());
    expect(fake.requests.filter((r) => r.path === '/v3/list-calls')).toHaveLength(2);
    const listed = calls[0] as ApiCall;
    expect(JSON.parse(listed.body).transcript).toBeUndefined();
    const full = await retellApi.completeCall?.(client, credentials, listed);
    expect(JSON.parse(full?.body ?? '{}').transcript).toContain('Doing pretty well');
  });
});

describe('vapi lister', () => {
  it('pages by time without a cursor: a full page is split until every slice fits', async () => {
    const inWindow = Array.from({ length: 2500 }, (_, i) =>
      vapiApiCall({ id: `call-${i}`, endedAt: at(i / 50).toISOString() }),
    );
    const fake = await startVapiFake(inWindow);
    fakes.push(fake);
    const credentials = vapiApi.parseCredentials({ apiKey: VAPI_FAKE_API_KEY }, 'VAPI_API_CREDENTIALS');

    const { calls } = await listAll(vapiApi, fake, credentials);

    const ids = calls.map((c) => c.callId);
    expect(new Set(ids)).toEqual(new Set(inWindow.map((c) => c.id)));
    expect(fake.requests.every((r) => r.query.get('limit') === '1000')).toBe(true);
  });
});

describe('bandwidth-v2 lister', () => {
  const credentials = bandwidthV2Api.parseCredentials(BANDWIDTH_V2_FAKE_CREDENTIALS, 'X');

  it('lists by start time from the longest call before the window, follows Link, keeps calls that ended in it', async () => {
    const inWindow = Array.from({ length: 2100 }, (_, i) =>
      bandwidthV2ApiCall({ callId: `c-in-${i}`, endedAt: at(i / 40) }),
    );
    // Started 10 h before the window, ended in it; ended before it; still live.
    const long = bandwidthV2ApiCall({ callId: 'c-long', endedAt: at(30), seconds: 10.5 * 3600 });
    const before = bandwidthV2ApiCall({ callId: 'c-before', endedAt: at(-1) });
    const live = bandwidthV2ApiCall({ callId: 'c-live', endedAt: at(50), state: 'answered', endTime: null });
    const fake = await startBandwidthV2Fake([...inWindow, long, before, live]);
    fakes.push(fake);

    const { calls } = await listAll(bandwidthV2Api, fake, credentials);

    const ended = calls.filter((c) => c.ended).map((c) => c.callId);
    expect(new Set(ended)).toEqual(new Set([...inWindow.map((c) => c.callId), 'c-long']));
    expect(ended).not.toContain('c-live');
    expect(fake.requests[0]?.path).toBe('/accounts/9900000/calls');
    expect(fake.requests[0]?.query.get('minStartTime')).toBe('2026-11-29T10:00:00.000Z');
    expect(fake.requests[0]?.query.get('maxStartTime')).toBe(WINDOW.until.toISOString());
    expect(fake.requests.map((r) => r.query.get('pageToken'))).toEqual([null, '1000', '2000']);
    expect(JSON.parse(calls.find((c) => c.callId === 'c-long')?.body ?? '')).toEqual(long);
  });

  it('an empty page ends the listing; a Link to anywhere else is refused', async () => {
    const fake = await startBandwidthV2Fake([]);
    fakes.push(fake);
    expect((await listAll(bandwidthV2Api, fake, credentials)).calls).toEqual([]);
    const elsewhere = await startBandwidthV2Fake([bandwidthV2ApiCall({ callId: 'c-1', endedAt: at(1) })]);
    fakes.push(elsewhere);
    const client = createApiClient({
      provider: 'bandwidth-v2',
      baseUrl: elsewhere.url,
      authorization: bandwidthV2Api.authorization(credentials),
      credentialSource: 'X',
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        const headers = new Headers(response.headers);
        headers.set('link', '<https://attacker.example/accounts/9900000/calls?pageToken=1>; rel="next"');
        return new Response(await response.text(), { status: response.status, headers });
      },
    });
    const pages = bandwidthV2Api.listCalls(client, credentials, WINDOW)[Symbol.asyncIterator]();
    expect((await pages.next()).value).toHaveLength(1);
    await expect(pages.next()).rejects.toThrow(/links to another list/);
  });
});

describe('telnyx lister', () => {
  const credentials = telnyxApi.parseCredentials({ apiKey: TELNYX_FAKE_API_KEY }, 'X');

  it('pages call-control detail records by page[number] over finished_at; a record without a leg is unmatched', async () => {
    const inWindow = Array.from({ length: 120 }, (_, i) =>
      telnyxDetailRecord({ id: `r-${i}`, endedAt: at(i / 3) }),
    );
    const noLeg = telnyxDetailRecord({ id: 'r-no-leg', leg: null, endedAt: at(59) });
    const late = telnyxDetailRecord({ id: 'r-late', endedAt: at(61) });
    const fake = await startTelnyxFake([...inWindow, noLeg, late]);
    fakes.push(fake);

    const { calls } = await listAll(telnyxApi, fake, credentials);

    expect(calls.filter((c) => !c.unmatched).map((c) => c.callId)).toEqual(
      inWindow.map((r) => `leg-${r.id}`),
    );
    expect(calls.filter((c) => c.unmatched).map((c) => c.callId)).toEqual(['unmatched:r-no-leg']);
    expect(fake.requests.map((r) => r.query.get('page[number]'))).toEqual(['1', '2', '3']);
    expect(fake.requests[0]?.query.get('filter[record_type]')).toBe('call-control');
    expect(fake.requests[0]?.query.get('filter[finished_at][gte]')).toBe(WINDOW.since.toISOString());
    expect(fake.requests[0]?.query.get('filter[finished_at][lt]')).toBe(WINDOW.until.toISOString());
    expect(fake.requests[0]?.query.get('page[size]')).toBe('50');
  });

  it('an empty page ends the listing', async () => {
    const fake = await startTelnyxFake([]);
    fakes.push(fake);
    expect((await listAll(telnyxApi, fake, credentials)).calls).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('every lister, on bad answers', () => {
  const cases = [
    {
      name: 'twilio',
      start: () => startTwilioFake([twilioApiCall({ startTime: at(1), endTime: at(2) })]),
      api: twilioApi as ProviderApi<unknown>,
      credentials: twilioCredentials as unknown,
      wrong: twilioApi.parseCredentials(
        { accountSid: TWILIO_FAKE_CREDENTIALS.accountSid, authToken: 'wrong' },
        'X',
      ) as unknown,
      withoutId: JSON.stringify({
        calls: [{ ...twilioApiCall({ startTime: at(1), endTime: at(2) }), sid: null }],
        next_page_uri: null,
      }),
    },
    {
      name: 'retell',
      start: () => startRetellFake([retellApiCall({ call_id: 'call_1', end_timestamp: at(1).getTime() })]),
      api: retellApi as ProviderApi<unknown>,
      credentials: { apiKey: RETELL_FAKE_API_KEY } as unknown,
      wrong: { apiKey: 'wrong' } as unknown,
      withoutId: JSON.stringify({ items: [{ call_status: 'ended' }], has_more: false }),
    },
    {
      name: 'vapi',
      start: () => startVapiFake([vapiApiCall({ id: 'call-1', endedAt: at(1).toISOString() })]),
      api: vapiApi as ProviderApi<unknown>,
      credentials: { apiKey: VAPI_FAKE_API_KEY } as unknown,
      wrong: { apiKey: 'wrong' } as unknown,
      withoutId: JSON.stringify([{ status: 'ended', updatedAt: at(2).toISOString() }]),
    },
    {
      name: 'bandwidth-v2',
      start: () => startBandwidthV2Fake([bandwidthV2ApiCall({ callId: 'c-1', endedAt: at(1) })]),
      api: bandwidthV2Api as ProviderApi<unknown>,
      credentials: bandwidthV2Api.parseCredentials(BANDWIDTH_V2_FAKE_CREDENTIALS, 'X') as unknown,
      wrong: { ...BANDWIDTH_V2_FAKE_CREDENTIALS, password: 'wrong' } as unknown,
      withoutId: JSON.stringify([{ state: 'disconnected', endTime: at(2).toISOString() }]),
    },
    {
      name: 'telnyx',
      start: () => startTelnyxFake([telnyxDetailRecord({ id: 'r-1', endedAt: at(1) })]),
      api: telnyxApi as ProviderApi<unknown>,
      credentials: { apiKey: TELNYX_FAKE_API_KEY } as unknown,
      wrong: { apiKey: 'wrong' } as unknown,
      // A record without a leg is counted, not refused (above); one that is not an object is refused.
      withoutId: JSON.stringify({ data: [42], meta: { page_number: 1, total_pages: 1 } }),
    },
  ];

  for (const c of cases) {
    it(`${c.name}: 401 is one line naming where the credential came from`, async () => {
      const fake = await c.start();
      fakes.push(fake);
      const error = await listAll(c.api, fake, c.wrong).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiAuthError);
      expect((error as Error).message).toBe(
        `${c.name} API answered 401: the credentials in ${c.name.toUpperCase()}_API_CREDENTIALS were refused`,
      );
      expect(fake.requests).toHaveLength(1);
    });

    it(`${c.name}: waits as 429's Retry-After says, then goes on`, async () => {
      const fake = await c.start();
      fakes.push(fake);
      fake.faults.rateLimit = { count: 2, retryAfter: '3' };
      const sleeps: number[] = [];
      const { calls } = await listAll(c.api, fake, c.credentials, { sleeps });
      expect(sleeps.slice(0, 2)).toEqual([3000, 3000]);
      expect(calls.length).toBeGreaterThan(0);
    });

    it(`${c.name}: a 429 storm ends the listing with a rate-limit error`, async () => {
      const fake = await c.start();
      fakes.push(fake);
      fake.faults.rateLimit = { count: 100, retryAfter: '1' };
      await expect(listAll(c.api, fake, c.credentials)).rejects.toBeInstanceOf(ApiRateLimitError);
    });

    it(`${c.name}: a malformed page and a call without an id are refused`, async () => {
      const fake = await c.start();
      fakes.push(fake);
      fake.faults.malformed = '{"calls": [ {"sid": "CA1"';
      await expect(listAll(c.api, fake, c.credentials)).rejects.toBeInstanceOf(ApiResponseError);
      fake.faults.malformed = c.withoutId;
      await expect(listAll(c.api, fake, c.credentials)).rejects.toThrow(/no valid/);
    });
  }
});

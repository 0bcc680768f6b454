/**
 * Reconciliation of Bandwidth v2 and Telnyx end to end on the local stack (real webhook handlers and
 * consumer, fauxqs + dynalite with the real SDK, `npm run backfill` in-process against each fake):
 * calls A and B had their end webhooks; C's were never sent; D got only its non-terminal ones. Then
 * each provider's own trap: Bandwidth v2 lists by start time and keeps 7 days; Telnyx's detail
 * records may lack the leg id our records key by.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCall, getRawDeliveries, listCalls } from '../../lib/calls/query';
import type { QueuePoller } from '../../lib/local/poller';
import { replayCalls } from '../../lib/ops/replay';
import type { ProviderApi } from '../../lib/providers/api';
import { bandwidthV2Api } from '../../lib/providers/bandwidth-v2/api';
import { bandwidthV2Ingress } from '../../lib/providers/bandwidth-v2/ingress';
import { normalizers } from '../../lib/providers/registry';
import { telnyxApi } from '../../lib/providers/telnyx/api';
import { telnyxIngress } from '../../lib/providers/telnyx/ingress';
import type { ProviderIngress } from '../../lib/providers/types';
import { buildEnqueue } from '../../lib/queue';
import { createReconcileJob } from '../../lib/reconcile-job';
import {
  BANDWIDTH_V2_FAKE_CREDENTIALS,
  type BandwidthV2Fake,
  bandwidthV2ApiCall,
  startBandwidthV2Fake,
} from '../fakes/bandwidth-v2-api';
import {
  startTelnyxFake,
  TELNYX_FAKE_API_KEY,
  type TelnyxFake,
  telnyxDetailRecord,
} from '../fakes/telnyx-api';
import { fixture } from '../fixtures';
import { runBackfill } from '../support/backfill';
import { BANDWIDTH_V2_SECRETS, bandwidthV2Request, TELNYX_SECRETS, telnyxRequest } from '../support/carriers';
import type { FakeApi } from '../support/fake-api';
import { startTestStack, type TestStack } from '../support/stack';

const NOW = Date.now();
const START = new Date(NOW - 2 * 3_600_000);
const minute = (m: number) => new Date(START.getTime() + m * 60_000);
const SINCE = minute(-60);
/** When call i (A, B, C, D) ended; each lasted 60 s from its answer. */
const endOf = (i: number) => minute(i * 10 + 1);

/** What differs per provider: its webhooks, its fake, its credential, its API's view of a call. */
interface Carrier {
  provider: string;
  api: ProviderApi<unknown>;
  ids: [string, string, string, string];
  ingress: ProviderIngress;
  secrets: readonly string[];
  request(body: string): APIGatewayProxyEventV2;
  /** The end-of-call webhook of `id`, answered, ended at `ended`, from `from`. */
  ended(id: string, ended: Date, from?: string): string;
  /** The webhooks of `id` before it ended. */
  progress(id: string, at: Date): string[];
  startFake(): Promise<FakeApi>;
  env(fake: FakeApi): Record<string, string>;
  wrongCredentials(fake: FakeApi): void;
  malformedPage: string;
  /** C as only the API knows it. */
  fromApi: Record<string, unknown>;
  webhookFrom: string;
}

const bandwidthBody = (step: string, callId: string, changes: Record<string, unknown>) =>
  JSON.stringify({ ...fixture('bandwidth-v2', step), callId, ...changes });

const telnyxBody = (step: string, leg: string, at: Date, payload: Record<string, unknown> = {}) => {
  const body = fixture<{ data: { occurred_at: string; payload: Record<string, unknown> } }>('telnyx', step);
  body.data.occurred_at = at.toISOString();
  Object.assign(body.data.payload, { call_leg_id: leg }, payload);
  return JSON.stringify(body);
};

const CARRIERS: Carrier[] = [
  {
    provider: 'bandwidth-v2',
    api: bandwidthV2Api as ProviderApi<unknown>,
    ids: ['c-aaaa-1', 'c-bbbb-2', 'c-cccc-3', 'c-dddd-4'],
    ingress: bandwidthV2Ingress,
    secrets: BANDWIDTH_V2_SECRETS,
    request: (body) => bandwidthV2Request(body),
    ended: (callId, ended, from = '+15551112222') =>
      bandwidthBody('disconnect', callId, {
        startTime: new Date(ended.getTime() - 65_000).toISOString(),
        answerTime: new Date(ended.getTime() - 61_000).toISOString(),
        endTime: ended.toISOString(),
        eventTime: ended.toISOString(),
        cause: 'hangup',
        from,
        errorMessage: null,
        errorId: null,
      }),
    progress: (callId, at) => [
      bandwidthBody('initiate', callId, { eventTime: at.toISOString(), startTime: at.toISOString() }),
      bandwidthBody('answer', callId, { eventTime: at.toISOString(), answerTime: at.toISOString() }),
    ],
    startFake: () =>
      startBandwidthV2Fake(
        CARRIERS[0]?.ids.map((callId, i) => bandwidthV2ApiCall({ callId, endedAt: endOf(i) })) ?? [],
      ),
    env: (fake) => ({
      BANDWIDTH_V2_API_BASE_URL: fake.url,
      BANDWIDTH_V2_API_CREDENTIALS: JSON.stringify(BANDWIDTH_V2_FAKE_CREDENTIALS),
    }),
    wrongCredentials: (fake) => {
      (fake as BandwidthV2Fake).credentials.password = 'rotated';
    },
    malformedPage: '[{"callId": ',
    fromApi: {
      from: '+19195554321',
      to: '+19195551234',
      direction: 'outbound',
      outcome: 'completed',
      hangupCause: 'hangup',
      details: { accountId: BANDWIDTH_V2_FAKE_CREDENTIALS.accountId },
    },
    webhookFrom: '+15551112222',
  },
  {
    provider: 'telnyx',
    api: telnyxApi as ProviderApi<unknown>,
    ids: [
      '11111111-7af4-4bcb-b7f5-5013ef9657c1',
      '22222222-7af4-4bcb-b7f5-5013ef9657c1',
      '33333333-7af4-4bcb-b7f5-5013ef9657c1',
      '44444444-7af4-4bcb-b7f5-5013ef9657c1',
    ],
    ingress: telnyxIngress,
    secrets: TELNYX_SECRETS,
    request: (body) => telnyxRequest(body),
    ended: (leg, ended, from = '+35319605860') =>
      telnyxBody('call-hangup', leg, ended, {
        start_time: new Date(ended.getTime() - 64_000).toISOString(),
        end_time: ended.toISOString(),
        from,
      }),
    progress: (leg, at) => [telnyxBody('call-initiated', leg, at), telnyxBody('call-answered', leg, at)],
    startFake: () =>
      startTelnyxFake(
        CARRIERS[1]?.ids.map((leg, i) => telnyxDetailRecord({ id: `record-${i}`, leg, endedAt: endOf(i) })) ??
          [],
      ),
    env: (fake) => ({
      TELNYX_API_BASE_URL: fake.url,
      TELNYX_API_CREDENTIALS: JSON.stringify({ apiKey: TELNYX_FAKE_API_KEY }),
    }),
    wrongCredentials: (fake) => {
      (fake as TelnyxFake).apiKey = 'KEYrotated';
    },
    malformedPage: '{"data": [{"telnyx_leg_id": ',
    fromApi: {
      from: '+13129457420',
      to: '+35319605860',
      direction: 'outbound',
      outcome: 'completed',
      hangupCause: 'normal_clearing',
      details: { product: 'call-control', callSessionId: 'session-record-2' },
    },
    webhookFrom: '+35319605860',
  },
];

let stack: TestStack;
let poller: QueuePoller;
let fake: FakeApi;
afterEach(async () => {
  await fake.close();
  await stack.stop();
});

describe.each(CARRIERS)('$provider: backfill and the reconciler against the fake API', (carrier) => {
  const [A, B, C, D] = carrier.ids;
  let handler: ReturnType<TestStack['webhookHandler']>;
  beforeEach(async () => {
    stack = await startTestStack();
    handler = stack.webhookHandler(carrier.ingress, [...carrier.secrets]);
    poller = await stack.startPoller();
    fake = await carrier.startFake();
  });
  const reader = () => ({ store: stack.store, normalizers });
  const backfill = (...extra: string[]) =>
    runBackfill(
      stack,
      poller,
      ['--provider', carrier.provider, '--since', SINCE.toISOString(), ...extra],
      carrier.env(fake),
    );
  const send = async (body: string) => {
    expect((await handler(carrier.request(body))).statusCode).toBe(200);
  };
  const unmatched = (n: number) => (carrier.api.reportsUnmatched ? `, unmatched ${n}` : '');

  it('fills in C and D, leaves A and B alone, converges with a late webhook and replays exactly', async () => {
    // Prepare: A and B ended through their webhooks; D only sent what comes before the end.
    await send(carrier.ended(A, endOf(0)));
    await send(carrier.ended(B, endOf(1)));
    for (const body of carrier.progress(D, minute(30))) await send(body);
    await poller.drain();
    const before = [
      await stack.store.getRecord(carrier.provider, A),
      await stack.store.getRecord(carrier.provider, B),
    ];
    expect(await stack.store.getRecord(carrier.provider, D)).toBeNull();

    // Act
    const first = await backfill();

    // Assess: C and D recorded from the API, A and B untouched, nothing doubled.
    expect(first).toMatchObject({
      code: 0,
      out: `${carrier.provider}: listed 4, already recorded 2, enqueued 2, failed 0${unmatched(0)}\n`,
    });
    expect([
      await stack.store.getRecord(carrier.provider, A),
      await stack.store.getRecord(carrier.provider, B),
    ]).toEqual(before);
    expect(await getCall(reader(), carrier.provider, C)).toMatchObject({
      callId: C,
      sources: ['api'],
      endedAt: endOf(2).toISOString(),
      durationSeconds: 60,
      answered: true,
      ...carrier.fromApi,
    });
    expect(await getCall(reader(), carrier.provider, D)).toMatchObject({ sources: ['api', 'webhook'] });
    const [raw] = await getRawDeliveries(reader(), carrier.provider, C);
    expect(raw?.eventType).toBe('api.call');
    expect((await backfill()).out).toBe(
      `${carrier.provider}: listed 4, already recorded 4, enqueued 0, failed 0${unmatched(0)}\n`,
    );

    // C's webhook arrives late: still one record, webhook values where both have one.
    await send(carrier.ended(C, endOf(2), '+14155550199'));
    await poller.drain();
    expect(await getCall(reader(), carrier.provider, C)).toMatchObject({
      sources: ['api', 'webhook'],
      from: '+14155550199',
    });
    const listed = await listCalls(reader(), { provider: carrier.provider, limit: 10 });
    expect(listed.map((r) => r.callId).sort()).toEqual([A, B, C, D].sort());

    const records = await Promise.all([A, B, C, D].map((id) => stack.store.getRecord(carrier.provider, id)));
    const replay = await replayCalls({
      store: stack.store,
      normalizers,
      calls: [A, B, C, D].map((callId) => ({ provider: carrier.provider, callId })),
    });
    expect(replay.counts).toMatchObject({ unchanged: 4, failed: 0 });
    expect(await Promise.all([A, B, C, D].map((id) => stack.store.getRecord(carrier.provider, id)))).toEqual(
      records,
    );
  });

  it('wrong credentials: one line naming the variable, exit 1, nothing stored', async () => {
    carrier.wrongCredentials(fake);
    const result = await backfill();
    const variable = `${carrier.provider.toUpperCase().replace('-', '_')}_API_CREDENTIALS`;
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `error: ${carrier.provider} API answered 401: the credentials in ${variable} were refused\n`,
    );
    expect(result.err).not.toMatch(/fake-bandwidth-api-password|KEYfake/);
    expect(await stack.store.getRecord(carrier.provider, C)).toBeNull();
  });

  it('a 429 storm or a malformed page stores nothing and leaves the window to the next run', async () => {
    const job = createReconcileJob({
      api: carrier.api,
      store: stack.store,
      enqueue: buildEnqueue(stack.sqs, stack.queueUrls.queueUrl),
      credentials: async () => ({
        credentials: carrier.api.parseCredentials(
          JSON.parse(
            carrier.env(fake)[`${carrier.provider.toUpperCase().replace('-', '_')}_API_CREDENTIALS`] ?? '',
          ),
          'X',
        ),
        source: `SSM parameter /call-intake/test/${carrier.provider}-api`,
      }),
      baseUrl: fake.url,
      lookbackMinutes: 240,
      maxDelayMs: 0,
    });
    const mark = new Date(NOW - 3_600_000);
    await stack.store.advanceReconcileMark(carrier.provider, mark);
    fake.faults.rateLimit = { count: 100, retryAfter: '1' };

    const storm = await job();

    expect(storm).toMatchObject({ advanced: false, counts: { enqueued: 0 } });
    expect(storm.error?.name).toBe('ApiRateLimitError');
    fake.faults.rateLimit = undefined;
    fake.faults.malformed = carrier.malformedPage;
    const malformed = await job();
    expect(malformed).toMatchObject({ advanced: false });
    expect(malformed.error?.name).toBe('ApiResponseError');
    await poller.drain();
    expect(await stack.store.getRecord(carrier.provider, C)).toBeNull();
    expect(await stack.store.getReconcileMark(carrier.provider)).toEqual(mark);

    const next = await job();
    expect(next).toMatchObject({ advanced: true, counts: { enqueued: 4 } });
    expect(next.window.since).toEqual(storm.window.since);
  });
});

describe('provider traps', () => {
  beforeEach(async () => {
    stack = await startTestStack();
    poller = await stack.startPoller();
  });
  const reader = () => ({ store: stack.store, normalizers });

  it('bandwidth-v2: a long call that started before the window is found; pages follow the Link header', async () => {
    // L started 20 h before --since (the list filters on start time only) and ended inside the window.
    const long = bandwidthV2ApiCall({ callId: 'c-long', endedAt: endOf(0), seconds: (20 + 3) * 3600 });
    const others = Array.from({ length: 1500 }, (_, i) =>
      bandwidthV2ApiCall({ callId: `c-many-${i}`, endedAt: new Date(SINCE.getTime() - 60_000) }),
    );
    fake = await startBandwidthV2Fake([long, ...others]);
    const result = await runBackfill(
      stack,
      poller,
      ['--provider', 'bandwidth-v2', '--since', SINCE.toISOString()],
      CARRIERS[0]?.env(fake) ?? {},
    );
    expect(result.out).toBe('bandwidth-v2: listed 1, already recorded 0, enqueued 1, failed 0\n');
    // 1501 calls started in the widened window: two pages, the second through `Link: …; rel="next"`.
    expect(fake.requests.map((r) => r.query.get('pageToken'))).toEqual([null, '1000']);
    expect(await getCall(reader(), 'bandwidth-v2', 'c-long')).toMatchObject({
      sources: ['api'],
      durationSeconds: (20 + 3) * 3600,
      endedAt: endOf(0).toISOString(),
    });
  });

  it('bandwidth-v2: a window reaching back further than 7 days is clamped and the summary says so', async () => {
    fake = await startBandwidthV2Fake([]);
    const result = await runBackfill(
      stack,
      poller,
      ['--provider', 'bandwidth-v2', '--since', new Date(NOW - 30 * 86_400_000).toISOString()],
      CARRIERS[0]?.env(fake) ?? {},
    );
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /^bandwidth-v2: listed 0, already recorded 0, enqueued 0, failed 0 \(listed from (\S+): the API keeps no older calls\)\n$/,
    );
    const from = Date.parse(/listed from (\S+):/.exec(result.out)?.[1] ?? '');
    expect(Math.abs(from - (NOW - 7 * 86_400_000))).toBeLessThan(5 * 60_000);
    // minStartTime = the clamped start minus the longest call looked for (24 h).
    const min = Date.parse(fake.requests[0]?.query.get('minStartTime') ?? '');
    expect(from - min).toBe(24 * 3_600_000);
  });

  it('telnyx: a detail record without a leg id is counted as unmatched, never a second record', async () => {
    const leg = '55555555-7af4-4bcb-b7f5-5013ef9657c1';
    // The call's webhook made its record; its detail record carries no leg id (only Telnyx's own id).
    const handler = stack.webhookHandler(telnyxIngress, [...TELNYX_SECRETS]);
    expect((await handler(telnyxRequest(CARRIERS[1]?.ended(leg, endOf(0)) ?? ''))).statusCode).toBe(200);
    await poller.drain();
    fake = await startTelnyxFake([
      telnyxDetailRecord({ id: 'record-no-leg', leg: null, endedAt: endOf(0) }),
      telnyxDetailRecord({
        id: 'record-lost',
        leg: '66666666-7af4-4bcb-b7f5-5013ef9657c1',
        endedAt: endOf(1),
      }),
    ]);
    const args = ['--provider', 'telnyx', '--since', SINCE.toISOString()];
    const env = CARRIERS[1]?.env(fake) ?? {};

    const text = await runBackfill(stack, poller, args, env);
    const json = await runBackfill(stack, poller, [...args, '--json'], env);

    expect(text.out).toBe('telnyx: listed 1, already recorded 0, enqueued 1, failed 0, unmatched 1\n');
    expect(JSON.parse(json.out)).toEqual([
      { provider: 'telnyx', listed: 1, alreadyRecorded: 1, enqueued: 0, failed: 0, unmatched: 1 },
    ]);
    const all = await listCalls(reader(), { provider: 'telnyx', limit: 10 });
    expect(all.map((r) => r.callId).sort()).toEqual([leg, '66666666-7af4-4bcb-b7f5-5013ef9657c1']);
  });
});

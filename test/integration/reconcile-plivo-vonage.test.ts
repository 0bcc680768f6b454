/**
 * Reconciliation of the carriers with awkward list APIs (Plivo, Vonage), one table, end to end on
 * the local stack (real webhook handler and consumer, fauxqs + dynalite, `npm run backfill`
 * in-process against each provider's fake): calls A and B had their webhooks; C's was never sent;
 * D got only a non-terminal callback. Then the scheduled job's failure modes, and each provider's
 * own trap (Plivo's unfiltered page, Vonage's page without `_embedded`).
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backfillCommand } from '../../lib/backfill';
import { getCall, getRawDeliveries } from '../../lib/calls/query';
import type { WebhookHandler } from '../../lib/ingress';
import type { QueuePoller } from '../../lib/local/poller';
import { replayCalls } from '../../lib/ops/replay';
import { providerApis } from '../../lib/providers/api-registry';
import { plivoIngress } from '../../lib/providers/plivo/ingress';
import { normalizers } from '../../lib/providers/registry';
import { vonageIngress } from '../../lib/providers/vonage/ingress';
import { buildEnqueue } from '../../lib/queue';
import { createReconcileJob } from '../../lib/reconcile-job';
import { PLIVO_FAKE_CREDENTIALS, type PlivoFake, plivoApiCall, startPlivoFake } from '../fakes/plivo-api';
import {
  startVonageFake,
  VONAGE_FAKE_CREDENTIALS,
  type VonageFake,
  vonageApiCall,
} from '../fakes/vonage-api';
import { VONAGE_SECRETS, vonageRequest } from '../support/carriers';
import type { FakeApi } from '../support/fake-api';
import {
  PLIVO_SECRETS,
  PUBLIC_BASE,
  plivoRequest,
  rawFormFixture,
  withFields,
} from '../support/signed-requests';
import { startTestStack, type TestStack } from '../support/stack';

// Whole seconds, as both APIs' times are.
const START = new Date(Math.floor(Date.now() / 1000) * 1000 - 3 * 3_600_000);
const minute = (m: number) => new Date(START.getTime() + m * 60_000);
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const [A, B, C, D] = [0xa, 0xb, 0xc, 0xd].map(uuid) as [string, string, string, string];
/** Plivo's webhook times: zone-less, read in PLIVO_TIMEZONE (UTC in the tests). */
const plivoLocal = (date: Date) => date.toISOString().slice(0, 19).replace('T', ' ');
const vonageFixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/vonage/${name}.json`, import.meta.url), 'utf8'));

interface CarrierCase {
  provider: 'plivo' | 'vonage';
  variable: string;
  start(ended: Record<string, Date>): Promise<FakeApi>;
  credentials: unknown;
  /** The end-of-call webhook of `id` at `at`, with the caller's number `from` (digits). */
  end(
    id: string,
    at: Date,
    from?: string,
  ): { handler: WebhookHandler; event: ReturnType<typeof plivoRequest> };
  /** How D (only a non-terminal callback) is known: Plivo's consumer keeps only the hangup. */
  dSources: string[];
  /** A non-terminal callback of `id`. */
  progress(id: string, at: Date): { handler: WebhookHandler; event: ReturnType<typeof plivoRequest> };
  /** The caller's number as the API call object's record has it. */
  apiFrom: string;
  /** Makes the fake refuse the credential from now on. */
  refuse(fake: FakeApi): void;
}

let stack: TestStack;
let poller: QueuePoller;
let handlers: Record<string, WebhookHandler>;
let fake: FakeApi;
beforeEach(async () => {
  stack = await startTestStack();
  handlers = {
    plivo: stack.webhookHandler(plivoIngress, PLIVO_SECRETS, { publicBaseUrl: () => PUBLIC_BASE }),
    vonage: stack.webhookHandler(vonageIngress, VONAGE_SECRETS),
  };
  poller = await stack.startPoller();
});
afterEach(async () => {
  await fake?.close();
  await stack.stop();
});

const plivoForm = (id: string, fields: Record<string, string | undefined>) =>
  withFields(rawFormFixture('plivo', 'hangup'), {
    CallUUID: id,
    ALegUUID: id,
    ALegRequestUUID: id,
    RequestUUID: id,
    ...fields,
  });
const vonageBody = (name: string, id: string, fields: Record<string, string>) =>
  JSON.stringify({ ...vonageFixture(name), uuid: id, conversation_uuid: `CON-${id}`, ...fields });

const CASES: CarrierCase[] = [
  {
    provider: 'plivo',
    variable: 'PLIVO_API_CREDENTIALS',
    start: (ended) =>
      startPlivoFake(Object.entries(ended).map(([callUuid, endedAt]) => plivoApiCall({ callUuid, endedAt }))),
    credentials: PLIVO_FAKE_CREDENTIALS,
    end: (id, at, from = '14155550100') => ({
      handler: handlers.plivo as WebhookHandler,
      event: plivoRequest(
        plivoForm(id, {
          From: from,
          To: '14155550123',
          StartTime: plivoLocal(new Date(at.getTime() - 70_000)),
          AnswerTime: plivoLocal(new Date(at.getTime() - 60_000)),
          EndTime: plivoLocal(at),
          Duration: '61',
        }),
      ),
    }),
    progress: (id) => ({
      handler: handlers.plivo as WebhookHandler,
      event: plivoRequest(
        plivoForm(id, {
          Event: 'StartApp',
          CallStatus: 'in-progress',
          EndTime: undefined,
          HangupCauseName: undefined,
        }),
      ),
    }),
    apiFrom: '+14155550100',
    dSources: ['api'],
    refuse: (f) => {
      (f as PlivoFake).credentials.authToken = 'rotated';
    },
  },
  {
    provider: 'vonage',
    variable: 'VONAGE_API_CREDENTIALS',
    start: (ended) =>
      startVonageFake(Object.entries(ended).map(([id, endedAt]) => vonageApiCall({ uuid: id, endedAt }))),
    credentials: VONAGE_FAKE_CREDENTIALS,
    end: (id, at, from = '442079460000') => ({
      handler: handlers.vonage as WebhookHandler,
      event: vonageRequest(
        vonageBody('completed', id, {
          from,
          start_time: new Date(at.getTime() - 60_000).toISOString(),
          end_time: at.toISOString(),
          timestamp: at.toISOString(),
          duration: '61',
        }),
      ),
    }),
    progress: (id, at) => ({
      handler: handlers.vonage as WebhookHandler,
      event: vonageRequest(vonageBody('started', id, { timestamp: at.toISOString() })),
    }),
    apiFrom: '+442079460000',
    dSources: ['api', 'webhook'],
    refuse: (f) => {
      (f as VonageFake).applicationId = 'bbbbbbbb-0000-4000-8000-000000000000';
    },
  },
];

const reader = () => ({ store: stack.store, normalizers });

describe.each(CASES)('$provider list API', (c) => {
  const ended = { [A]: minute(1), [B]: minute(11), [C]: minute(21), [D]: minute(31) };

  async function send({ handler, event }: ReturnType<CarrierCase['end']>) {
    expect((await handler(event)).statusCode).toBe(200);
  }

  async function backfill(...extra: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await backfillCommand(
      ['--provider', c.provider, '--since', minute(-5).toISOString(), ...extra],
      {
        stdout: { write: (text: string) => out.push(text) > 0 },
        stderr: { write: (text: string) => err.push(text) > 0 },
        env: {
          AWS_ENDPOINT_URL_SQS: stack.sqsEmulator.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEmulator.endpoint,
          [`${c.provider.toUpperCase()}_API_BASE_URL`]: fake.url,
          [c.variable]: JSON.stringify(c.credentials),
        },
        target: { table: stack.tableName, queue: stack.queueUrls.queueUrl.split('/').pop() },
      },
    );
    await poller.drain();
    return { code, out: out.join(''), err: err.join('') };
  }

  const job = () => {
    const api = providerApis[c.provider];
    if (!api) throw new Error(`no lister for ${c.provider}`);
    return createReconcileJob({
      api,
      store: stack.store,
      enqueue: buildEnqueue(stack.sqs, stack.queueUrls.queueUrl),
      credentials: async () => ({
        credentials: api.parseCredentials(c.credentials, 'X'),
        source: `SSM parameter /call-intake/test/${c.provider}-api`,
      }),
      baseUrl: fake.url,
      lookbackMinutes: 240,
      maxDelayMs: 0,
    });
  };

  it('fills in C and D, leaves A and B alone, converges with a late webhook and replays exactly', async () => {
    fake = await c.start(ended);
    await send(c.end(A, ended[A] as Date));
    await send(c.end(B, ended[B] as Date));
    await send(c.progress(D, minute(30)));
    await poller.drain();
    const before = {
      A: await stack.store.getRecord(c.provider, A),
      B: await stack.store.getRecord(c.provider, B),
    };
    expect(await stack.store.getRecord(c.provider, D)).toBeNull();

    const first = await backfill();

    expect(first).toMatchObject({
      code: 0,
      out: `${c.provider}: listed 4, already recorded 2, enqueued 2, failed 0\n`,
    });
    expect(await stack.store.getRecord(c.provider, A)).toEqual(before.A);
    expect(await stack.store.getRecord(c.provider, B)).toEqual(before.B);
    expect(await getCall(reader(), c.provider, C)).toMatchObject({
      callId: C,
      sources: ['api'],
      from: c.apiFrom,
      endedAt: minute(21).toISOString(),
      durationSeconds: 60,
      outcome: 'completed',
      answered: true,
    });
    expect(await getCall(reader(), c.provider, D)).toMatchObject({
      sources: c.dSources,
      outcome: 'completed',
    });
    const [raw, ...more] = await getRawDeliveries(reader(), c.provider, C);
    expect(more).toEqual([]);
    expect(raw?.eventType).toBe('api.call');
    expect(JSON.parse(raw?.body ?? '')).toMatchObject({ [c.provider === 'plivo' ? 'call_uuid' : 'uuid']: C });

    expect((await backfill()).out).toBe(
      `${c.provider}: listed 4, already recorded 4, enqueued 0, failed 0\n`,
    );

    // C's webhook arrives late: one record from both sources, the webhook's values where both have one.
    await send(c.end(C, minute(21.5), '15005550006'));
    await poller.drain();
    expect(await getCall(reader(), c.provider, C)).toMatchObject({
      sources: ['api', 'webhook'],
      from: '+15005550006',
      durationSeconds: 61,
      endedAt: minute(21.5).toISOString(),
    });

    const ids = [A, B, C, D];
    const records = await Promise.all(ids.map((id) => stack.store.getRecord(c.provider, id)));
    const replay = await replayCalls({
      store: stack.store,
      normalizers,
      calls: ids.map((callId) => ({ provider: c.provider, callId })),
    });
    expect(replay.counts).toMatchObject({ unchanged: 4, failed: 0 });
    expect(await Promise.all(ids.map((id) => stack.store.getRecord(c.provider, id)))).toEqual(records);
  });

  it('wrong credentials: one line naming the variable, exit 1, nothing stored', async () => {
    fake = await c.start(ended);
    c.refuse(fake);
    const result = await backfill();
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `error: ${c.provider} API answered 401: the credentials in ${c.variable} were refused\n`,
    );
    expect(await stack.store.getRecord(c.provider, C)).toBeNull();
  });

  it('a 429 storm or a malformed page stores nothing and leaves the window to the next run', async () => {
    fake = await c.start(ended);
    const mark = new Date(Date.now() - 3_600_000);
    await stack.store.advanceReconcileMark(c.provider, mark);
    fake.faults.rateLimit = { count: 100, retryAfter: '1' };

    const storm = await job()();

    expect(storm).toMatchObject({ advanced: false, counts: { enqueued: 0 } });
    expect(storm.error?.name).toBe('ApiRateLimitError');
    fake.faults.rateLimit = undefined;
    fake.faults.malformed =
      c.provider === 'plivo'
        ? '{"meta": {"offset": 0}, "objects": [{"call_uuid": '
        : '{"_embedded": {"calls": {}}}';
    const malformed = await job()();
    expect(malformed).toMatchObject({ advanced: false });
    expect(malformed.error?.name).toBe('ApiResponseError');
    await poller.drain();
    expect(await stack.store.getRecord(c.provider, C)).toBeNull();
    expect(await stack.store.getReconcileMark(c.provider)).toEqual(mark);

    const next = await job()();
    expect(next).toMatchObject({ advanced: true, counts: { enqueued: 4 } });
    expect(next.window.since).toEqual(storm.window.since);
  });
});

describe('provider traps', () => {
  it("plivo: a page whose query was dropped (plivo-node's 5xx retry) fails the run, nothing stored", async () => {
    // The unfiltered default is the last 7 days: it holds a call from two days ago, outside the window.
    const old = new Date(Math.floor(Date.now() / 1000) * 1000 - 2 * 86_400_000);
    const f = await startPlivoFake([
      plivoApiCall({ callUuid: C, endedAt: minute(21) }),
      plivoApiCall({ callUuid: uuid(0xe), endedAt: old }),
    ]);
    fake = f;
    f.dropQuery = 1;
    const api = providerApis.plivo;
    if (!api) throw new Error('no plivo lister');
    const mark = new Date(Date.now() - 3_600_000);
    await stack.store.advanceReconcileMark('plivo', mark);
    const run = createReconcileJob({
      api,
      store: stack.store,
      enqueue: buildEnqueue(stack.sqs, stack.queueUrls.queueUrl),
      credentials: async () => ({
        credentials: api.parseCredentials(PLIVO_FAKE_CREDENTIALS, 'X'),
        source: 'X',
      }),
      baseUrl: f.url,
      lookbackMinutes: 240,
      maxDelayMs: 0,
    });

    const trapped = await run();

    expect(trapped).toMatchObject({ advanced: false, counts: { enqueued: 0 } });
    expect(trapped.error?.message).toMatch(/ended outside the range asked for/);
    await poller.drain();
    expect(await stack.store.getRecord('plivo', C)).toBeNull();
    expect(await stack.store.getReconcileMark('plivo')).toEqual(mark);
    expect((await run()).counts).toMatchObject({ listed: 1, enqueued: 1 });
  });

  it('plivo: a window over 30 days is listed in parts the API accepts', async () => {
    const f = await startPlivoFake([plivoApiCall({ callUuid: C, endedAt: minute(21) })]);
    fake = f;
    const api = providerApis.plivo;
    if (!api) throw new Error('no plivo lister');
    const { createApiClient } = await import('../../lib/providers/api');
    const client = createApiClient({
      provider: 'plivo',
      baseUrl: f.url,
      authorization: api.authorization(api.parseCredentials(PLIVO_FAKE_CREDENTIALS, 'X')),
      credentialSource: 'X',
    });
    const listed: string[] = [];
    const window = { since: new Date(Date.now() - 75 * 86_400_000), until: new Date() };
    for await (const page of api.listCalls(client, api.parseCredentials(PLIVO_FAKE_CREDENTIALS, 'X'), window))
      listed.push(...page.map((call) => call.callId));
    expect(listed).toEqual([C]);
    expect(f.requests.map((r) => r.query.get('end_time__gte'))).toHaveLength(3);
  });

  it('vonage: an empty page without _embedded is an empty list, not an error', async () => {
    fake = await startVonageFake([]);
    const out: string[] = [];
    const code = await backfillCommand(['--provider', 'vonage', '--since', minute(-5).toISOString()], {
      stdout: { write: (text: string) => out.push(text) > 0 },
      stderr: { write: () => true },
      env: {
        AWS_ENDPOINT_URL_SQS: stack.sqsEmulator.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEmulator.endpoint,
        VONAGE_API_BASE_URL: fake.url,
        VONAGE_API_CREDENTIALS: JSON.stringify(VONAGE_FAKE_CREDENTIALS),
      },
      target: { table: stack.tableName, queue: stack.queueUrls.queueUrl.split('/').pop() },
    });
    expect({ code, out: out.join('') }).toEqual({
      code: 0,
      out: 'vonage: listed 0, already recorded 0, enqueued 0, failed 0\n',
    });
    expect(fake.requests[0]?.query.get('page_size')).toBe('100');
  });
});

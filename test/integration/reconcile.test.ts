/**
 * Reconciliation end to end on the local stack (real webhook handler and consumer, fauxqs +
 * dynalite with the real SDK, `npm run backfill` in-process against the fake Twilio API):
 * calls A and B had their webhooks; C's was never sent; D got only its non-terminal callbacks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileOnce } from '../../lib/aws-reconcile';
import { backfillCommand } from '../../lib/backfill';
import { getCall, getRawDeliveries, listCalls } from '../../lib/calls/query';
import type { WebhookHandler } from '../../lib/ingress';
import type { QueuePoller } from '../../lib/local/poller';
import { replayCalls } from '../../lib/ops/replay';
import { normalizers } from '../../lib/providers/registry';
import { twilioApi } from '../../lib/providers/twilio/api';
import { twilioIngress } from '../../lib/providers/twilio/ingress';
import { buildEnqueue } from '../../lib/queue';
import { createReconcileJob } from '../../lib/reconcile-job';
import {
  rfc2822,
  startTwilioFake,
  TWILIO_FAKE_CREDENTIALS,
  type TwilioFake,
  twilioApiCall,
} from '../fakes/twilio-api';
import {
  PUBLIC_BASE,
  rawFormFixture,
  TWILIO_SECRETS,
  twilioRequest,
  withFields,
} from '../support/signed-requests';
import { startTestStack, type TestStack } from '../support/stack';

const sid = (n: number) => `CA${String(n).padStart(32, '0')}`;
const [A, B, C, D] = [sid(0xa), sid(0xb), sid(0xc), sid(0xd)];
// Whole seconds, as Twilio's RFC 2822 times are.
const START = new Date(Math.floor(Date.now() / 1000) * 1000 - 3 * 3_600_000);
const minute = (m: number) => new Date(START.getTime() + m * 60_000);
const COMPLETED = rawFormFixture('twilio', 'status-completed');

/** A status callback of `callSid` as Twilio sends it. */
const callback = (
  callSid: string,
  status: string,
  at: Date,
  extra: Record<string, string | undefined> = {},
) =>
  withFields(COMPLETED, {
    CallSid: callSid,
    CallStatus: status,
    Timestamp: rfc2822(at),
    CallDuration: status === 'completed' ? '61' : undefined,
    ...extra,
  });

let stack: TestStack;
let twilio: WebhookHandler;
let fake: TwilioFake;
let poller: QueuePoller;
beforeEach(async () => {
  stack = await startTestStack();
  twilio = stack.webhookHandler(twilioIngress, TWILIO_SECRETS, { publicBaseUrl: () => PUBLIC_BASE });
  poller = await stack.startPoller();
  // The API's view: all four calls ended, with its own values (from in API format, duration 60).
  fake = await startTwilioFake(
    [A, B, C, D].map((callSid, i) =>
      twilioApiCall({ sid: callSid, startTime: minute(i * 10), endTime: minute(i * 10 + 1), duration: 60 }),
    ),
  );
});
afterEach(async () => {
  await fake.close();
  await stack.stop();
});

const reader = () => ({ store: stack.store, normalizers });

async function backfill(...extra: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await backfillCommand(
    ['--provider', 'twilio', '--since', minute(-5).toISOString(), ...extra],
    {
      stdout: { write: (text: string) => out.push(text) > 0 },
      stderr: { write: (text: string) => err.push(text) > 0 },
      env: {
        AWS_ENDPOINT_URL_SQS: stack.sqsEmulator.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEmulator.endpoint,
        TWILIO_API_BASE_URL: fake.url,
        TWILIO_API_CREDENTIALS: JSON.stringify(TWILIO_FAKE_CREDENTIALS),
      },
      target: { table: stack.tableName, queue: stack.queueUrls.queueUrl.split('/').pop() },
    },
  );
  await poller.drain();
  return { code, out: out.join(''), err: err.join('') };
}

async function send(body: string) {
  expect((await twilio(twilioRequest(body))).statusCode).toBe(200);
}

describe('npm run backfill against the fake Twilio API', () => {
  it('fills in C and D, leaves A and B alone, converges with a late webhook and replays exactly', async () => {
    // Prepare: A and B complete through their webhooks; D only initiated → ringing → in-progress.
    await send(callback(A, 'completed', minute(1)));
    await send(callback(B, 'busy', minute(11)));
    await send(callback(D, 'initiated', minute(30)));
    await send(callback(D, 'ringing', minute(30.1)));
    await send(callback(D, 'in-progress', minute(30.2)));
    await poller.drain();
    const before = {
      A: await stack.store.getRecord('twilio', A),
      B: await stack.store.getRecord('twilio', B),
    };
    expect(await stack.store.getRecord('twilio', D)).toBeNull();

    // Act
    const first = await backfill();

    // Assess: one summary line; C and D recorded from the API, A and B untouched.
    expect(first).toMatchObject({
      code: 0,
      out: 'twilio: listed 4, already recorded 2, enqueued 2, failed 0\n',
    });
    expect(await stack.store.getRecord('twilio', A)).toEqual(before.A);
    expect(await stack.store.getRecord('twilio', B)).toEqual(before.B);
    const c = await getCall(reader(), 'twilio', C);
    expect(c).toMatchObject({
      callId: C,
      sources: ['api'],
      from: '+14158675309',
      to: '+18005551212',
      direction: 'outbound',
      startedAt: minute(20).toISOString(),
      endedAt: minute(21).toISOString(),
      durationSeconds: 60,
      outcome: 'completed',
      answered: true,
      hangupCause: 'completed',
      details: { accountSid: TWILIO_FAKE_CREDENTIALS.accountSid, apiVersion: '2010-04-01' },
    });
    expect(await getCall(reader(), 'twilio', D)).toMatchObject({
      sources: ['api', 'webhook'],
      outcome: 'completed',
    });
    // `calls raw` shows the API's exact JSON text of the call.
    const raw = await getRawDeliveries(reader(), 'twilio', C);
    expect(raw).toHaveLength(1);
    expect(JSON.parse(raw[0]?.body ?? '')).toEqual(fake.calls[2]);
    expect(raw[0]?.eventType).toBe('api.call');

    // A second backfill finds everything recorded.
    const second = await backfill();
    expect(second.out).toBe('twilio: listed 4, already recorded 4, enqueued 0, failed 0\n');

    // C's webhook arrives late: still one record, now from both, webhook values where both have one.
    await send(callback(C, 'completed', minute(21.5), { From: '+14155550199' }));
    await poller.drain();
    const late = await getCall(reader(), 'twilio', C);
    expect(late).toMatchObject({
      sources: ['api', 'webhook'],
      from: '+14155550199',
      durationSeconds: 61,
      endedAt: minute(21.5).toISOString(),
      // The webhook has no start time for C (no initiated callback): the API's fills it.
      startedAt: minute(20).toISOString(),
      details: { callbackSource: 'call-progress-events', apiVersion: '2010-04-01' },
    });
    const listed = await listCalls(reader(), { provider: 'twilio', limit: 10 });
    expect(listed.map((r) => r.callId).sort()).toEqual([A, B, C, D].sort());
    const fromApi = await listCalls(reader(), { source: 'api', limit: 10 });
    expect(fromApi.map((r) => r.callId).sort()).toEqual([C, D].sort());

    // Replay rebuilds all four exactly as the consumer built them.
    const records = await Promise.all([A, B, C, D].map((id) => stack.store.getRecord('twilio', id)));
    const replay = await replayCalls({
      store: stack.store,
      normalizers,
      calls: [A, B, C, D].map((callId) => ({ provider: 'twilio', callId })),
    });
    expect(replay.counts).toMatchObject({ unchanged: 4, failed: 0 });
    expect(await Promise.all([A, B, C, D].map((id) => stack.store.getRecord('twilio', id)))).toEqual(records);
  });

  it('wrong credentials: one line naming the variable, exit 1, nothing stored', async () => {
    fake.credentials.authToken = 'rotated';
    fake.credentials.apiKeySid = undefined;
    const result = await backfill();
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      'error: twilio API answered 401: the credentials in TWILIO_API_CREDENTIALS were refused\n',
    );
    expect(result.err).not.toContain(TWILIO_FAKE_CREDENTIALS.authToken);
    expect(await stack.store.getRecord('twilio', C)).toBeNull();
  });

  it('a missing or unreadable credential variable is named, with exit 1', async () => {
    const io = (env: Record<string, string>) => {
      const err: string[] = [];
      return {
        err,
        io: {
          stdout: { write: () => true },
          stderr: { write: (text: string) => err.push(text) > 0 },
          env: {
            ...env,
            AWS_ENDPOINT_URL_SQS: stack.sqsEmulator.endpoint,
            AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEmulator.endpoint,
          },
        },
      };
    };
    const unset = io({});
    expect(await backfillCommand(['--provider', 'twilio', '--since', '2026-11-01'], unset.io)).toBe(1);
    expect(unset.err.join('')).toMatch(/^error: TWILIO_API_CREDENTIALS is not set/);
    const notJson = io({ TWILIO_API_CREDENTIALS: 'AC123:secret' });
    expect(await backfillCommand(['--provider', 'twilio', '--since', '2026-11-01'], notJson.io)).toBe(1);
    expect(notJson.err.join('')).toMatch(/^error: TWILIO_API_CREDENTIALS is not JSON/);
    expect(notJson.err.join('')).not.toContain('secret');
  });

  it('--json prints the counts; --dry-run enqueues nothing; a provider without a list API is a usage error', async () => {
    const dry = await backfill('--dry-run', '--json');
    expect(JSON.parse(dry.out)).toEqual([
      { provider: 'twilio', listed: 4, alreadyRecorded: 0, enqueued: 4, failed: 0 },
    ]);
    expect(await stack.store.getRecord('twilio', C)).toBeNull();
    const err: string[] = [];
    const code = await backfillCommand(['--provider', 'callkaro', '--since', '2026-11-01'], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => err.push(text) > 0 },
      env: {},
    });
    expect(code).toBe(2);
    expect(err[0]).toMatch(/^error: callkaro has no list-calls API/);
  });
});

describe('the scheduled reconciler', () => {
  const job = (maxDelayMs = 0) =>
    createReconcileJob({
      api: twilioApi,
      store: stack.store,
      enqueue: buildEnqueue(stack.sqs, stack.queueUrls.queueUrl),
      credentials: async () => ({
        credentials: twilioApi.parseCredentials(TWILIO_FAKE_CREDENTIALS, 'X'),
        source: 'SSM parameter /call-intake/test/twilio-api',
      }),
      baseUrl: fake.url,
      lookbackMinutes: 240,
      maxDelayMs,
    });

  it('recovers the missed calls, emits CallsRecovered and advances its window', async () => {
    await send(callback(A, 'completed', minute(1)));
    await poller.drain();
    const counted: [string, Record<string, string>, number | undefined][] = [];
    const sink = {
      count: (...args: (typeof counted)[number]) => counted.push(args),
      milliseconds: () => {},
      flush: () => {},
    };
    const log = { info: () => {}, error: () => {} } as unknown as Parameters<typeof reconcileOnce>[2];

    const summary = await reconcileOnce(job(), sink, log);
    await poller.drain();

    expect(summary).toMatchObject({ listed: 4, alreadyRecorded: 1, enqueued: 3, failed: 0, advanced: true });
    expect(counted).toEqual([['CallsRecovered', { provider: 'twilio' }, 3]]);
    expect((await stack.store.getReconcileMark('twilio'))?.toISOString()).toBe(summary.until);
    expect(await getCall(reader(), 'twilio', B)).toMatchObject({ sources: ['api'], outcome: 'completed' });
  });

  it('a 429 storm or a malformed page stores nothing and leaves the window to the next run', async () => {
    const mark = new Date(Date.now() - 3_600_000);
    await stack.store.advanceReconcileMark('twilio', mark);
    fake.faults.rateLimit = { count: 100, retryAfter: '1' };

    const storm = await job()();

    expect(storm).toMatchObject({ advanced: false, counts: { enqueued: 0 } });
    expect(storm.error?.name).toBe('ApiRateLimitError');
    expect(storm.window.since.getTime()).toBe(mark.getTime() - 240 * 60_000);
    fake.faults.rateLimit = undefined;
    fake.faults.malformed = '{"calls": [{"sid": ';
    const malformed = await job()();
    expect(malformed).toMatchObject({ advanced: false });
    expect(malformed.error?.name).toBe('ApiResponseError');
    await poller.drain();
    expect(await stack.store.getRecord('twilio', C)).toBeNull();
    expect(await stack.store.getReconcileMark('twilio')).toEqual(mark);

    // The next run lists the same window again, and completes it.
    const next = await job()();
    expect(next).toMatchObject({ advanced: true, counts: { enqueued: 4 } });
    expect(next.window.since).toEqual(storm.window.since);
  });
});

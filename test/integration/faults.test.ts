/**
 * Faults at the SDK/network boundary, with the real SDK against the emulators: an SQS that is gone
 * or silent must turn into a 503 inside the enqueue deadline, never a 2xx; DynamoDB errors fail only
 * the messages they hit, which come back and succeed once the fault is gone, or park in the DLQ
 * when it never goes; a consumer that crashes mid-batch loses and doubles nothing.
 */
import { randomBytes } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsumerHandler } from '../../lib/consumer';
import { decodeEnvelope } from '../../lib/envelope';
import { createWebhookHandler } from '../../lib/ingress';
import { deadLetterLine } from '../../lib/local/dead-letters';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/local/emulators';
import { type QueuePoller, startQueuePoller } from '../../lib/local/poller';
import { callkaroIngress } from '../../lib/providers/callkaro/ingress';
import { normalizers } from '../../lib/providers/registry';
import { buildEnqueue, createSqsClient, ENQUEUE_DEADLINE_MS } from '../../lib/queue';
import { staticSecrets } from '../../lib/secrets';
import { buildCallStore } from '../../lib/store';
import { callkaroCallEnded } from '../fixtures';
import {
  crashOnce,
  eventually,
  failDynamoCalls,
  itemOfCalls,
  putsForCalls,
  receiveAny,
  recordBatches,
  scanAll,
  singleAttemptDynamoClient,
  startFaultProxy,
  type TcpFaultProxy,
  throttleBatchWrites,
} from '../support/faults';
import { callkaroRequest, jsonBody } from '../support/requests';
import { CALLKARO_SECRETS, startTestStack, type TestStack } from '../support/stack';

const FAST_REDELIVERY = { queueOverrides: { visibilityTimeout: 1, maxReceiveCount: 3 } };

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function stackFor(options: Parameters<typeof startTestStack>[0] = {}): Promise<TestStack> {
  const stack = await startTestStack(options);
  cleanup.push(() => stack.stop());
  return stack;
}

async function pollerFor(
  stack: TestStack,
  consumer: TestStack['consumer'],
  onDeadLetter?: Parameters<typeof startQueuePoller>[0]['onDeadLetter'],
): Promise<QueuePoller> {
  const poller = await startQueuePoller({
    sqs: stack.sqs,
    queueUrl: stack.queueUrls.queueUrl,
    consumer,
    waitSeconds: 0,
    onError: () => {},
    onDeadLetter,
  });
  cleanup.push(() => poller.stop());
  return poller;
}

const callEnded = (callSid: string, extra: Record<string, unknown> = {}) => {
  const body = callkaroCallEnded();
  return { ...body, data: { ...body.data, callSid, ...extra } };
};

/** Sends one call_ended per call id through the real handler; all must be acknowledged. */
async function acknowledgedDeliveries(stack: TestStack, callIds: readonly string[]) {
  const ids = new Map<string, string[]>();
  for (const callId of callIds) {
    const response = await stack.callkaro(callkaroRequest(callEnded(callId)));
    expect(response.statusCode).toBe(200);
    // The same bytes twice (account + agent webhook) are one delivery with one id (spec §4).
    ids.set(callId, [...new Set([...(ids.get(callId) ?? []), jsonBody(response).id])]);
  }
  return ids;
}

const callIdOf = (body: string) => decodeEnvelope(body).callId;

describe('SQS faults at the ingress', () => {
  it('answers 503 within 3 s and stores nothing when SQS is unreachable', async () => {
    // Prepare
    const stack = await stackFor();
    await stack.sqsEmulator.stop();

    // Act
    const started = performance.now();
    const response = await stack.callkaro(callkaroRequest(callEnded('unreachable')));
    const elapsed = performance.now() - started;

    // Assess
    expect(response.statusCode).toBe(503);
    expect(jsonBody(response)).toEqual({ error: 'could not queue the delivery; please retry' });
    expect(elapsed).toBeLessThan(3_000);
    expect((await scanAll(stack.dynamo, stack.tableName)).length).toBe(0);
  });

  describe('behind a proxy', () => {
    /** The deployed SQS client settings and enqueue deadline, pointed at the proxy. */
    async function proxiedHandler(stack: TestStack, proxy: TcpFaultProxy) {
      const sqs: SQSClient = createSqsClient({
        endpoint: proxy.endpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      });
      cleanup.push(() => sqs.destroy());
      return createWebhookHandler(callkaroIngress, () => ({
        secrets: staticSecrets(CALLKARO_SECRETS),
        enqueue: buildEnqueue(sqs, stack.queueUrls.queueUrl),
      }));
    }

    it.each([
      ['accepts connections and never answers', 'blackhole'],
      ['resets every connection', 'reset'],
    ] as const)('answers 503 before the deadline, never 2xx, when SQS %s', async (_name, mode) => {
      // Prepare
      const stack = await stackFor();
      const proxy = await startFaultProxy(stack.sqsEmulator.port, mode);
      cleanup.push(() => proxy.stop());
      const handler = await proxiedHandler(stack, proxy);

      // Act
      const started = performance.now();
      const responses = await Promise.all(
        ['slow-1', 'slow-2', 'slow-3'].map((id) => handler(callkaroRequest(callEnded(id)))),
      );
      const elapsed = performance.now() - started;

      // Assess
      expect(responses.map((r) => r.statusCode)).toEqual([503, 503, 503]);
      expect(elapsed).toBeLessThan(3_000);
      expect(proxy.accepted).toBeGreaterThan(0);
      if (mode === 'blackhole') expect(elapsed).toBeGreaterThanOrEqual(ENQUEUE_DEADLINE_MS - 50);
      expect((await receiveAny(stack.sqs, stack.queueUrls.queueUrl)).length).toBe(0);
    });

    it('abandons a stalled connection after the per-attempt timeout and succeeds on a fresh one', async () => {
      // Prepare
      const stack = await stackFor();
      const proxy = await startFaultProxy(stack.sqsEmulator.port, 'forward');
      cleanup.push(() => proxy.stop());
      const handler = await proxiedHandler(stack, proxy);
      proxy.stallNext(1);

      // Act
      const started = performance.now();
      const response = await handler(callkaroRequest(callEnded('stalled-once')));
      const elapsed = performance.now() - started;

      // Assess
      expect(response.statusCode).toBe(200);
      expect(elapsed).toBeLessThan(ENQUEUE_DEADLINE_MS);
      expect(proxy.accepted).toBe(2);
      const queued = await receiveAny(stack.sqs, stack.queueUrls.queueUrl);
      expect(queued.map((m) => decodeEnvelope(m.Body ?? '').deliveryId)).toEqual([jsonBody(response).id]);
    });

    it('acknowledges again once SQS answers, and only that delivery is queued', async () => {
      // Prepare
      const stack = await stackFor();
      const proxy = await startFaultProxy(stack.sqsEmulator.port, 'reset');
      cleanup.push(() => proxy.stop());
      const handler = await proxiedHandler(stack, proxy);
      expect((await handler(callkaroRequest(callEnded('flaky')))).statusCode).toBe(503);

      // Act
      proxy.setMode('forward');
      const response = await handler(callkaroRequest(callEnded('flaky')));

      // Assess
      expect(response.statusCode).toBe(200);
      const queued = await receiveAny(stack.sqs, stack.queueUrls.queueUrl);
      expect(queued.map((m) => decodeEnvelope(m.Body ?? '').deliveryId)).toEqual([jsonBody(response).id]);
    });
  });
});

describe('DynamoDB faults at the consumer', () => {
  /** A consumer whose DynamoDB client makes one attempt per call and fails PutItem for `failing`. */
  async function faultyConsumer(stack: TestStack, failing: readonly string[]) {
    const dynamo = singleAttemptDynamoClient(stack.dynamoEmulator.endpoint);
    cleanup.push(() => dynamo.destroy());
    // Deliveries are written in batches (throttled items come back unprocessed), records by PutItem.
    const puts = failDynamoCalls(dynamo, 'PutItemCommand', putsForCalls('callkaro', failing));
    const batches = throttleBatchWrites(dynamo, itemOfCalls('callkaro', failing));
    const fault = {
      get injected() {
        return puts.injected + batches.injected;
      },
      heal: () => {
        puts.heal();
        batches.heal();
      },
    };
    const store = buildCallStore(dynamo, stack.tableName);
    const consumer = recordBatches(createConsumerHandler(() => ({ store, normalizers })));
    return { fault, consumer };
  }

  it('reports only the throttled messages, and stores them once the throttling stops', async () => {
    // Prepare
    const stack = await stackFor(FAST_REDELIVERY);
    const calls = ['t-1', 't-2', 't-3', 't-4', 't-5', 't-6'];
    const throttledCalls = ['t-2', 't-5'];
    const { fault, consumer } = await faultyConsumer(stack, throttledCalls);
    const acknowledged = await acknowledgedDeliveries(stack, calls);
    const firstReceipts = () =>
      consumer.batches.flatMap((b) => b.records.filter((r) => r.attributes.ApproximateReceiveCount === '1'));

    // Act
    const poller = await pollerFor(stack, consumer.handler);
    await eventually('every message was received once', async () => firstReceipts().length === calls.length);
    fault.heal();
    await poller.drain();

    // Assess
    const reported = consumer.batches.flatMap((b) => (b.failed === 'crashed' ? [] : b.failed));
    const reportedCalls = firstReceipts()
      .filter((r) => reported.includes(r.messageId))
      .map((r) => callIdOf(r.body));
    expect(reportedCalls.sort()).toEqual(throttledCalls);
    expect(fault.injected).toBe(throttledCalls.length);
    for (const callId of calls) {
      const deliveries = await stack.store.loadDeliveries('callkaro', callId);
      expect(deliveries.map((d) => d.deliveryId)).toEqual(acknowledged.get(callId));
      expect(await stack.store.getRecord('callkaro', callId)).toMatchObject({ version: 1 });
    }
    expect((await receiveAny(stack.sqs, stack.queueUrls.deadLetterQueueUrl)).length).toBe(0);
  });

  it('parks a message that always fails in the DLQ after maxReceiveCount receives, and stores its batch-mates', async () => {
    // Prepare
    const stack = await stackFor(FAST_REDELIVERY);
    const calls = ['ok-1', 'poison', 'ok-2', 'ok-3'];
    const { consumer } = await faultyConsumer(stack, ['poison']);
    const acknowledged = await acknowledgedDeliveries(stack, calls);
    let parked: Awaited<ReturnType<typeof receiveAny>> = [];

    const deadLetterLines: string[] = [];

    // Act
    await pollerFor(stack, consumer.handler, (record, receives) =>
      deadLetterLines.push(deadLetterLine(record, receives, 'the-dlq')),
    );
    await eventually('the poison message is in the DLQ', async () => {
      parked = await receiveAny(stack.sqs, stack.queueUrls.deadLetterQueueUrl);
      return parked.length > 0;
    });

    // Assess
    expect(parked.map((m) => decodeEnvelope(m.Body ?? '').deliveryId)).toEqual(acknowledged.get('poison'));
    const poisonReceipts = consumer.batches.flatMap((b) =>
      b.records.filter((r) => callIdOf(r.body) === 'poison').map((r) => r.attributes.ApproximateReceiveCount),
    );
    expect(poisonReceipts).toEqual(['1', '2', '3']);
    // The local stack's log: one line for the dead letter, on its last failed receive.
    expect(deadLetterLines).toEqual([
      `consumer: callkaro call_ended poison, delivery ${acknowledged.get('poison')?.[0]} failed 3 times: dead-lettered to the-dlq; fix the cause, then npm run -s redrive`,
    ]);
    expect(await stack.store.getRecord('callkaro', 'poison')).toBeNull();
    expect(await stack.store.loadDeliveries('callkaro', 'poison')).toEqual([]);
    for (const callId of calls.filter((c) => c !== 'poison')) {
      const deliveries = await stack.store.loadDeliveries('callkaro', callId);
      expect(deliveries.map((d) => d.deliveryId)).toEqual(acknowledged.get(callId));
      expect(await stack.store.getRecord('callkaro', callId)).not.toBeNull();
    }
  });
});

describe('a consumer that crashes mid-batch', () => {
  it.each([
    // Writes of a batch: its deliveries (parts of the large body, then every head), then one record per call.
    { atWrite: 1, when: 'before' },
    { atWrite: 1, when: 'after' },
    { atWrite: 3, when: 'after' },
    { atWrite: 5, when: 'before' },
  ] as const)('loses and doubles nothing (crash at write $atWrite, $when it)', async (plan) => {
    // Prepare
    const crash = crashOnce(plan);
    const stack = await stackFor({
      ...FAST_REDELIVERY,
      consumerDeps: (deps) => ({ ...deps, store: crash.store(deps.store) }),
    });
    // Duplicates (account + agent webhook) and one large incompressible body stored in parts.
    const calls = ['k-1', 'k-2', 'k-2', 'k-3', 'k-4', 'k-4'];
    const acknowledged = await acknowledgedDeliveries(stack, calls);
    const big = await stack.callkaro(
      callkaroRequest(callEnded('k-big', { transcription: randomBytes(600_000).toString('base64') })),
    );
    expect(big.statusCode).toBe(200);
    acknowledged.set('k-big', [jsonBody(big).id]);
    const consumer = recordBatches(crash.handler(stack.consumer));

    // Act
    const poller = await pollerFor(stack, consumer.handler);
    await poller.drain();

    // Assess
    expect(crash.crashed).toBe(true);
    expect(consumer.batches.some((b) => b.failed === 'crashed')).toBe(true);
    for (const [callId, ids] of acknowledged) {
      const deliveries = await stack.store.loadDeliveries('callkaro', callId);
      expect(deliveries.map((d) => d.deliveryId).sort()).toEqual([...ids].sort());
      expect(await stack.store.getRecord('callkaro', callId)).not.toBeNull();
    }
    const items = await scanAll(stack.dynamo, stack.tableName);
    const count = (prefix: string) => items.filter((i) => i.sk?.S?.startsWith(prefix)).length;
    expect(count('RECORD')).toBe(acknowledged.size);
    expect(count('DELIVERY#')).toBe([...acknowledged.values()].flat().length);
    expect((await receiveAny(stack.sqs, stack.queueUrls.deadLetterQueueUrl)).length).toBe(0);
  });
});

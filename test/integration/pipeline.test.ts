/**
 * The real handlers end to end on in-process fauxqs + dynalite with the real AWS SDK:
 * webhook → SQS → consumer → DynamoDB, and the raw deliveries kept alongside.
 */
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bandwidthHangup, callkaroCallEnded, rawFixture } from '../fixtures';
import { anyReceivedAt, bandwidthSeedRecord } from '../support/records';
import { bandwidthRequest, callkaroRequest, jsonBody } from '../support/requests';
import { sqsRecord } from '../support/sqs';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeEach(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack.stop();
});

const receiveAll = async () => {
  const { Messages = [] } = await stack.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.queueUrls.queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
    }),
  );
  return Messages;
};

describe('webhook → SQS → consumer → DynamoDB', () => {
  it('turns the Bandwidth seed hangup into one normalized record and keeps the raw body byte for byte', async () => {
    // Prepare
    const raw = rawFixture('bandwidth', 'hangup');
    const poller = await stack.startPoller();

    // Act
    const response = await stack.bandwidth(bandwidthRequest(raw));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(jsonBody(response)).toEqual({ received: true, id: expect.any(String) });
    const stored = await stack.store.getRecord('bandwidth', '{callId}');
    expect(stored?.record).toEqual({ ...bandwidthSeedRecord(anyReceivedAt()), sources: ['webhook'] });
    const deliveries = await stack.store.loadDeliveries('bandwidth', '{callId}');
    expect(deliveries.map((d) => d.body)).toEqual([raw]);
    expect(deliveries[0]?.deliveryId).toBe(jsonBody(response).id);
  });

  it('turns the CallKaro seed into one record with IST converted to UTC and E.164 numbers', async () => {
    // Prepare
    const raw = rawFixture('callkaro', 'call-ended');
    const poller = await stack.startPoller();

    // Act
    const response = await stack.callkaro(callkaroRequest(raw));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    const stored = await stack.store.getRecord('callkaro', '2303fa770b666a64ab1694c1e');
    expect(stored?.record).toMatchObject({
      provider: 'callkaro',
      from: '+919876543210',
      to: '+918765432109',
      direction: 'outbound',
      startedAt: '2025-12-19T10:31:07.000Z',
      endedAt: '2025-12-19T10:33:07.000Z',
      durationSeconds: 120,
      outcome: 'completed',
      answered: true,
      hangupCause: 'CLIENT_INITIATED',
      details: expect.objectContaining({
        agentId: '6803fa770b666a64ab1694c1e',
        tryCount: 0,
        converted: true,
      }),
    });
  });

  it('keeps one record when CallKaro sends the same event to the account and agent URLs', async () => {
    // Prepare
    const raw = rawFixture('callkaro', 'call-ended');
    const poller = await stack.startPoller();

    // Act
    const [account, agent] = await Promise.all([
      stack.callkaro(callkaroRequest(raw, { token: 'ck-token-current' })),
      stack.callkaro(callkaroRequest(raw, { token: 'ck-token-next' })),
    ]);
    await poller.drain();

    // Assess
    expect([account.statusCode, agent.statusCode]).toEqual([200, 200]);
    // Identical bytes are one delivery (spec §4): both acknowledgements name it.
    expect(jsonBody(agent).id).toBe(jsonBody(account).id);
    const stored = await stack.store.getRecord('callkaro', '2303fa770b666a64ab1694c1e');
    expect(stored?.version).toBe(1);
    expect(await stack.store.loadDeliveries('callkaro', '2303fa770b666a64ab1694c1e')).toHaveLength(1);
  });

  it.each([
    ['answer before hangup', ['answer', 'hangup']],
    ['hangup before answer', ['hangup', 'answer']],
  ])('gives the same record when the %s is processed first', async (_name, order) => {
    // Prepare
    const hangup = { ...bandwidthHangup(), callId: 'c-42', time: '2024-03-01T10:05:30.000Z' };
    const answer = {
      ...bandwidthHangup(),
      eventType: 'answer',
      callId: 'c-42',
      time: '2024-03-01T10:00:00.000Z',
    };
    const events: Record<string, object> = { answer, hangup };
    const poller = await stack.startPoller();

    // Act
    for (const name of order) {
      expect(
        (await stack.bandwidth(bandwidthRequest(events[name] as Record<string, unknown>))).statusCode,
      ).toBe(200);
      await poller.drain();
    }

    // Assess
    const stored = await stack.store.getRecord('bandwidth', 'c-42');
    expect(stored?.record).toMatchObject({
      answeredAt: '2024-03-01T10:00:00.000Z',
      endedAt: '2024-03-01T10:05:30.000Z',
      durationSeconds: 330,
      outcome: 'completed',
    });
  });

  it('keeps the other events of a call raw without rebuilding its record', async () => {
    // Prepare
    await stack.stop();
    const changes: (string | undefined)[] = [];
    stack = await startTestStack({
      consumerDeps: (deps) => ({ ...deps, observe: (outcome) => changes.push(outcome.change) }),
    });
    const poller = await stack.startPoller();
    expect((await stack.bandwidth(bandwidthRequest(rawFixture('bandwidth', 'hangup')))).statusCode).toBe(200);
    await poller.drain();
    const before = await stack.store.getRecord('bandwidth', '{callId}');
    const playback = {
      eventType: 'playback',
      callId: '{callId}',
      status: 'done',
      time: '2012-11-14T15:56:13Z',
    };

    // Act
    const response = await stack.bandwidth(bandwidthRequest(playback));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(changes).toEqual(['created', 'kept']);
    expect(await stack.store.getRecord('bandwidth', '{callId}')).toEqual(before);
    const kept = await stack.store.loadDeliveries('bandwidth', '{callId}');
    expect(kept.map((d) => d.eventType).sort()).toEqual(['hangup', 'playback']);
  });

  it('acknowledges events that concern no call and keeps them, without making a record', async () => {
    // Prepare
    const conference = {
      eventType: 'conference',
      conferenceId: 'conf-1',
      status: 'created',
      time: '2024-03-01T10:00:00Z',
    };
    const poller = await stack.startPoller();

    // Act
    const response = await stack.bandwidth(bandwidthRequest(conference));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    const kept = await stack.store.loadOrphanDelivery('bandwidth', jsonBody(response).id);
    expect(kept?.body).toBe(JSON.stringify(conference));
    expect(kept?.callId).toBeNull();
  });

  it('answers 503 and enqueues nothing when SQS is unreachable', async () => {
    // Prepare
    await stack.sqsEmulator.stop();

    // Act
    const started = Date.now();
    const response = await stack.callkaro(callkaroRequest(callkaroCallEnded()));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(jsonBody(response).error).toMatch(/retry/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('reports only the poisoned message of a batch as failed and stores its batch-mates', async () => {
    // Prepare
    await stack.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queueUrls.queueUrl, MessageBody: 'not an envelope' }),
    );
    expect((await stack.callkaro(callkaroRequest(callkaroCallEnded()))).statusCode).toBe(200);
    const messages = await receiveAll();
    expect(messages).toHaveLength(2);
    const poisoned = messages.find((m) => m.Body === 'not an envelope');

    // Act
    const result = await stack.consumer({
      Records: messages.map((m) =>
        sqsRecord({ messageId: m.MessageId ?? '', receiptHandle: m.ReceiptHandle ?? '', body: m.Body ?? '' }),
      ),
    });

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: poisoned?.MessageId }]);
    expect(await stack.store.getRecord('callkaro', '2303fa770b666a64ab1694c1e')).not.toBeNull();
  });
});

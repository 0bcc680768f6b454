/**
 * Bandwidth v2 through the real handler on the emulators with the real SDK: the challenge
 * (401 + WWW-Authenticate on the first, credential-less try), then the same callback with
 * credentials → 200 → one record per call.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCall } from '../../lib/calls/query';
import { bandwidthV2Ingress } from '../../lib/providers/bandwidth-v2/ingress';
import { normalizers } from '../../lib/providers/registry';
import { fixture } from '../fixtures';
import { BANDWIDTH_V2_SECRETS, bandwidthV2Request, queuedMessages } from '../support/carriers';
import { anyReceivedAt } from '../support/records';
import { basic, jsonBody } from '../support/requests';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let bandwidthV2: ReturnType<TestStack['webhookHandler']>;
beforeEach(async () => {
  stack = await startTestStack();
  bandwidthV2 = stack.webhookHandler(bandwidthV2Ingress, BANDWIDTH_V2_SECRETS);
});
afterEach(async () => {
  await stack.stop();
});

const reader = () => ({ store: stack.store, normalizers });
const CALL_ID = 'c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d';

type Step = 'initiate' | 'answer' | 'disconnect';
const eventBody = (step: Step, callId: string, changes: Record<string, unknown> = {}) =>
  JSON.stringify({ ...fixture('bandwidth-v2', step), callId, ...changes });

describe('POST /webhooks/bandwidth-v2', () => {
  it('challenges the credential-less first try, then takes the retry with credentials as a record', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const body = eventBody('disconnect', CALL_ID);

    // Act
    const first = await bandwidthV2(bandwidthV2Request(body, { authorization: null }));
    const retry = await bandwidthV2(bandwidthV2Request(body));
    await poller.drain();

    // Assess
    expect(first.statusCode).toBe(401);
    expect(first.headers?.['www-authenticate']).toBe('Basic realm="webhooks", charset="UTF-8"');
    expect(retry.statusCode).toBe(200);
    expect(jsonBody(retry)).toEqual({ received: true, id: expect.any(String) });
    expect(await getCall(reader(), 'bandwidth-v2', CALL_ID)).toEqual({
      provider: 'bandwidth-v2',
      callId: CALL_ID,
      from: '+15551112222',
      to: '+15553334444',
      direction: 'outbound',
      startedAt: '2019-06-20T15:54:22.234Z',
      answeredAt: null,
      endedAt: '2019-06-20T15:55:54.123Z',
      durationSeconds: null,
      outcome: 'busy',
      answered: false,
      hangupCause: 'busy',
      receivedAt: anyReceivedAt(),
      sources: ['webhook'],
      details: expect.objectContaining({
        errorMessage: 'Callee is busy',
        errorId: '4642074b-7b58-478b-96e4-3a60955c6765',
      }),
    });
    expect(await stack.store.loadDeliveries('bandwidth-v2', CALL_ID)).toHaveLength(1);
  });

  it.each([
    ['no credentials', null],
    ['a wrong password', basic('bw2-user:wrong')],
  ])('answers %s with a challenging 401 and queues nothing', async (_label, authorization) => {
    // Act
    const response = await bandwidthV2(
      bandwidthV2Request(eventBody('disconnect', CALL_ID), { authorization }),
    );

    // Assess
    expect(response.statusCode).toBe(401);
    expect(response.headers?.['www-authenticate']).toMatch(/^Basic /);
    expect(await queuedMessages(stack)).toEqual([]);
  });

  it('maps every documented cause to its outcome', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const cases: [string, boolean, string][] = [
      ['hangup', true, 'completed'],
      ['hangup', false, 'canceled'],
      ['busy', false, 'busy'],
      ['timeout', false, 'no_answer'],
      ['cancel', false, 'canceled'],
      ['rejected', false, 'rejected'],
      ['callback-error', true, 'failed'],
      ['invalid-bxml', true, 'failed'],
      ['application-error', true, 'failed'],
      ['account-limit', false, 'failed'],
      ['node-capacity-exceeded', false, 'failed'],
      ['error', false, 'failed'],
      ['unknown', false, 'unknown'],
    ];

    // Act
    for (const [cause, answered] of cases) {
      const answerTime = answered ? '2019-06-20T15:54:25.000Z' : undefined;
      const body = eventBody('disconnect', `c-${cause}-${answered}`, { cause, answerTime });
      expect((await bandwidthV2(bandwidthV2Request(body))).statusCode).toBe(200);
    }
    await poller.drain();

    // Assess
    for (const [cause, answered, outcome] of cases) {
      const record = await getCall(reader(), 'bandwidth-v2', `c-${cause}-${answered}`);
      expect(record, `${cause} ${answered}`).toMatchObject({
        outcome,
        hangupCause: cause,
        durationSeconds: answered ? 89.123 : null,
      });
    }
  });

  it('acknowledges every other callback and converges reordered, duplicated ones on one record', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const other = JSON.stringify({
      eventType: 'transferComplete',
      callId: 'c-shuffled',
      eventTime: '2019-06-20T15:55:00.000Z',
    });
    const conference = JSON.stringify({ eventType: 'conferenceCreated', conferenceId: 'conf-1' });

    // Act
    const acks = [];
    for (const step of ['initiate', 'answer', 'disconnect'] as const)
      await bandwidthV2(bandwidthV2Request(eventBody(step, 'c-ordered')));
    for (const step of ['disconnect', 'answer', 'disconnect', 'initiate'] as const) {
      acks.push((await bandwidthV2(bandwidthV2Request(eventBody(step, 'c-shuffled')))).statusCode);
    }
    acks.push((await bandwidthV2(bandwidthV2Request(other))).statusCode);
    acks.push((await bandwidthV2(bandwidthV2Request(conference))).statusCode);
    await poller.drain();

    // Assess
    expect(acks).toEqual([200, 200, 200, 200, 200, 200]);
    const ordered = await getCall(reader(), 'bandwidth-v2', 'c-ordered');
    const reordered = await getCall(reader(), 'bandwidth-v2', 'c-shuffled');
    expect(ordered).toMatchObject({ answeredAt: '2019-06-20T15:54:25.432Z', direction: 'outbound' });
    expect({ ...reordered, callId: 'x', receivedAt: 'x' }).toEqual({
      ...ordered,
      callId: 'x',
      receivedAt: 'x',
    });
    // disconnect was sent twice with the same bytes: one delivery (spec §4).
    expect(await stack.store.loadDeliveries('bandwidth-v2', 'c-shuffled')).toHaveLength(4);
  });

  it('answers 400 to an authenticated disconnect without callId, and queues nothing', async () => {
    // Act
    const response = await bandwidthV2(bandwidthV2Request(eventBody('disconnect', '')));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(jsonBody(response)).toEqual({ error: 'disconnect callback has no callId' });
    expect(await queuedMessages(stack)).toEqual([]);
  });
});

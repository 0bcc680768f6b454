/**
 * Plivo through the real webhook handler on fauxqs + dynalite with the real SDK: V3-signed hangup
 * callbacks (base64 form bodies as API Gateway sends them) → SQS → consumer → one record per CallUUID.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCall, getRawDeliveries } from '../../lib/calls/query';
import type { WebhookHandler } from '../../lib/ingress';
import { plivoIngress } from '../../lib/providers/plivo/ingress';
import { normalizers } from '../../lib/providers/registry';
import { jsonBody } from '../support/requests';
import {
  PLIVO_SECRETS,
  PUBLIC_BASE,
  plivoRequest,
  rawFormFixture,
  withFields,
} from '../support/signed-requests';
import { startTestStack, type TestStack } from '../support/stack';

const CALL_UUID = '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36';
const HANGUP = rawFormFixture('plivo', 'hangup');

let stack: TestStack;
let plivo: WebhookHandler;
beforeEach(async () => {
  stack = await startTestStack();
  plivo = stack.webhookHandler(plivoIngress, PLIVO_SECRETS, { publicBaseUrl: () => PUBLIC_BASE });
});
afterEach(async () => {
  await stack.stop();
});

const reader = () => ({ store: stack.store, normalizers });

describe('POST /webhooks/plivo', () => {
  it('turns the hangup callback (base64 form, `+` for spaces) into a record with E.164 numbers', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const event = plivoRequest(HANGUP, { query: 'tenant=a&x=1' });

    // Act
    const response = await plivo(event);
    await poller.drain();

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(response.statusCode).toBe(200);
    expect(jsonBody(response)).toEqual({ received: true, id: expect.any(String) });
    expect(await getCall(reader(), 'plivo', CALL_UUID)).toMatchObject({
      provider: 'plivo',
      callId: CALL_UUID,
      from: '+19792014278',
      to: '+14157654321',
      direction: 'outbound',
      startedAt: '2020-04-08T11:34:33.000Z',
      answeredAt: '2020-04-08T11:34:40.000Z',
      endedAt: '2020-04-08T11:35:32.000Z',
      durationSeconds: 52,
      outcome: 'completed',
      hangupCause: 'Normal Hangup',
      details: expect.objectContaining({ billDuration: 60 }),
    });
    expect((await getRawDeliveries(reader(), 'plivo', CALL_UUID)).map((d) => d.body)).toEqual([HANGUP]);
  });

  it.each([
    ['completed', 'completed'],
    ['busy', 'busy'],
    ['no-answer', 'no_answer'],
    ['timeout', 'no_answer'],
    ['cancel', 'canceled'],
    ['failed', 'failed'],
  ])('records CallStatus=%s as %s', async (status, outcome) => {
    // Prepare
    const poller = await stack.startPoller();

    // Act
    const response = await plivo(plivoRequest(withFields(HANGUP, { CallStatus: status })));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await getCall(reader(), 'plivo', CALL_UUID)).toMatchObject({ outcome });
  });

  it('acknowledges StartApp, makes no record until the hangup, then converges duplicates on one', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const startApp = withFields(HANGUP, { Event: 'StartApp', CallStatus: 'in-progress' });

    // Act
    const first = await plivo(plivoRequest(startApp));
    await poller.drain();
    const before = await getCall(reader(), 'plivo', CALL_UUID);
    for (const body of [HANGUP, HANGUP, withFields(HANGUP, { Event: undefined })]) {
      expect((await plivo(plivoRequest(body))).statusCode).toBe(200);
    }
    await poller.drain();

    // Assess
    expect(first.statusCode).toBe(200);
    expect(before).toBeNull();
    expect(await getCall(reader(), 'plivo', CALL_UUID)).toMatchObject({
      outcome: 'completed',
      durationSeconds: 52,
    });
    // The hangup sent twice is the same bytes: one delivery (spec §4).
    expect(await getRawDeliveries(reader(), 'plivo', CALL_UUID)).toHaveLength(3);
  });

  it('accepts the main-account signature header and the next token', async () => {
    // Prepare
    const signed = plivoRequest(HANGUP, { secret: PLIVO_SECRETS[1] });
    const signature = signed.headers['x-plivo-signature-v3'];
    const mainAccount = {
      ...signed,
      headers: { ...signed.headers, 'x-plivo-signature-v3': undefined, 'x-plivo-signature-ma-v3': signature },
    };

    // Act
    const response = await plivo(mainAccount);

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['a wrong token', () => plivoRequest(HANGUP, { secret: 'wrong' }), 401],
    [
      'a missing nonce',
      () => plivoRequest(HANGUP, { headers: { 'x-plivo-signature-v3-nonce': undefined } }),
      401,
    ],
    [
      'a signature for another URL',
      () => plivoRequest(HANGUP, { signedUrl: 'https://calls.example.com:443/webhooks/plivo' }),
      401,
    ],
    ['no CallUUID', () => plivoRequest(withFields(HANGUP, { CallUUID: undefined })), 400],
    [
      'no Event nor CallStatus',
      () => plivoRequest(withFields(HANGUP, { Event: undefined, CallStatus: undefined })),
      400,
    ],
  ])('answers %s with %i and stores nothing', async (_, build, status) => {
    // Prepare
    const poller = await stack.startPoller();

    // Act
    const response = await plivo(build());
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(status);
    expect(await getRawDeliveries(reader(), 'plivo', CALL_UUID)).toEqual([]);
    expect(await getCall(reader(), 'plivo', CALL_UUID)).toBeNull();
  });
});

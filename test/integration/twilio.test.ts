/**
 * Twilio through the real webhook handler on fauxqs + dynalite with the real SDK: signed status
 * callbacks (base64 form bodies as API Gateway sends them) → SQS → consumer → one record per CallSid.
 */
import { createHash } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { getExpectedTwilioSignature, getSignatureAlgorithm } from 'twilio/lib/webhooks/webhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCall, getRawDeliveries } from '../../lib/calls/query';
import type { WebhookHandler } from '../../lib/ingress';
import { normalizers } from '../../lib/providers/registry';
import { twilioIngress } from '../../lib/providers/twilio/ingress';
import { jsonBody } from '../support/requests';
import {
  PUBLIC_BASE,
  rawFormFixture,
  TWILIO_SECRETS,
  twilioRequest,
  withFields,
} from '../support/signed-requests';
import { startTestStack, type TestStack } from '../support/stack';

const CALL_SID = 'CA1234567890ABCDEF1234567890ABCDEF';
const COMPLETED = rawFormFixture('twilio', 'status-completed');
const lifecycle = (status: string, timestamp: string) =>
  withFields(COMPLETED, {
    CallStatus: status,
    Timestamp: timestamp,
    CallDuration: undefined,
    SipResponseCode: undefined,
  });

let stack: TestStack;
let twilio: WebhookHandler;
beforeEach(async () => {
  stack = await startTestStack();
  twilio = stack.webhookHandler(twilioIngress, TWILIO_SECRETS, { publicBaseUrl: () => PUBLIC_BASE });
});
afterEach(async () => {
  await stack.stop();
});

const reader = () => ({ store: stack.store, normalizers });

describe('POST /webhooks/twilio', () => {
  it('turns the documented completed callback (base64 form, `+` for spaces) into a record', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const event = twilioRequest(COMPLETED, { query: 'tenant=a%2Bb&x=1' });

    // Act
    const response = await twilio(event);
    await poller.drain();

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(response.statusCode).toBe(200);
    expect(jsonBody(response)).toEqual({ received: true, id: expect.any(String) });
    expect(await getCall(reader(), 'twilio', CALL_SID)).toMatchObject({
      provider: 'twilio',
      callId: CALL_SID,
      from: '+14158675309',
      to: '+18005551212',
      direction: 'outbound',
      endedAt: '2010-08-16T03:45:01.000Z',
      durationSeconds: 37,
      outcome: 'completed',
      answered: true,
      hangupCause: 'completed',
    });
    const raw = await getRawDeliveries(reader(), 'twilio', CALL_SID);
    expect(raw.map((d) => d.body)).toEqual([COMPLETED]);
  });

  it('accepts the same callback sent as plain text too', async () => {
    // Act
    const response = await twilio(twilioRequest(COMPLETED, { base64: false }));

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['completed', { AnsweredBy: 'machine_end_beep' }, 'voicemail'],
    ['completed', { AnsweredBy: 'human' }, 'completed'],
    ['busy', {}, 'busy'],
    ['no-answer', {}, 'no_answer'],
    ['canceled', {}, 'canceled'],
    ['failed', {}, 'failed'],
  ])('records CallStatus=%s %j as %s', async (status, extra, outcome) => {
    // Prepare
    const poller = await stack.startPoller();

    // Act
    const response = await twilio(twilioRequest(withFields(COMPLETED, { CallStatus: status, ...extra })));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await getCall(reader(), 'twilio', CALL_SID)).toMatchObject({ outcome, hangupCause: status });
  });

  it('converges reordered and duplicated lifecycle callbacks on one record', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const bodies = [
      COMPLETED,
      lifecycle('in-progress', 'Mon, 16 Aug 2010 03:44:24 +0000'),
      COMPLETED,
      lifecycle('ringing', 'Mon, 16 Aug 2010 03:44:02 +0000'),
      lifecycle('initiated', 'Mon, 16 Aug 2010 03:44:00 +0000'),
      lifecycle('in-progress', 'Mon, 16 Aug 2010 03:44:24 +0000'),
    ];

    // Act
    const statuses: number[] = [];
    for (const body of bodies) {
      statuses.push((await twilio(twilioRequest(body))).statusCode ?? 0);
      await poller.drain();
    }

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await getCall(reader(), 'twilio', CALL_SID)).toMatchObject({
      startedAt: '2010-08-16T03:44:00.000Z',
      answeredAt: '2010-08-16T03:44:24.000Z',
      endedAt: '2010-08-16T03:45:01.000Z',
      outcome: 'completed',
    });
    // COMPLETED and in-progress are each sent twice with the same bytes: one delivery each (spec §4).
    expect(await getRawDeliveries(reader(), 'twilio', CALL_SID)).toHaveLength(4);
  });

  it('accepts the JSON variant signed over the URL with its bodySHA256', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const body = JSON.stringify({
      CallSid: CALL_SID,
      CallStatus: 'busy',
      Timestamp: 'Mon, 16 Aug 2010 03:45:01 +0000',
    });
    const query = `bodySHA256=${createHash('sha256').update(body).digest('hex')}`;

    // Act
    const response = await twilio(twilioRequest(body, { query, contentType: 'application/json' }));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await getCall(reader(), 'twilio', CALL_SID)).toMatchObject({
      outcome: 'busy',
      endedAt: '2010-08-16T03:45:01.000Z',
    });
  });

  it.each([
    ['a wrong token', () => twilioRequest(COMPLETED, { secret: 'wrong' }), 401],
    [
      'a missing signature',
      () => twilioRequest(COMPLETED, { headers: { 'x-twilio-signature': undefined } }),
      401,
    ],
    [
      'a signature for another URL',
      () => twilioRequest(COMPLETED, { signedUrl: 'https://other.example.com/webhooks/twilio' }),
      401,
    ],
    [
      'a reordered query',
      () => ({ ...twilioRequest(COMPLETED, { query: 'a=1&b=2' }), rawQueryString: 'b=2&a=1' }),
      401,
    ],
    ['no CallSid', () => twilioRequest(withFields(COMPLETED, { CallSid: undefined })), 400],
    ['no CallStatus', () => twilioRequest(withFields(COMPLETED, { CallStatus: undefined })), 400],
    [
      'a body that is not UTF-8',
      () => ({
        ...twilioRequest('CallStatus=completed&CallSid=CA1'),
        body: Buffer.from([0xff, 0xfe]).toString('base64'),
      }),
      401,
    ],
  ])('answers %s with %i and stores nothing', async (_, build, status) => {
    // Prepare
    const poller = await stack.startPoller();

    // Act
    const response = await twilio(build());
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(status);
    expect(await getRawDeliveries(reader(), 'twilio', CALL_SID)).toEqual([]);
    expect(await getCall(reader(), 'twilio', CALL_SID)).toBeNull();
  });

  it('accepts the current and the next token during rotation', async () => {
    // Act
    const current = await twilio(twilioRequest(COMPLETED, { secret: TWILIO_SECRETS[0] }));
    const next = await twilio(twilioRequest(COMPLETED, { secret: TWILIO_SECRETS[1] }));

    // Assess
    expect([current.statusCode, next.statusCode]).toEqual([200, 200]);
  });

  it('accepts a SharedKey (HMAC_SHA256) callback signed as twilio-node signs it, and makes its record', async () => {
    // Prepare: the SharedKey secret is the list's second line; twilio-node's own signer signs.
    const poller = await stack.startPoller();
    const settings = 'key=webhooks_sharedkey_0123456789abcdef,algorithm=HMAC_SHA256';
    const signature = getExpectedTwilioSignature(
      TWILIO_SECRETS[1],
      `${PUBLIC_BASE}/webhooks/twilio`,
      parseQuery(COMPLETED) as Record<string, string>,
      getSignatureAlgorithm(settings),
    );
    const headers = { 'x-twilio-signature': signature, 'x-twilio-webhooks-signature-settings': settings };

    // Act
    const response = await twilio(twilioRequest(COMPLETED, { headers }));
    const withoutSettings = await twilio(
      twilioRequest(COMPLETED, { headers: { 'x-twilio-signature': signature } }),
    );
    await poller.drain();

    // Assess
    expect([response.statusCode, withoutSettings.statusCode]).toEqual([200, 401]);
    expect(await getCall(reader(), 'twilio', CALL_SID)).toMatchObject({
      callId: CALL_SID,
      outcome: 'completed',
    });
  });

  it('accepts a signature made over the URL with :443', async () => {
    // Act
    const response = await twilio(
      twilioRequest(COMPLETED, { signedUrl: 'https://calls.example.com:443/webhooks/twilio' }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
  });
});

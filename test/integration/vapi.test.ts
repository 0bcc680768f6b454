/**
 * Vapi through the real webhook handler on fauxqs + dynalite with the real AWS SDK: server messages
 * authenticated per stage setting → SQS → consumer → one record per call, raw bodies kept.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCall, getRawDeliveries } from '../../lib/calls/query';
import { MAX_BODY_BYTES } from '../../lib/envelope';
import type { QueuePoller } from '../../lib/local/poller';
import { normalizers } from '../../lib/providers/registry';
import { vapiIngress } from '../../lib/providers/vapi/ingress';
import type { Outcome } from '../../lib/record';
import { rawFixture, vapiMessage } from '../fixtures';
import { VAPI_SECRETS, vapiHmacHeaders, vapiRequest } from '../support/agents';
import { receiveAny } from '../support/faults';
import { jsonBody } from '../support/requests';
import { startTestStack, type TestStack } from '../support/stack';

const CALL_ID = '0a8a3f2c-5b1e-4c7d-9f3a-2e6b8d4c1a90';

let stack: TestStack;
let poller: QueuePoller;
/** The route as deployed with the default settings (Vapi's HMAC plan). */
let vapi: ReturnType<TestStack['webhookHandler']>;
const reader = () => ({ store: stack.store, normalizers });

beforeAll(async () => {
  stack = await startTestStack();
  poller = await stack.startPoller();
  vapi = stack.webhookHandler(vapiIngress, VAPI_SECRETS, { settings: {} });
});
afterAll(async () => {
  await stack.stop();
});

/** The documented report of another call, with `change` applied to its message. */
const reportFor = (callId: string, change: (message: Record<string, unknown>) => void = () => {}) => {
  const body = vapiMessage('end-of-call-report');
  body.message.call.id = callId;
  change(body.message);
  return JSON.stringify(body);
};

describe('Vapi → record', () => {
  it('keeps a status-update and makes the record from the end-of-call-report', async () => {
    // Act
    const status = await vapi(vapiRequest(rawFixture('vapi', 'status-update')));
    const report = await vapi(vapiRequest(rawFixture('vapi', 'end-of-call-report')));
    await poller.drain();

    // Assess
    expect([status.statusCode, report.statusCode]).toEqual([200, 200]);
    const record = await getCall(reader(), 'vapi', CALL_ID);
    expect(record).toMatchObject({
      provider: 'vapi',
      callId: CALL_ID,
      from: '+14155550199',
      to: '+14155550100',
      direction: 'outbound',
      startedAt: '2025-01-01T00:00:00.000Z',
      endedAt: '2025-01-01T00:01:05.000Z',
      durationSeconds: 65,
      outcome: 'completed',
      hangupCause: 'customer-ended-call',
    });
    expect(record?.details).toMatchObject({
      cost: 0.1234,
      summary: expect.stringContaining('ships tomorrow'),
    });
    const raw = await getRawDeliveries(reader(), 'vapi', CALL_ID);
    expect(raw.map((d) => d.eventType).sort()).toEqual(['end-of-call-report', 'status-update']);
  });

  it('acknowledges a message about no call and keeps it out of every record', async () => {
    // Act
    const response = await vapi(vapiRequest(JSON.stringify({ message: { type: 'assistant-request' } })));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(jsonBody(response)).toEqual({ received: true, id: expect.any(String) });
  });

  it('converges on one record from a duplicated report and a late status-update', async () => {
    // Prepare
    const callId = 'vapi-duplicated';
    const report = reportFor(callId);
    const status = JSON.stringify({
      message: { type: 'status-update', status: 'ended', call: { id: callId } },
    });

    // Act
    const statuses = [];
    for (const body of [report, report, status]) statuses.push((await vapi(vapiRequest(body))).statusCode);
    await poller.drain();

    // Assess
    expect(statuses).toEqual([200, 200, 200]);
    const record = await getCall(reader(), 'vapi', callId);
    expect(record).toEqual({
      ...normalizers.vapi?.toCallRecord(await stack.store.loadDeliveries('vapi', callId)),
      sources: ['webhook'],
    });
    // The duplicated report is the same bytes: one delivery (spec §4).
    expect(await getRawDeliveries(reader(), 'vapi', callId)).toHaveLength(2);
  });

  const reasons: [string, Outcome][] = [
    ['customer-ended-call', 'completed'],
    ['assistant-ended-call', 'completed'],
    ['assistant-ended-call-after-message-spoken', 'completed'],
    ['assistant-said-end-call-phrase', 'completed'],
    ['assistant-forwarded-call', 'completed'],
    ['silence-timed-out', 'completed'],
    ['exceeded-max-duration', 'completed'],
    ['voicemail', 'voicemail'],
    ['customer-busy', 'busy'],
    ['customer-did-not-answer', 'no_answer'],
    ['manually-canceled', 'canceled'],
    ['twilio-reported-customer-misdialed', 'invalid_number'],
    ['vonage-rejected', 'rejected'],
    ['twilio-failed-to-connect-call', 'failed'],
    ['pipeline-error-openai-llm-failed', 'failed'],
    // Issue 17: decided by what happened to the call; vonage-disconnected is judged unknowable.
    ['call.forwarding.operator-busy', 'busy'],
    ['call.in-progress.twilio-completed-call', 'completed'],
    ['vonage-disconnected', 'unknown'],
  ];

  it.each(reasons)('records endedReason %s as %s, the reason kept', async (reason, outcome) => {
    // Prepare
    const callId = `vapi-${reason}`;

    // Act
    const response = await vapi(
      vapiRequest(reportFor(callId, (m) => Object.assign(m, { endedReason: reason }))),
    );
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await getCall(reader(), 'vapi', callId)).toMatchObject({ outcome, hangupCause: reason });
  });

  it.each([
    ['a wrong secret', (raw: string) => vapiHmacHeaders(raw, 'not-ours')],
    [
      'a stale timestamp',
      (raw: string) => vapiHmacHeaders(raw, VAPI_SECRETS[0], new Date(Date.now() - 301_000)),
    ],
    ['the shared secret where an HMAC is configured', () => ({ 'x-vapi-secret': VAPI_SECRETS[0] })],
    ['no credentials', () => ({})],
  ])('answers %s with 401 and stores nothing', async (name, headers) => {
    // Prepare
    const callId = `vapi-refused-${name.replace(/\W/g, '')}`;
    const raw = reportFor(callId);

    // Act
    const response = await vapi(vapiRequest(raw, { headers: headers(raw) }));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(401);
    expect(await stack.store.loadDeliveries('vapi', callId)).toEqual([]);
  });

  it('answers an authentic end-of-call-report without call id with 400', async () => {
    // Act
    const response = await vapi(vapiRequest(JSON.stringify({ message: { type: 'end-of-call-report' } })));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(jsonBody(response).error).toMatch(/no message.call.id/);
  });
});

describe('Vapi authentication modes as stage settings', () => {
  it.each([
    ['secret', { 'x-vapi-secret': VAPI_SECRETS[1] }],
    ['bearer', { authorization: `Bearer ${VAPI_SECRETS[0]}` }],
    ['secret-or-bearer', { authorization: `Bearer ${VAPI_SECRETS[1]}` }],
  ])('VAPI_AUTH_MODE=%s accepts its credential and makes the record', async (mode, headers) => {
    // Prepare
    const handler = stack.webhookHandler(vapiIngress, VAPI_SECRETS, { settings: { VAPI_AUTH_MODE: mode } });
    const callId = `vapi-mode-${mode}`;

    // Act
    const accepted = await handler(vapiRequest(reportFor(callId), { headers }));
    const refused = await handler(
      vapiRequest(reportFor(`${callId}-bad`), { headers: { 'x-vapi-secret': 'nope' } }),
    );
    await poller.drain();

    // Assess
    expect([accepted.statusCode, refused.statusCode]).toEqual([200, 401]);
    expect(await getCall(reader(), 'vapi', callId)).toMatchObject({ callId, outcome: 'completed' });
  });

  it('a sha512 + base64 + prefix HMAC variant works from settings alone', async () => {
    // Prepare
    const settings = {
      VAPI_HMAC_ALGORITHM: 'sha512',
      VAPI_HMAC_ENCODING: 'base64',
      VAPI_HMAC_SIGNATURE_PREFIX: 'sha512=',
    };
    const handler = stack.webhookHandler(vapiIngress, VAPI_SECRETS, { settings });
    const raw = reportFor('vapi-sha512');
    const timestamp = String(Date.now());
    const signature = `sha512=${createHmac('sha512', VAPI_SECRETS[0]).update(`${timestamp}.${raw}`).digest('base64')}`;

    // Act
    const response = await handler(
      vapiRequest(raw, { headers: { 'x-timestamp': timestamp, 'x-signature': signature } }),
    );
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await getCall(reader(), 'vapi', 'vapi-sha512')).toMatchObject({ outcome: 'completed' });
  });

  it('answers 500 under an unreadable setting, never 200', async () => {
    // Prepare
    const handler = stack.webhookHandler(vapiIngress, VAPI_SECRETS, { settings: { VAPI_AUTH_MODE: 'none' } });

    // Act
    const response = await handler(vapiRequest(reportFor('vapi-misconfigured'), { headers: {} }));

    // Assess
    expect(response.statusCode).toBe(500);
  });
});

/** A report whose artifact.transcript is `fill` repeated and padded with dots to exactly `bytes`. */
function reportOfSize(callId: string, fill: string, bytes: number) {
  const withTranscript = (transcript: string) =>
    reportFor(callId, (m) => Object.assign(m.artifact as object, { transcript }));
  const shell = Buffer.byteLength(withTranscript(''));
  // Newlines travel escaped: a repeat costs its JSON-encoded length.
  const encoded = Buffer.byteLength(JSON.stringify(fill)) - 2;
  let transcript = fill.repeat(Math.floor((bytes - shell) / encoded));
  transcript += '.'.repeat(bytes - shell - (Buffer.byteLength(JSON.stringify(transcript)) - 2));
  const raw = withTranscript(transcript);
  if (Buffer.byteLength(raw) !== bytes) throw new Error('size arithmetic is off');
  return { raw, transcript };
}

const HINDI_AND_EMOJI = 'AI: नमस्ते 🙏, क्या आप अभी बात कर सकते हैं? 😊\nUser: हाँ, बताइए 👍\n';

describe('Vapi transcripts of any length stay lossless', () => {
  it.each([
    ['a 700 KB Hindi-and-emoji transcript', 'vapi-700kb', 700_000],
    ['a body of exactly MAX_BODY_BYTES', 'vapi-limit', MAX_BODY_BYTES],
  ])('keeps %s: raw body and details.transcript exactly', async (_name, callId, bytes) => {
    // Prepare
    const { raw, transcript } = reportOfSize(callId, HINDI_AND_EMOJI, bytes);

    // Act
    const response = await vapi(vapiRequest(raw));
    await poller.drain();

    // Assess: booleans and lengths, so a failure never prints a megabyte
    expect(response.statusCode).toBe(200);
    const [stored] = await getRawDeliveries(reader(), 'vapi', callId);
    expect(Buffer.from(stored?.body ?? '').equals(Buffer.from(raw))).toBe(true);
    const record = await getCall(reader(), 'vapi', callId);
    expect(record?.outcome).toBe('completed');
    expect((record?.details.transcript as string | undefined)?.length).toBe(transcript.length);
    expect(record?.details.transcript === transcript).toBe(true);
  });

  it('answers a signed body one byte over MAX_BODY_BYTES with 413 and stores nothing', async () => {
    // Prepare
    const { raw } = reportOfSize('vapi-over', HINDI_AND_EMOJI, MAX_BODY_BYTES + 1);

    // Act
    const response = await vapi(vapiRequest(raw));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(413);
    expect(await stack.store.loadDeliveries('vapi', 'vapi-over')).toEqual([]);
  });
});

describe('after every Vapi delivery above', () => {
  it('parked nothing in the dead-letter queue', async () => {
    // Act
    await poller.drain();
    const parked = await receiveAny(stack.sqs, stack.queueUrls.deadLetterQueueUrl);

    // Assess
    expect(parked).toHaveLength(0);
  });
});

/**
 * Retell through the real webhook handler on fauxqs + dynalite with the real AWS SDK: signed
 * call_started / call_ended / call_analyzed → SQS → consumer → one record per call, raw bodies kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCall, getRawDeliveries } from '../../lib/calls/query';
import { MAX_BODY_BYTES } from '../../lib/envelope';
import type { QueuePoller } from '../../lib/local/poller';
import { normalizers } from '../../lib/providers/registry';
import { retellIngress } from '../../lib/providers/retell/ingress';
import type { Outcome } from '../../lib/record';
import { rawFixture, retellEvent } from '../fixtures';
import { RETELL_SECRETS, retellRequest } from '../support/agents';
import { receiveAny } from '../support/faults';
import { jsonBody } from '../support/requests';
import { startTestStack, type TestStack } from '../support/stack';

const CALL_ID = 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6';

let stack: TestStack;
let poller: QueuePoller;
let retell: ReturnType<TestStack['webhookHandler']>;
const reader = () => ({ store: stack.store, normalizers });

beforeAll(async () => {
  stack = await startTestStack();
  poller = await stack.startPoller();
  retell = stack.webhookHandler(retellIngress, RETELL_SECRETS);
});
afterAll(async () => {
  await stack.stop();
});

/** A documented event of another call, with `change` applied to its `call`. */
const eventFor = (
  name: 'call-started' | 'call-ended' | 'call-analyzed',
  callId: string,
  change: (call: Record<string, unknown>) => void = () => {},
) => {
  const body = retellEvent(name);
  body.call.call_id = callId;
  change(body.call);
  return JSON.stringify(body);
};

describe('Retell → record', () => {
  it('keeps call_started, call_ended and call_analyzed and makes one record with the analysis', async () => {
    // Act
    const responses = [];
    for (const name of ['call-started', 'call-ended', 'call-analyzed'] as const) {
      responses.push(await retell(retellRequest(rawFixture('retell', name))));
    }
    await poller.drain();

    // Assess
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const record = await getCall(reader(), 'retell', CALL_ID);
    expect(record).toMatchObject({
      provider: 'retell',
      callId: CALL_ID,
      from: '+12137771234',
      to: '+12137771235',
      direction: 'inbound',
      startedAt: '2024-05-02T00:07:55.945Z',
      endedAt: '2024-05-02T00:08:11.736Z',
      durationSeconds: 15.791,
      outcome: 'completed',
      answered: true,
      hangupCause: 'user_hangup',
    });
    expect(record?.details.analysis).toEqual(retellEvent('call-analyzed').call.call_analysis);
    const raw = await getRawDeliveries(reader(), 'retell', CALL_ID);
    expect(raw.map((d) => d.eventType)).toEqual(['call_started', 'call_ended', 'call_analyzed']);
    expect(raw.map((d) => d.deliveryId)).toEqual(responses.map((r) => jsonBody(r).id));
  });

  it('converges on one record when call_analyzed comes first and call_ended is retried', async () => {
    // Prepare
    const callId = 'retell-reordered';
    const analyzed = eventFor('call-analyzed', callId);
    const ended = eventFor('call-ended', callId);

    // Act
    const first = await retell(retellRequest(analyzed));
    await poller.drain();
    const before = await getCall(reader(), 'retell', callId);
    const statuses = [first.statusCode];
    for (const body of [ended, ended, analyzed])
      statuses.push((await retell(retellRequest(body))).statusCode);
    await poller.drain();

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(before).toBeNull();
    const record = await getCall(reader(), 'retell', callId);
    expect(record).toMatchObject({ callId, outcome: 'completed' });
    expect(record?.details.analysis).toEqual(retellEvent('call-analyzed').call.call_analysis);
    // The retried call_ended and the second call_analyzed are the same bytes again (spec §4).
    expect(await getRawDeliveries(reader(), 'retell', callId)).toHaveLength(2);
    const expected = {
      ...normalizers.retell?.toCallRecord(await stack.store.loadDeliveries('retell', callId)),
      sources: ['webhook'],
    };
    expect(record).toEqual(expected);
  });

  const reasons: [string, Outcome][] = [
    ['user_hangup', 'completed'],
    ['agent_hangup', 'completed'],
    ['call_transfer', 'completed'],
    ['transfer_bridged', 'completed'],
    ['transfer_cancelled', 'completed'],
    ['inactivity', 'completed'],
    ['max_duration_reached', 'completed'],
    ['manual_stopped', 'completed'],
    ['call_take_over', 'completed'],
    ['ivr_reached', 'completed'],
    ['voicemail_reached', 'voicemail'],
    ['dial_busy', 'busy'],
    ['dial_no_answer', 'no_answer'],
    ['user_declined', 'rejected'],
    ['invalid_destination', 'invalid_number'],
    ['dial_failed', 'failed'],
    ['telephony_provider_unavailable', 'failed'],
    ['sip_routing_error', 'failed'],
    ['error_llm_websocket_open', 'failed'],
    ['concurrency_limit_reached', 'not_placed'],
    ['no_concurrency_fallback', 'not_placed'],
    ['no_valid_payment', 'not_placed'],
    ['scam_detected', 'not_placed'],
    ['marked_as_spam', 'not_placed'],
    ['registered_call_timeout', 'not_placed'],
    ['a_reason_from_next_year', 'unknown'],
  ];

  it.each(reasons)('records disconnection_reason %s as %s, the reason kept', async (reason, outcome) => {
    // Prepare
    const callId = `retell-${reason}`;
    const body = eventFor('call-ended', callId, (call) => {
      call.disconnection_reason = reason;
    });

    // Act
    const response = await retell(retellRequest(body));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await getCall(reader(), 'retell', callId)).toMatchObject({
      outcome,
      hangupCause: reason,
      answered: outcome === 'completed' || outcome === 'voicemail',
    });
  });

  it.each([
    ['a wrong key', { key: 'key_not_ours' }, 401],
    ['a stale signature', { now: new Date(Date.now() - 301_000) }, 401],
    ['no signature', { signature: null }, 401],
  ])('answers %s with %i and stores nothing', async (_name, options, status) => {
    // Prepare
    const callId = `retell-refused-${status}-${_name.replace(/\W/g, '')}`;

    // Act
    const response = await retell(retellRequest(eventFor('call-ended', callId), options));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(status);
    expect(await stack.store.loadDeliveries('retell', callId)).toEqual([]);
  });

  it('answers a signed call_ended without call_id with 400', async () => {
    // Act
    const response = await retell(
      retellRequest(JSON.stringify({ event: 'call_ended', call: { agent_id: 'a' } })),
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(jsonBody(response).error).toMatch(/call_ended event has no call.call_id/);
  });
});

/** A call_ended whose transcript is `fill` repeated and padded with dots to exactly `bytes`. */
function callEndedOfSize(callId: string, fill: string, bytes: number) {
  const shell = Buffer.byteLength(
    eventFor('call-ended', callId, (call) => Object.assign(call, { transcript: '' })),
  );
  // Newlines travel escaped (`\\n`): a repeat costs its JSON-encoded length.
  const encoded = Buffer.byteLength(JSON.stringify(fill)) - 2;
  let transcript = fill.repeat(Math.floor((bytes - shell) / encoded));
  transcript += '.'.repeat(bytes - shell - (Buffer.byteLength(JSON.stringify(transcript)) - 2));
  const raw = eventFor('call-ended', callId, (call) => Object.assign(call, { transcript }));
  if (Buffer.byteLength(raw) !== bytes) throw new Error('size arithmetic is off');
  return { raw, transcript };
}

const HINDI_AND_EMOJI = 'Agent: नमस्ते 🙏, क्या आप अभी बात कर सकते हैं? 😊\nUser: हाँ, बताइए 👍\n';

describe('Retell transcripts of any length stay lossless', () => {
  it.each([
    ['a 700 KB Hindi-and-emoji transcript', 'retell-700kb', 700_000],
    ['a body of exactly MAX_BODY_BYTES', 'retell-limit', MAX_BODY_BYTES],
  ])('keeps %s: raw body and details.transcript exactly', async (_name, callId, bytes) => {
    // Prepare
    const { raw, transcript } = callEndedOfSize(callId, HINDI_AND_EMOJI, bytes);

    // Act
    const response = await retell(retellRequest(raw));
    await poller.drain();

    // Assess: booleans and lengths, so a failure never prints a megabyte
    expect(response.statusCode).toBe(200);
    const [stored] = await getRawDeliveries(reader(), 'retell', callId);
    expect(Buffer.from(stored?.body ?? '').equals(Buffer.from(raw))).toBe(true);
    const record = await getCall(reader(), 'retell', callId);
    expect(record?.outcome).toBe('completed');
    expect((record?.details.transcript as string | undefined)?.length).toBe(transcript.length);
    expect(record?.details.transcript === transcript).toBe(true);
  });

  it('answers a signed body one byte over MAX_BODY_BYTES with 413 and stores nothing', async () => {
    // Prepare
    const { raw } = callEndedOfSize('retell-over', HINDI_AND_EMOJI, MAX_BODY_BYTES + 1);

    // Act
    const response = await retell(retellRequest(raw));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(413);
    expect(await stack.store.loadDeliveries('retell', 'retell-over')).toEqual([]);
  });
});

describe('after every Retell delivery above', () => {
  it('parked nothing in the dead-letter queue', async () => {
    // Act
    await poller.drain();
    const parked = await receiveAny(stack.sqs, stack.queueUrls.deadLetterQueueUrl);

    // Assess
    expect(parked).toHaveLength(0);
  });
});

/**
 * Telnyx through the real handler on the emulators with the real SDK: signed Call Control events
 * and TeXML form callbacks → 200 → one record per leg; forged, stale and malformed requests store nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCall } from '../../lib/calls/query';
import { normalizers } from '../../lib/providers/registry';
import { telnyxIngress } from '../../lib/providers/telnyx/ingress';
import { fixture } from '../fixtures';
import {
  fixtureFile,
  queuedMessages,
  TELNYX_NEXT_KEY,
  TELNYX_SECRETS,
  telnyxRequest,
} from '../support/carriers';
import { anyReceivedAt } from '../support/records';
import { jsonBody } from '../support/requests';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let telnyx: ReturnType<TestStack['webhookHandler']>;
beforeEach(async () => {
  stack = await startTestStack();
  telnyx = stack.webhookHandler(telnyxIngress, TELNYX_SECRETS);
});
afterEach(async () => {
  await stack.stop();
});

const reader = () => ({ store: stack.store, normalizers });

type Step = 'call-initiated' | 'call-answered' | 'call-machine-detection-ended' | 'call-hangup';
const LIFECYCLE: Step[] = ['call-initiated', 'call-answered', 'call-machine-detection-ended', 'call-hangup'];

/** The fixture of `step` for leg `leg`, with `payload` merged into its payload. */
function eventBody(step: Step, leg: string, payload: Record<string, unknown> = {}): string {
  const body = fixture<{ data: { payload: Record<string, unknown> } }>('telnyx', step);
  Object.assign(body.data.payload, { call_leg_id: leg }, payload);
  return JSON.stringify(body);
}

const texmlBody = (leg: string, fields: Record<string, string>) => {
  const form = new URLSearchParams(fixtureFile('telnyx', 'texml-completed.txt'));
  form.set('CallLegId', leg);
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  return form.toString();
};

const FORM = 'application/x-www-form-urlencoded';

describe('POST /webhooks/telnyx', () => {
  it('turns a signed Call Control lifecycle into one record and keeps every raw body', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const leg = '428c31b6-7af4-4bcb-b7f5-5013ef9657c1';
    const bodies = LIFECYCLE.map((step) => eventBody(step, leg));

    // Act
    const responses = [];
    for (const body of bodies) responses.push(await telnyx(telnyxRequest(body)));
    await poller.drain();

    // Assess
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(jsonBody(responses[0] ?? {})).toEqual({ received: true, id: expect.any(String) });
    expect(await getCall(reader(), 'telnyx', leg)).toEqual({
      provider: 'telnyx',
      callId: leg,
      from: '+35319605860',
      to: '+13129457420',
      direction: 'inbound',
      startedAt: '2023-11-14T22:10:00.000Z',
      answeredAt: '2023-11-14T22:10:12.500Z',
      endedAt: '2023-11-14T22:13:20.000Z',
      durationSeconds: 187.5,
      outcome: 'completed',
      answered: true,
      hangupCause: 'normal_clearing',
      receivedAt: anyReceivedAt(),
      sources: ['webhook'],
      details: expect.objectContaining({ product: 'call-control', machineDetectionResult: 'human' }),
    });
    const stored = await stack.store.loadDeliveries('telnyx', leg);
    expect(stored.map((d) => d.body).sort()).toEqual([...bodies].sort());
  });

  it('maps every documented hangup_cause, unanswered and answered', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const expected: [string, boolean, string][] = [
      ['normal_clearing', false, 'canceled'],
      ['normal_clearing', true, 'completed'],
      ['time_limit', true, 'completed'],
      ['originator_cancel', false, 'canceled'],
      ['user_busy', false, 'busy'],
      ['no_answer', false, 'no_answer'],
      ['timeout', false, 'no_answer'],
      ['call_rejected', false, 'rejected'],
      ['not_found', false, 'invalid_number'],
      ['unspecified', false, 'unknown'],
    ];

    // Act
    for (const [cause, answered] of expected) {
      const leg = `leg-${cause}-${answered}`;
      if (answered)
        expect((await telnyx(telnyxRequest(eventBody('call-answered', leg)))).statusCode).toBe(200);
      const hangup = eventBody('call-hangup', leg, { hangup_cause: cause });
      expect((await telnyx(telnyxRequest(hangup))).statusCode).toBe(200);
    }
    await poller.drain();

    // Assess
    for (const [cause, answered, outcome] of expected) {
      const record = await getCall(reader(), 'telnyx', `leg-${cause}-${answered}`);
      expect(record, cause).toMatchObject({ outcome, hangupCause: cause });
    }
  });

  it('takes TeXML form callbacks (base64-encoded by API Gateway) with every terminal CallStatus', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const expected = [
      ['completed', 'completed'],
      ['busy', 'busy'],
      ['no-answer', 'no_answer'],
      ['canceled', 'canceled'],
      ['failed', 'failed'],
    ];

    // Act
    for (const [status] of expected) {
      const body = texmlBody(`texml-${status}`, { CallStatus: status as string });
      expect((await telnyx(telnyxRequest(body, { contentType: FORM }))).statusCode).toBe(200);
    }
    await poller.drain();

    // Assess
    for (const [status, outcome] of expected) {
      const record = await getCall(reader(), 'telnyx', `texml-${status}`);
      expect(record, status).toMatchObject({
        outcome,
        hangupCause: status,
        from: '+13129457420',
        endedAt: '2024-01-15T10:31:00.000Z',
        details: expect.objectContaining({ product: 'texml' }),
      });
    }
  });

  it('converges reordered and duplicated events (Telnyx retries) on the same record', async () => {
    // Prepare
    const poller = await stack.startPoller();
    const inOrder = LIFECYCLE;
    const shuffled: Step[] = [
      'call-hangup',
      'call-machine-detection-ended',
      'call-hangup',
      'call-initiated',
      'call-answered',
      'call-answered',
    ];

    // Act
    for (const step of inOrder) await telnyx(telnyxRequest(eventBody(step, 'leg-ordered')));
    for (const step of shuffled) await telnyx(telnyxRequest(eventBody(step, 'leg-shuffled')));
    await poller.drain();

    // Assess
    const ordered = await getCall(reader(), 'telnyx', 'leg-ordered');
    const reordered = await getCall(reader(), 'telnyx', 'leg-shuffled');
    expect(ordered).not.toBeNull();
    expect({ ...reordered, callId: 'x', receivedAt: 'x' }).toEqual({
      ...ordered,
      callId: 'x',
      receivedAt: 'x',
    });
    // Telnyx's retries are the same bytes again: one delivery per distinct event (spec §4).
    expect(await stack.store.loadDeliveries('telnyx', 'leg-shuffled')).toHaveLength(new Set(shuffled).size);
  });

  it('accepts the next key during a rotation', async () => {
    // Prepare
    const poller = await stack.startPoller();

    // Act
    const response = await telnyx(
      telnyxRequest(eventBody('call-hangup', 'leg-next-key'), { seedHex: TELNYX_NEXT_KEY.seedHex }),
    );
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await getCall(reader(), 'telnyx', 'leg-next-key')).not.toBeNull();
  });

  it.each([
    ['signed by an unknown key', { seedHex: '11'.repeat(32) }, 401],
    ['stale by more than 300 s', { timestamp: String(Math.floor(Date.now() / 1000) - 400) }, 401],
    ['from more than 300 s in the future', { timestamp: String(Math.floor(Date.now() / 1000) + 400) }, 401],
    ['without the signature header', { headers: { 'telnyx-signature-ed25519': undefined } }, 401],
  ])('answers %s with %s and queues nothing', async (_label, options, status) => {
    // Act
    const response = await telnyx(telnyxRequest(eventBody('call-hangup', 'leg-rejected'), options));

    // Assess
    expect(response.statusCode).toBe(status);
    expect(await queuedMessages(stack)).toEqual([]);
  });

  it('answers 400 to a signed call event without call_leg_id, and queues nothing', async () => {
    // Act
    const response = await telnyx(telnyxRequest(eventBody('call-hangup', '')));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(jsonBody(response)).toEqual({ error: 'call.hangup event has no data.payload.call_leg_id' });
    expect(await queuedMessages(stack)).toEqual([]);
  });
});

/**
 * The shared ingress pipeline with fake ports: which status for which failure, and that a 2xx is only
 * ever given after the enqueue resolved. (End-to-end behaviour on real SQS: test/integration.)
 */
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, MAX_BODY_BYTES } from '../../lib/envelope';
import { type IngressDeps, type IngressOutcome, receiveWebhook } from '../../lib/ingress';
import { bandwidthIngress } from '../../lib/providers/bandwidth/ingress';
import { callkaroIngress } from '../../lib/providers/callkaro/ingress';
import { vapiIngress } from '../../lib/providers/vapi/ingress';
import { rawFixture } from '../fixtures';
import { vapiRequest } from '../support/agents';
import { bandwidthRequest, basic, callkaroRequest, jsonBody } from '../support/requests';
import { BANDWIDTH_SECRETS, CALLKARO_SECRETS } from '../support/stack';

function fakeDeps(over: Partial<IngressDeps> = {}) {
  const sent: string[] = [];
  const outcomes: IngressOutcome[] = [];
  const deps: IngressDeps = {
    secrets: async () => [...BANDWIDTH_SECRETS, ...CALLKARO_SECRETS],
    enqueue: async (message) => {
      sent.push(message);
    },
    now: () => new Date('2025-12-19T10:33:08.000Z'),
    newId: () => 'delivery-1',
    observe: (outcome) => outcomes.push(outcome),
    ...over,
  };
  return { deps, sent, outcomes };
}

describe('receiveWebhook', () => {
  it('acknowledges with the delivery id after enqueueing an envelope that carries the exact raw body', async () => {
    // Prepare
    const raw = rawFixture('callkaro', 'call-ended');
    const { deps, sent } = fakeDeps();

    // Act
    const response = await receiveWebhook(callkaroIngress, callkaroRequest(raw), deps);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(jsonBody(response)).toEqual({ received: true, id: 'delivery-1' });
    expect(sent).toHaveLength(1);
    expect(decodeEnvelope(sent[0] as string)).toEqual({
      deliveryId: 'delivery-1',
      provider: 'callkaro',
      receivedAt: '2025-12-19T10:33:08.000Z',
      requestId: expect.any(String),
      eventType: 'call_ended',
      callId: '2303fa770b666a64ab1694c1e',
      body: raw,
    });
  });

  it('does not answer before the enqueue has resolved', async () => {
    // Prepare
    let release: () => void = () => {};
    const { deps } = fakeDeps({ enqueue: () => new Promise<void>((resolve) => (release = resolve)) });
    let answered = false;

    // Act
    const pending = receiveWebhook(
      bandwidthIngress,
      bandwidthRequest(rawFixture('bandwidth', 'hangup')),
      deps,
    ).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Assess
    expect(answered).toBe(false);
    release();
    expect((await pending).statusCode).toBe(200);
  });

  it('answers 503 when the enqueue fails, and says to retry', async () => {
    const { deps, outcomes } = fakeDeps({
      enqueue: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    const response = await receiveWebhook(
      bandwidthIngress,
      bandwidthRequest(rawFixture('bandwidth', 'hangup')),
      deps,
    );
    expect(response.statusCode).toBe(503);
    expect(jsonBody(response)).toEqual({ error: 'could not queue the delivery; please retry' });
    expect(outcomes[0]?.statusCode).toBe(503);
  });

  it('answers 503, not 401, when the secrets cannot be loaded', async () => {
    const { deps, sent } = fakeDeps({
      secrets: async () => {
        const { ServiceUnavailableError } = await import('../../lib/errors');
        throw new ServiceUnavailableError('could not load webhook credentials', new Error('ssm down'));
      },
    });
    const response = await receiveWebhook(
      callkaroIngress,
      callkaroRequest(rawFixture('callkaro', 'call-ended')),
      deps,
    );
    expect(response.statusCode).toBe(503);
    expect(sent).toHaveLength(0);
  });

  it('answers 401 with a Basic challenge to a wrong password, before reading the body', async () => {
    const { deps, sent } = fakeDeps();
    const response = await receiveWebhook(
      bandwidthIngress,
      bandwidthRequest('not even json', { authorization: basic('bw-user:wrong') }),
      deps,
    );
    expect(response.statusCode).toBe(401);
    expect(response.headers?.['www-authenticate']).toMatch(/^Basic /);
    expect(sent).toHaveLength(0);
  });

  it('accepts the next secret during a rotation', async () => {
    const { deps } = fakeDeps();
    const response = await receiveWebhook(
      bandwidthIngress,
      bandwidthRequest(rawFixture('bandwidth', 'hangup'), { authorization: basic(BANDWIDTH_SECRETS[1]) }),
      deps,
    );
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['no content type', ''],
    ['a binary type (base64-encoded by API Gateway)', 'application/octet-stream'],
  ])('accepts a JSON body sent with %s', async (_name, contentType) => {
    const raw = rawFixture('callkaro', 'call-ended');
    const { deps, sent } = fakeDeps();
    const response = await receiveWebhook(callkaroIngress, callkaroRequest(raw, { contentType }), deps);
    expect(response.statusCode).toBe(200);
    expect(decodeEnvelope(sent[0] as string).body).toBe(raw);
  });

  it('answers 413 to a body over the documented limit and 200 to one at it', async () => {
    const { deps } = fakeDeps();
    const padded = (size: number) => {
      const base = rawFixture('callkaro', 'call-ended').trimEnd();
      return `${base.slice(0, -1)},"pad":"${'x'.repeat(size - base.length - 9)}"}`;
    };
    expect(Buffer.byteLength(padded(MAX_BODY_BYTES))).toBe(MAX_BODY_BYTES);
    expect(
      (await receiveWebhook(callkaroIngress, callkaroRequest(padded(MAX_BODY_BYTES)), deps)).statusCode,
    ).toBe(200);
    const tooLarge = await receiveWebhook(callkaroIngress, callkaroRequest(padded(MAX_BODY_BYTES + 1)), deps);
    expect(tooLarge.statusCode).toBe(413);
    expect(jsonBody(tooLarge).error).toBe(`body is larger than ${MAX_BODY_BYTES} bytes`);
  });

  it('answers 413 to an oversized body before checking credentials, so no unsigned body costs a signature check', async () => {
    // Prepare: a form-signing scheme sorts and hashes the whole body; an unsigned caller chooses its size.
    const { deps, sent } = fakeDeps();
    const huge = `${'a=b&'.repeat(Math.ceil((MAX_BODY_BYTES + 1) / 4))}`;

    // Act
    const response = await receiveWebhook(callkaroIngress, callkaroRequest(huge, { token: 'wrong' }), deps);

    // Assess
    expect(response.statusCode).toBe(413);
    expect(sent).toEqual([]);
  });

  it('reads header names as given: a setting naming a prototype key (constructor) gets 401, not 500', async () => {
    // Prepare: found in review — headers were a plain object, so `constructor` read Object's function.
    const { deps } = fakeDeps({
      secrets: async () => ['vapi-secret'],
      settings: { VAPI_HMAC_SIGNATURE_HEADER: 'constructor' },
    });

    // Act
    const response = await receiveWebhook(
      vapiIngress,
      vapiRequest('{"message":{"type":"status-update"}}', { headers: {} }),
      deps,
    );

    // Assess
    expect(response.statusCode).toBe(401);
  });

  it('answers 405 to anything but POST', async () => {
    const { deps } = fakeDeps();
    const response = await receiveWebhook(
      callkaroIngress,
      callkaroRequest(rawFixture('callkaro', 'call-ended'), { method: 'GET' }),
      deps,
    );
    expect(response.statusCode).toBe(405);
  });

  it('answers a bare 500 without details when something unexpected breaks', async () => {
    const { deps } = fakeDeps({
      newId: () => {
        throw new Error('secret-looking internal detail');
      },
    });
    const response = await receiveWebhook(
      callkaroIngress,
      callkaroRequest(rawFixture('callkaro', 'call-ended')),
      deps,
    );
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret-looking');
  });
});

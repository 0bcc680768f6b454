/**
 * What operators see: the JSON log lines (correlation ids on every line; no credentials, tokens or
 * transcripts) and the EMF metric documents the observe layer writes to stdout, captured as
 * CloudWatch Logs would receive them (stdout and stderr). Outcomes come from the real ingress pipeline where it matters.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ConsumerOutcome } from '../../lib/consumer';
import type { Delivery } from '../../lib/envelope';
import { EnqueueError, ServiceUnavailableError, UnauthorizedError } from '../../lib/errors';
import { type IngressOutcome, receiveWebhook } from '../../lib/ingress';
import { observeConsumer, observeIngress, rejectionReason, withObservability } from '../../lib/observe';
import { bandwidthIngress } from '../../lib/providers/bandwidth/ingress';
import { callkaroIngress } from '../../lib/providers/callkaro/ingress';
import { staticSecrets } from '../../lib/secrets';
import { callkaroCallEnded, rawFixture } from '../fixtures';
import { captureLogs } from '../support/log-capture';
import { bandwidthRequest, basic, callkaroRequest } from '../support/requests';

// biome-ignore lint/suspicious/noExplicitAny: log lines and EMF documents are arbitrary JSON
type Json = any;

const CORRELATION_KEYS = ['provider', 'callId', 'deliveryId', 'requestId', 'messageId'];
const TRANSCRIPT = 'the caller said their card number is 4111 1111 1111 1111';

const logs = captureLogs();

const lines = (): Json[] => logs.lines();
const logLines = () => lines().filter((line) => line._aws === undefined);
const emfDocuments = () => lines().filter((line) => line._aws !== undefined);

/** Every (metric name, dimension names) pair in the captured EMF documents, with its values. */
const emitted = () =>
  emfDocuments().flatMap((doc) =>
    doc._aws.CloudWatchMetrics.flatMap((directive: Json) =>
      directive.Metrics.map((metric: Json) => ({
        namespace: directive.Namespace,
        name: metric.Name,
        unit: metric.Unit,
        dimensions: directive.Dimensions,
        values: Object.fromEntries(directive.Dimensions[0].map((d: string) => [d, doc[d]])),
        value: doc[metric.Name],
      })),
    ),
  );

const ingressDeps = (overrides: Partial<Parameters<typeof receiveWebhook>[2]> = {}) => ({
  secrets: staticSecrets(['bw-user:bw-pass', 'ck-token-current']),
  enqueue: async () => 'sqs-message-1',
  newId: () => 'delivery-1',
  observe: (outcome: IngressOutcome) => observeIngress(outcome, logs.sinks()),
  ...overrides,
});

const callkaroBody = () => {
  const body = callkaroCallEnded();
  body.data.transcription = TRANSCRIPT;
  return body;
};

describe('ingress log lines', () => {
  it('log a rejected Basic-auth request with its correlation ids and without the credentials', async () => {
    // Prepare
    const authorization = basic('bw-user:wrong-password-8c1f');
    const event = bandwidthRequest(rawFixture('bandwidth', 'hangup'), { authorization });

    // Act
    const response = await receiveWebhook(bandwidthIngress, event, ingressDeps());

    // Assess
    expect(response.statusCode).toBe(401);
    const [line, ...others] = logLines();
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      level: 'WARN',
      message: 'delivery rejected',
      service: 'call-intake',
      stage: 'test',
      provider: 'bandwidth',
      requestId: event.requestContext.requestId,
      statusCode: 401,
      reason: 'unauthorized',
    });
    // Not known before authentication: left out rather than logged empty.
    expect(line).not.toHaveProperty('deliveryId');
    const output = logs.text();
    expect(output).not.toContain('wrong-password-8c1f');
    expect(output).not.toContain(authorization.slice('Basic '.length));
    expect(output).not.toContain('bw-pass');
    expect(output).not.toMatch(/authorization/i);
  });

  it('log an accepted CallKaro delivery with every correlation id and without the token or transcript', async () => {
    // Prepare
    const event = callkaroRequest(callkaroBody(), { token: 'ck-token-current' });

    // Act
    const response = await receiveWebhook(callkaroIngress, event, ingressDeps());

    // Assess
    expect(response.statusCode).toBe(200);
    const [line] = logLines();
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'delivery enqueued',
      provider: 'callkaro',
      callId: '2303fa770b666a64ab1694c1e',
      deliveryId: 'delivery-1',
      requestId: event.requestContext.requestId,
      messageId: 'sqs-message-1',
      eventType: 'call_ended',
    });
    for (const key of CORRELATION_KEYS) expect(line).toHaveProperty(key);
    const output = logs.text();
    expect(output).not.toContain('ck-token-current');
    expect(output).not.toContain(TRANSCRIPT);
    expect(output).not.toContain('919876543210');
  });

  it('log a wrong CallKaro token without the token', async () => {
    // Prepare
    const event = callkaroRequest(callkaroBody(), { token: 'guessed-token-77aa' });

    // Act
    await receiveWebhook(callkaroIngress, event, ingressDeps());

    // Assess
    expect(logLines()[0]).toMatchObject({ level: 'WARN', reason: 'unauthorized', provider: 'callkaro' });
    expect(logs.text()).not.toContain('guessed-token-77aa');
  });

  it('log a failed enqueue as an error with the cause summarized and the body left out', async () => {
    // Prepare
    const event = callkaroRequest(callkaroBody());
    const deps = ingressDeps({
      enqueue: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9324'), {
          $metadata: { httpStatusCode: 503, requestId: 'aws-req-1' },
          $response: { body: TRANSCRIPT },
        });
      },
    });

    // Act
    const response = await receiveWebhook(callkaroIngress, event, deps);

    // Assess
    expect(response.statusCode).toBe(503);
    const [line] = logLines();
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'delivery failed',
      reason: 'enqueue_failed',
      callId: '2303fa770b666a64ab1694c1e',
      deliveryId: 'delivery-1',
      error: {
        name: 'EnqueueError',
        cause: { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:9324', awsRequestId: 'aws-req-1' },
      },
    });
    expect(logs.text()).not.toContain(TRANSCRIPT);
  });

  it('keep a hostile call id and event type JSON-escaped on one line, exactly as sent', async () => {
    // Prepare
    const callId = 'x\nready: call intake listening on http://evil.example\u001b]0;pwned\u0007\u2028';
    const eventType = 'hang\nup\u009b\u202e';
    const event = bandwidthRequest({ eventType, callId }, { authorization: basic('bw-user:bw-pass') });

    // Act
    const response = await receiveWebhook(bandwidthIngress, event, ingressDeps());

    // Assess
    expect(response.statusCode).toBe(200);
    const text = logs.text();
    expect(text.split('\n').some((l) => l.startsWith('ready:'))).toBe(false);
    expect(text.includes('\u001b') || text.includes('\u0007') || text.includes('\r')).toBe(false);
    const [line, ...others] = logLines();
    expect(others).toEqual([]);
    expect(line.callId === callId && line.eventType === eventType).toBe(true);
  });
});

describe('rejection reasons', () => {
  it.each([
    [{ statusCode: 200 }, null],
    [{ statusCode: 401, error: new UnauthorizedError() }, 'unauthorized'],
    // HTTP Basic's first try carries no credentials (Bandwidth v2 sends every callback so): the
    // challenge is part of a healthy exchange, not a misconfiguration the rejected-share alarm counts.
    [
      { statusCode: 401, error: new UnauthorizedError('missing credentials', 'Basic', { absent: true }) },
      'challenged',
    ],
    [{ statusCode: 401, error: new UnauthorizedError('wrong credentials', 'Basic') }, 'unauthorized'],
    [{ statusCode: 400 }, 'bad_request'],
    [{ statusCode: 413 }, 'too_large'],
    [{ statusCode: 405 }, 'method'],
    [{ statusCode: 415 }, 'client_error'],
    [{ statusCode: 503, error: new EnqueueError(new Error('x')) }, 'enqueue_failed'],
    [
      { statusCode: 503, error: new ServiceUnavailableError('ssm', new Error('x')) },
      'dependency_unavailable',
    ],
    [{ statusCode: 500, error: new TypeError('bug') }, 'internal'],
  ])('classify %o as %s', (outcome, expected) => {
    // Act
    const reason = rejectionReason({ provider: 'bandwidth', requestId: 'r', ...outcome });

    // Assess
    expect(reason).toBe(expected);
  });
});

describe('ingress metrics', () => {
  it('count received, enqueued and rejected-by-reason deliveries per provider in the CallIntake namespace', async () => {
    // Prepare
    const deps = ingressDeps();
    await receiveWebhook(bandwidthIngress, bandwidthRequest(rawFixture('bandwidth', 'hangup')), deps);
    await receiveWebhook(bandwidthIngress, bandwidthRequest('not json'), deps);
    await receiveWebhook(callkaroIngress, callkaroRequest(callkaroBody(), { token: 'nope' }), deps);
    logs.clear();

    // Act
    logs.sinks().metrics.flush();

    // Assess
    const metrics = emitted();
    expect(new Set(metrics.map((m) => m.namespace))).toEqual(new Set(['CallIntake']));
    const find = (name: string, dims: Record<string, string>) =>
      metrics.filter(
        (m) =>
          m.name === name &&
          JSON.stringify(Object.keys(m.values).sort()) ===
            JSON.stringify(['service', 'stage', ...Object.keys(dims)].sort()) &&
          Object.entries(dims).every(([k, v]) => m.values[k] === v),
      );
    expect(find('DeliveriesReceived', { provider: 'bandwidth' })[0]).toMatchObject({
      unit: 'Count',
      value: [1, 1],
      values: { service: 'call-intake', stage: 'test', provider: 'bandwidth' },
    });
    expect(find('DeliveriesEnqueued', { provider: 'bandwidth' })[0]?.value).toBe(1);
    expect(find('DeliveriesRejected', { provider: 'bandwidth' })[0]?.value).toBe(1);
    expect(find('DeliveriesRejected', { provider: 'bandwidth', reason: 'bad_request' })[0]?.value).toBe(1);
    expect(find('DeliveriesReceived', { provider: 'callkaro' })[0]?.value).toBe(1);
    expect(find('DeliveriesRejected', { provider: 'callkaro', reason: 'unauthorized' })[0]?.value).toBe(1);
    expect(find('DeliveriesEnqueued', { provider: 'callkaro' })).toEqual([]);
  });

  it('write nothing when nothing was recorded', () => {
    // Act
    logs.sinks().metrics.flush();

    // Assess
    expect(logs.text()).toBe('');
  });
});

const delivery = (overrides: Partial<Delivery> = {}): Delivery => ({
  deliveryId: 'delivery-9',
  provider: 'callkaro',
  receivedAt: '2026-01-01T00:00:00.000Z',
  requestId: 'api-request-9',
  eventType: 'call_ended',
  callId: 'call-9',
  body: JSON.stringify({ data: { transcription: TRANSCRIPT } }),
  ...overrides,
});

describe('consumer log lines and metrics', () => {
  it('log each processed message with all five correlation ids, the change and the ingest lag', () => {
    // Prepare
    const outcome: ConsumerOutcome = { messageId: 'sqs-9', delivery: delivery(), change: 'updated' };

    // Act
    observeConsumer(outcome, logs.sinks(), () => Date.parse('2026-01-01T00:00:02.500Z'));

    // Assess
    expect(logLines()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'delivery processed',
        provider: 'callkaro',
        callId: 'call-9',
        deliveryId: 'delivery-9',
        requestId: 'api-request-9',
        messageId: 'sqs-9',
        change: 'updated',
        lagMs: 2500,
      }),
    ]);
    for (const key of CORRELATION_KEYS) expect(logLines()[0]).toHaveProperty(key);
    expect(logs.text()).not.toContain(TRANSCRIPT);
  });

  it('log a failure with the error summarized, and an undecodable message under its SQS id', () => {
    // Act
    observeConsumer({ messageId: 'sqs-bad', error: new Error('message has no header line') }, logs.sinks());

    // Assess
    const [line] = logLines();
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'delivery processing failed',
      messageId: 'sqs-bad',
      error: { name: 'Error', message: 'message has no header line' },
    });
    expect(line).not.toHaveProperty('provider');
  });

  it('count created, updated, duplicate and failed deliveries and the ingest lag per provider', () => {
    // Prepare
    const now = () => Date.parse('2026-01-01T00:00:01.000Z');
    observeConsumer({ messageId: 'a', delivery: delivery(), change: 'created' }, logs.sinks(), now);
    observeConsumer({ messageId: 'b', delivery: delivery(), change: 'updated' }, logs.sinks(), now);
    observeConsumer({ messageId: 'c', delivery: delivery(), change: 'unchanged' }, logs.sinks(), now);
    observeConsumer(
      { messageId: 'd', delivery: delivery({ provider: 'bandwidth' }), error: new Error('x') },
      logs.sinks(),
    );
    logs.clear();

    // Act
    logs.sinks().metrics.flush();

    // Assess
    const metrics = emitted();
    const callkaro = metrics.filter((m) => m.values.provider === 'callkaro');
    expect(Object.fromEntries(callkaro.map((m) => [m.name, m.value]))).toEqual({
      DeliveriesProcessed: [1, 1, 1],
      RecordsCreated: 1,
      RecordsUpdated: 1,
      DuplicateDeliveries: 1,
      IngestLag: [1000, 1000, 1000],
    });
    expect(callkaro.find((m) => m.name === 'IngestLag')?.unit).toBe('Milliseconds');
    expect(metrics.filter((m) => m.name === 'ConsumerFailures').map((m) => m.dimensions)).toEqual(
      expect.arrayContaining([[['service', 'stage', 'provider']], [['service', 'stage']]]),
    );
  });
});

describe('consumer: replays and re-split forgeries (issue 18)', () => {
  it('count a replayed body as a duplicate, and warn about and count a body under a reused signature', () => {
    // Prepare
    const now = () => Date.parse('2026-01-01T00:00:01.000Z');
    observeConsumer({ messageId: 'a', delivery: delivery(), change: 'duplicate' }, logs.sinks(), now);
    observeConsumer({ messageId: 'b', delivery: delivery(), change: 'forged' }, logs.sinks(), now);
    const logged = logLines();
    logs.clear();

    // Act
    logs.sinks().metrics.flush();

    // Assess
    expect(logged.map((l) => [l.level, l.message, l.change ?? l.reason])).toEqual([
      ['INFO', 'delivery processed', 'duplicate'],
      ['WARN', 'delivery dropped: its signature already vouched for another body', 'reused_signature'],
    ]);
    for (const key of CORRELATION_KEYS) expect(logged[1]).toHaveProperty(key);
    const callkaro = emitted().filter((m) => m.values.provider === 'callkaro');
    expect(callkaro.filter((m) => m.name === 'DuplicateDeliveries').map((m) => m.value)).toEqual([1]);
    expect(
      callkaro.filter((m) => m.name === 'DeliveriesRejected').map((m) => [m.values.reason, m.value]),
    ).toEqual(
      expect.arrayContaining([
        [undefined, 1],
        ['reused_signature', 1],
      ]),
    );
  });
});

describe('withObservability', () => {
  it('puts the Lambda request id on log lines and flushes metrics even when the handler throws', async () => {
    // Prepare
    const handler = withObservability(async (outcome: ConsumerOutcome) => {
      observeConsumer(outcome, logs.sinks());
      throw new Error('boom');
    }, logs.sinks());
    const context = { awsRequestId: 'lambda-req-1', functionName: 'call-intake-test-consumer' } as Context;

    // Act
    const result = handler({ messageId: 'm', delivery: delivery(), change: 'created' }, context);

    // Assess
    await expect(result).rejects.toThrow('boom');
    expect(logLines()[0]).toMatchObject({
      function_request_id: 'lambda-req-1',
      function_name: 'call-intake-test-consumer',
    });
    expect(emitted().map((m) => m.name)).toContain('RecordsCreated');
  });
});

import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import {
  VapiSettingsError,
  vapiAuthSettings,
  vapiIngress,
  verifyVapiHmac,
} from '../../lib/providers/vapi/ingress';
import {
  OUTCOME_BY_ENDED_REASON,
  outcomeOfEndedReason,
  vapiNormalizer,
} from '../../lib/providers/vapi/normalize';
import type { CallRecord, Outcome } from '../../lib/record';
import { rawFixture, vapiMessage } from '../fixtures';
import { delivery } from '../support/deliveries';
import { authContext, webhookRequest } from '../support/requests';

const URL = 'https://example.com/webhooks/vapi';
const CALL_ID = '0a8a3f2c-5b1e-4c7d-9f3a-2e6b8d4c1a90';

const thrown = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

/** Independent of the implementation: Vapi's HMAC plan as its docs describe it. */
const hmac = (
  algorithm: string,
  secret: string,
  payload: string | Buffer,
  encoding: 'hex' | 'base64' = 'hex',
) => createHmac(algorithm, secret).update(payload).digest(encoding);

describe('verifyVapiHmac: the SELF-GENERATED vector of providers-next.md §6', () => {
  // No official vector exists: this one was computed with the documented default HMAC plan
  // (hex HMAC-SHA256 of `<x-timestamp>.<raw body>`) over the exact bytes of
  // shared/vectors/vapi_vector_body.json (copied byte for byte to test/fixtures/vapi/vector-body.json).
  const body = Buffer.from(rawFixture('vapi', 'vector-body'));
  const secret = 'vapi_test_secret';
  const headers = {
    'x-timestamp': '1735689665',
    'x-signature': 'b97a69875b8e431845cd70b2ceabe3769923403558f228823b27c4aacb06c947',
  };
  const now = new Date(1735689665_000 + 2000);

  it('accepts the vector', () => {
    // Act
    const act = () => verifyVapiHmac(body, headers, URL, [secret], now);

    // Assess
    expect(body.length).toBe(242);
    expect(act).not.toThrow();
  });

  it('accepts the vector through vapiIngress with no settings (hmac is the default) and as the second secret', () => {
    // Prepare
    const request = webhookRequest({ rawBody: body, headers });

    // Act
    const act = () => vapiIngress.authenticate(request, ['vapi_old_secret', secret], authContext(now, {}));

    // Assess
    expect(act).not.toThrow();
  });

  it.each([
    ['a wrong secret', { secrets: ['vapi_test_secreT'] }],
    ['no secrets configured', { secrets: [] }],
    ['the body changed by one byte', { body: Buffer.from(body.toString().replace('call_123', 'call_124')) }],
    ['the timestamp changed by one second', { headers: { ...headers, 'x-timestamp': '1735689666' } }],
    [
      'one signature digit changed',
      { headers: { ...headers, 'x-signature': headers['x-signature'].replace(/47$/, '48') } },
    ],
    ['no x-signature', { headers: { 'x-timestamp': headers['x-timestamp'] } }],
    ['no x-timestamp', { headers: { 'x-signature': headers['x-signature'] } }],
    ['a non-numeric x-timestamp', { headers: { ...headers, 'x-timestamp': 'soon' } }],
    ['the vector 301 s later', { now: new Date(1735689665_000 + 301_000) }],
    ['the vector 301 s earlier', { now: new Date(1735689665_000 - 301_000) }],
  ])(
    'rejects %s with a 401',
    (_name, change: { secrets?: string[]; body?: Buffer; headers?: Record<string, string>; now?: Date }) => {
      // Act
      const error = thrown(() =>
        verifyVapiHmac(
          change.body ?? body,
          change.headers ?? headers,
          URL,
          change.secrets ?? [secret],
          change.now ?? now,
        ),
      );

      // Assess
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as Error).message).not.toContain(secret);
    },
  );

  it('accepts x-timestamp in milliseconds, signed as sent', () => {
    // Prepare
    const ms = '1735689665123';
    const signed = {
      'x-timestamp': ms,
      'x-signature': hmac('sha256', secret, Buffer.concat([Buffer.from(`${ms}.`), body])),
    };

    // Act
    const act = () => verifyVapiHmac(body, signed, URL, [secret], now);

    // Assess
    expect(act).not.toThrow();
  });
});

describe('vapiIngress.authenticate per VAPI_AUTH_MODE', () => {
  const secrets = ['vapi-current', 'vapi-next'];
  const now = new Date('2026-03-01T12:00:00.000Z');
  const raw = rawFixture('vapi', 'end-of-call-report');
  const seconds = String(Math.floor(now.getTime() / 1000));
  const authenticate = (headers: Record<string, string>, settings: Record<string, string> = {}, body = raw) =>
    thrown.bind(null, () =>
      vapiIngress.authenticate(
        webhookRequest({ rawBody: Buffer.from(body), headers }),
        secrets,
        authContext(now, settings),
      ),
    );
  const passes =
    (headers: Record<string, string>, settings: Record<string, string> = {}) =>
    () =>
      vapiIngress.authenticate(
        webhookRequest({ rawBody: Buffer.from(raw), headers }),
        secrets,
        authContext(now, settings),
      );

  it('hmac (default): a body signed in the test with the next secret passes; the shared secret alone does not', () => {
    // Prepare
    const signed = {
      'x-timestamp': seconds,
      'x-signature': hmac('sha256', 'vapi-next', `${seconds}.${raw}`),
    };

    // Act / Assess
    expect(passes(signed)).not.toThrow();
    expect(authenticate({ 'x-vapi-secret': 'vapi-current' })()).toBeInstanceOf(UnauthorizedError);
    expect(authenticate({ authorization: 'Bearer vapi-current' })()).toBeInstanceOf(UnauthorizedError);
  });

  describe('a non-default HMAC variant: sha512, base64, prefix, own header names', () => {
    const settings = {
      VAPI_AUTH_MODE: 'hmac',
      VAPI_HMAC_ALGORITHM: 'sha512',
      VAPI_HMAC_ENCODING: 'base64',
      VAPI_HMAC_SIGNATURE_PREFIX: 'v1=',
      VAPI_HMAC_SIGNATURE_HEADER: 'X-Acme-Signature',
      VAPI_HMAC_TIMESTAMP_HEADER: 'X-Acme-Time',
      VAPI_HMAC_PAYLOAD_FORMAT: '{timestamp}:{body}',
    };
    const signature = `v1=${hmac('sha512', 'vapi-current', `${seconds}:${raw}`, 'base64')}`;
    const signed = { 'x-acme-time': seconds, 'x-acme-signature': signature };

    it('accepts a request signed that way', () => {
      // Act / Assess
      expect(passes(signed, settings)).not.toThrow();
    });

    it.each([
      ['without the prefix', { ...signed, 'x-acme-signature': signature.slice(3) }],
      [
        'hex instead of base64',
        { ...signed, 'x-acme-signature': `v1=${hmac('sha512', 'vapi-current', `${seconds}:${raw}`)}` },
      ],
      [
        'sha256 instead of sha512',
        {
          ...signed,
          'x-acme-signature': `v1=${hmac('sha256', 'vapi-current', `${seconds}:${raw}`, 'base64')}`,
        },
      ],
      ['in the default headers', { 'x-timestamp': seconds, 'x-signature': signature }],
      [
        'with a stale timestamp',
        {
          'x-acme-time': String(Number(seconds) - 301),
          'x-acme-signature': `v1=${hmac('sha512', 'vapi-current', `${Number(seconds) - 301}:${raw}`, 'base64')}`,
        },
      ],
    ])('rejects it %s', (_name, headers) => {
      // Act / Assess
      expect(authenticate(headers, settings)()).toBeInstanceOf(UnauthorizedError);
    });
  });

  it('a payload format without {timestamp} needs no timestamp header (sha1, hex)', () => {
    // Prepare
    const settings = { VAPI_HMAC_ALGORITHM: 'SHA1', VAPI_HMAC_PAYLOAD_FORMAT: '{body}' };

    // Act / Assess
    expect(passes({ 'x-signature': hmac('sha1', 'vapi-current', raw) }, settings)).not.toThrow();
    expect(
      authenticate({ 'x-signature': hmac('sha1', 'vapi-current', `${raw} `) }, settings)(),
    ).toBeInstanceOf(UnauthorizedError);
  });

  it.each([
    ['secret', { 'x-vapi-secret': 'vapi-current' }, true],
    ['secret', { 'x-vapi-secret': 'vapi-next' }, true],
    ['secret', { 'x-vapi-secret': 'vapi-wrong' }, false],
    ['secret', { authorization: 'Bearer vapi-current' }, false],
    ['secret', {}, false],
    ['bearer', { authorization: 'Bearer vapi-current' }, true],
    ['bearer', { authorization: 'bearer   vapi-next' }, true],
    ['bearer', { authorization: 'Bearer vapi-wrong' }, false],
    ['bearer', { authorization: 'Basic dmFwaS1jdXJyZW50' }, false],
    ['bearer', { 'x-vapi-secret': 'vapi-current' }, false],
    ['secret-or-bearer', { 'x-vapi-secret': 'vapi-current' }, true],
    ['secret-or-bearer', { authorization: 'Bearer vapi-next' }, true],
    ['secret-or-bearer', { 'x-vapi-secret': 'vapi-current', authorization: 'Bearer vapi-current' }, true],
    ['secret-or-bearer', { 'x-vapi-secret': 'vapi-current', authorization: 'Bearer vapi-wrong' }, false],
    ['secret-or-bearer', {}, false],
  ])('mode %s with %j → accepted: %s', (mode, headers, accepted) => {
    // Act
    const act = passes(headers, { VAPI_AUTH_MODE: mode });

    // Assess
    if (accepted) expect(act).not.toThrow();
    else expect(act).toThrow(UnauthorizedError);
  });
});

describe('vapiAuthSettings: bad values fail clearly', () => {
  it.each([
    [
      { VAPI_AUTH_MODE: 'none' },
      'VAPI_AUTH_MODE must be one of hmac, secret, bearer, secret-or-bearer (got "none")',
    ],
    [{ VAPI_HMAC_ALGORITHM: 'md5' }, 'VAPI_HMAC_ALGORITHM must be one of sha256, sha512, sha1 (got "md5")'],
    [{ VAPI_HMAC_ENCODING: 'base32' }, 'VAPI_HMAC_ENCODING must be one of hex, base64 (got "base32")'],
    [
      { VAPI_HMAC_SIGNATURE_HEADER: 'x signature' },
      'VAPI_HMAC_SIGNATURE_HEADER is not an HTTP header name ("x signature")',
    ],
    [
      { VAPI_HMAC_TIMESTAMP_HEADER: 'x-time:' },
      'VAPI_HMAC_TIMESTAMP_HEADER is not an HTTP header name ("x-time:")',
    ],
    [
      { VAPI_HMAC_PAYLOAD_FORMAT: '{timestamp}.' },
      'VAPI_HMAC_PAYLOAD_FORMAT must contain {body} exactly once',
    ],
    [
      { VAPI_HMAC_PAYLOAD_FORMAT: '{body}{body}' },
      'VAPI_HMAC_PAYLOAD_FORMAT must contain {body} exactly once',
    ],
    [
      { VAPI_HMAC_PAYLOAD_FORMAT: '{ts}.{body}' },
      'VAPI_HMAC_PAYLOAD_FORMAT may only use {body} and {timestamp} (got {ts})',
    ],
    [
      { VAPI_HMAC_PAYLOAD_FORMAT: '{timestamp}{timestamp}{body}' },
      'VAPI_HMAC_PAYLOAD_FORMAT may contain {timestamp} at most once',
    ],
    [{ VAPI_HMAC_SIGNATURE_PREFIX: 'a\nb' }, 'VAPI_HMAC_SIGNATURE_PREFIX must be one line'],
  ])('%j → one line naming the variable', (settings, message) => {
    // Act
    const error = thrown(() => vapiAuthSettings(settings));

    // Assess
    expect(error).toBeInstanceOf(VapiSettingsError);
    expect((error as Error).message).toBe(message);
    expect(message).not.toContain('\n');
  });

  it('defaults to Vapi HMAC plan defaults when unset or empty', () => {
    // Act
    const settings = vapiAuthSettings({ VAPI_AUTH_MODE: '', VAPI_HMAC_ALGORITHM: '' });

    // Assess
    expect(settings).toEqual({
      mode: 'hmac',
      hmac: {
        algorithm: 'sha256',
        encoding: 'hex',
        signaturePrefix: '',
        signatureHeader: 'x-signature',
        timestampHeader: 'x-timestamp',
        payloadFormat: '{timestamp}.{body}',
      },
    });
  });

  it('stops the local stack: local.secret throws on bad settings, reads VAPI_WEBHOOK_SECRET otherwise', () => {
    // Act
    const error = thrown(() => vapiIngress.local?.secret({ VAPI_AUTH_MODE: 'off' }));
    const local = vapiIngress.local?.secret({ VAPI_WEBHOOK_SECRET: 's1\ns2', VAPI_AUTH_MODE: 'bearer' });

    // Assess
    expect(error).toBeInstanceOf(VapiSettingsError);
    expect(local).toMatchObject({
      secrets: ['s1', 's2'],
      variables: ['VAPI_WEBHOOK_SECRET'],
      defaulted: false,
    });
  });

  it('a request under bad settings is refused, never accepted', () => {
    // Prepare
    const request = webhookRequest({ rawBody: Buffer.from('{}'), headers: { 'x-vapi-secret': 's' } });

    // Act
    const error = thrown(() =>
      vapiIngress.authenticate(request, ['s'], authContext(new Date(), { VAPI_AUTH_MODE: 'open' })),
    );

    // Assess
    expect(error).toBeInstanceOf(VapiSettingsError);
  });
});

describe('vapiIngress.identify', () => {
  it('identifies the end-of-call-report by message.call.id', () => {
    // Act / Assess
    expect(vapiIngress.identify(vapiMessage('end-of-call-report'))).toEqual({
      eventType: 'end-of-call-report',
      callId: CALL_ID,
    });
  });

  it('acknowledges other server messages, with their call id when they have one', () => {
    // Act / Assess
    expect(vapiIngress.identify(vapiMessage('status-update'))).toEqual({
      eventType: 'status-update',
      callId: CALL_ID,
    });
    expect(vapiIngress.identify({ message: { type: 'assistant-request' } })).toEqual({
      eventType: 'assistant-request',
      callId: null,
    });
  });

  it.each([
    ['no message', { type: 'end-of-call-report' }, 'body has no message object'],
    ['message as a string', { message: 'end-of-call-report' }, 'body has no message object'],
    ['no message.type', { message: { call: { id: 'c' } } }, 'body has no message.type'],
    [
      'a report without call',
      { message: { type: 'end-of-call-report' } },
      'end-of-call-report message has no message.call.id',
    ],
    [
      'a report with an empty id',
      { message: { type: 'end-of-call-report', call: { id: '' } } },
      'end-of-call-report message has no message.call.id',
    ],
    [
      'a numeric call id',
      { message: { type: 'end-of-call-report', call: { id: 1 } } },
      'message.call.id is not a string',
    ],
    ['call as an array', { message: { type: 'status-update', call: [] } }, 'message.call is not an object'],
    [
      'a call id of 201 characters',
      { message: { type: 'end-of-call-report', call: { id: 'x'.repeat(201) } } },
      'message.call.id is longer than 200 characters',
    ],
    [
      'a lone surrogate in the type',
      { message: { type: 'end\udc00', call: { id: 'c' } } },
      'message.type is not well-formed Unicode',
    ],
  ])('rejects %s with a 400', (_name, body, reason) => {
    // Act
    const error = thrown(() => vapiIngress.identify(body));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(reason);
  });
});

describe('outcomeOfEndedReason (spec.md §6, row by row)', () => {
  const rows: [string, Outcome][] = [
    ['customer-ended-call', 'completed'],
    ['assistant-ended-call', 'completed'],
    ['assistant-ended-call-after-message-spoken', 'completed'],
    ['assistant-ended-call-with-hangup-task', 'completed'],
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
    ['vonage-failed-to-connect-call', 'failed'],
    ['pipeline-error-openai-llm-failed', 'failed'],
    ['call.in-progress.error-vapifault-openai-llm-failed', 'failed'],
    // Issue 17: decided by what happened to the call (docs.vapi.ai/calls/call-ended-reason).
    ['call.in-progress.twilio-completed-call', 'completed'],
    ['call.in-progress.sip-completed-call', 'completed'],
    ['vonage-completed', 'completed'],
    ['customer-ended-call-during-transfer', 'completed'],
    ['customer-ended-call-before-warm-transfer', 'completed'],
    ['customer-ended-call-after-warm-transfer-attempt', 'completed'],
    ['assistant-request-returned-forwarding-phone-number', 'completed'],
    ['call.ringing.hook-executed-say', 'completed'],
    ['call.ringing.hook-executed-transfer', 'completed'],
    ['call.ending.hook-executed-say', 'completed'],
    ['call.ending.hook-executed-transfer', 'completed'],
    ['call.forwarding.operator-busy', 'busy'],
    ['call.forwarding.no-answer', 'no_answer'],
    ['call.ringing.sip-inbound-caller-hungup-before-call-connect', 'canceled'],
    ['customer-did-not-give-microphone-permission', 'rejected'],
    ['scheduled-call-deleted', 'not_placed'],
    ['assistant-request-returned-invalid-assistant', 'failed'],
    ['assistant-request-returned-no-assistant', 'failed'],
    ['assistant-not-valid', 'failed'],
    ['assistant-not-found', 'failed'],
    ['assistant-join-timed-out', 'failed'],
    ['worker-shutdown', 'failed'],
    ['phone-call-provider-closed-websocket', 'failed'],
    ['phone-call-provider-bypass-enabled-but-no-call-received', 'failed'],
    ['vonage-disconnected', 'unknown'],
    ['call-deleted', 'unknown'],
    ['something-new', 'unknown'],
    ['__proto__', 'unknown'],
  ];

  it.each(rows)('%s → %s', (reason, outcome) => {
    // Act / Assess
    expect(outcomeOfEndedReason(reason)).toBe(outcome);
  });

  it('tests every exact table entry', () => {
    // Assess
    for (const reason of OUTCOME_BY_ENDED_REASON.keys()) expect(rows.map(([r]) => r)).toContain(reason);
  });

  it.each([null, undefined, 5, ['voicemail']])('maps a non-string %j to unknown', (reason) => {
    // Act / Assess
    expect(outcomeOfEndedReason(reason)).toBe('unknown');
  });
});

const reportWith = (
  change: (message: Record<string, unknown>) => void,
  overrides: Partial<Delivery> = {},
) => {
  const body = vapiMessage('end-of-call-report');
  change(body.message);
  return delivery(body, { provider: 'vapi', callId: CALL_ID, eventType: 'end-of-call-report', ...overrides });
};

const recordOf = (...deliveries: Delivery[]): CallRecord => {
  const record = vapiNormalizer.toCallRecord(deliveries);
  if (record === null) throw new Error('expected a record');
  return record;
};

describe('vapiNormalizer', () => {
  const report = delivery(rawFixture('vapi', 'end-of-call-report'), {
    provider: 'vapi',
    callId: CALL_ID,
    eventType: 'end-of-call-report',
    deliveryId: 'report',
    receivedAt: '2025-01-01T00:01:10.000Z',
  });
  const status = delivery(rawFixture('vapi', 'status-update'), {
    provider: 'vapi',
    callId: CALL_ID,
    eventType: 'status-update',
    deliveryId: 'status',
    receivedAt: '2025-01-01T00:00:00.500Z',
  });

  it('makes the record of the documented end-of-call-report', () => {
    // Act
    const record = recordOf(report);

    // Assess
    const fixture = vapiMessage('end-of-call-report').message as Record<string, Record<string, unknown>>;
    expect(record).toEqual({
      provider: 'vapi',
      callId: CALL_ID,
      from: '+14155550199',
      to: '+14155550100',
      direction: 'outbound',
      startedAt: '2025-01-01T00:00:00.000Z',
      answeredAt: null,
      endedAt: '2025-01-01T00:01:05.000Z',
      durationSeconds: 65,
      outcome: 'completed',
      answered: true,
      hangupCause: 'customer-ended-call',
      receivedAt: '2025-01-01T00:01:10.000Z',
      details: {
        callType: 'outboundPhoneCall',
        assistantId: '5b2a9c1d-7e3f-4a6b-8c9d-0e1f2a3b4c5d',
        phoneNumberId: 'c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f',
        transcript: fixture.artifact?.transcript,
        summary: 'The customer asked about an order; it ships tomorrow.',
        recordingUrl: 'https://storage.vapi.ai/0a8a3f2c-mono.wav',
        stereoRecordingUrl: 'https://storage.vapi.ai/0a8a3f2c-stereo.wav',
        cost: 0.1234,
        costBreakdown: fixture.costBreakdown,
        analysis: fixture.analysis,
      },
    });
  });

  it('names the customer the caller of an inbound call', () => {
    // Act
    const record = recordOf(reportWith((m) => Object.assign(m.call as object, { type: 'inboundPhoneCall' })));

    // Assess
    expect(record).toMatchObject({ direction: 'inbound', from: '+14155550100', to: '+14155550199' });
  });

  it('gives a web call no direction and no from/to', () => {
    // Act
    const record = recordOf(reportWith((m) => Object.assign(m.call as object, { type: 'webCall' })));

    // Assess
    expect(record).toMatchObject({ direction: null, from: null, to: null });
  });

  it('reads the older report shape: transcript, summary and recording on the message, parties on the call', () => {
    // Act
    const record = recordOf(
      reportWith((m) => {
        delete m.artifact;
        delete m.analysis;
        delete m.phoneNumber;
        delete m.customer;
        Object.assign(m, { transcript: 'AI: hi', summary: 'short', recordingUrl: 'https://r/x.wav' });
        Object.assign(m.call as object, {
          customer: { number: '14155550111' },
          phoneNumber: { number: '+14155550122' },
        });
      }),
    );

    // Assess
    expect(record).toMatchObject({ from: '+14155550122', to: '+14155550111' });
    expect(record.details).toMatchObject({
      transcript: 'AI: hi',
      summary: 'short',
      recordingUrl: 'https://r/x.wav',
      analysis: null,
    });
  });

  it('is the same record from a report, its duplicate and other messages in any order', () => {
    // Prepare
    const duplicate = { ...report, deliveryId: 'report-again', receivedAt: '2025-01-01T00:01:11.000Z' };
    const expected = recordOf(report);

    // Act
    const orders = [
      [report, duplicate, status],
      [status, duplicate, report],
      [duplicate, report],
      [duplicate, status, report],
    ].map((order) => recordOf(...order));

    // Assess
    for (const record of orders) expect(record).toEqual(expected);
  });

  it('has no record without an end-of-call-report', () => {
    // Act / Assess
    expect(vapiNormalizer.toCallRecord([status])).toBeNull();
    expect([...vapiNormalizer.recordEvents]).toEqual(['end-of-call-report']);
  });

  it('keeps an unknown reason as hangupCause with outcome unknown', () => {
    // Act
    const record = recordOf(reportWith((m) => Object.assign(m, { endedReason: 'call.brand-new' })));

    // Assess
    expect(record).toMatchObject({ outcome: 'unknown', answered: false, hangupCause: 'call.brand-new' });
  });

  it('turns unreadable fields into null and derives nothing from them', () => {
    // Act
    const record = recordOf(
      reportWith((m) =>
        Object.assign(m, {
          startedAt: 'not a time',
          endedAt: 17,
          endedReason: 42,
          customer: { number: ['x'] },
        }),
      ),
    );
    const backwards = recordOf(reportWith((m) => Object.assign(m, { endedAt: '2024-12-31T23:59:00.000Z' })));

    // Assess
    expect(record).toMatchObject({
      startedAt: null,
      endedAt: null,
      durationSeconds: null,
      to: null,
      hangupCause: '',
      outcome: 'unknown',
    });
    expect(backwards).toMatchObject({ endedAt: '2024-12-31T23:59:00.000Z', durationSeconds: null });
  });

  it('reads startedAt/endedAt from message.call when the message has none (the SDK Call type has them there)', () => {
    // Act
    const onCall = recordOf(
      reportWith((m) => {
        Object.assign(m.call as object, { startedAt: m.startedAt, endedAt: m.endedAt });
        delete m.startedAt;
        delete m.endedAt;
      }),
    );
    const onBoth = recordOf(
      reportWith((m) =>
        Object.assign(m.call as object, {
          startedAt: '2025-01-01T00:00:30.000Z',
          endedAt: '2025-01-01T00:09:00.000Z',
        }),
      ),
    );

    // Assess
    const times = {
      startedAt: '2025-01-01T00:00:00.000Z',
      endedAt: '2025-01-01T00:01:05.000Z',
      durationSeconds: 65,
    };
    expect(onCall).toMatchObject(times);
    expect(onBoth).toMatchObject(times);
  });

  it('converts times with offsets to UTC', () => {
    // Act
    const record = recordOf(
      reportWith((m) =>
        Object.assign(m, { startedAt: '2025-01-01T05:30:00+05:30', endedAt: '2025-01-01T05:31:00.5+05:30' }),
      ),
    );

    // Assess
    expect(record).toMatchObject({
      startedAt: '2025-01-01T00:00:00.000Z',
      endedAt: '2025-01-01T00:01:00.500Z',
      durationSeconds: 60.5,
    });
  });
});

describe('functions/vapi-webhook.ts', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('fails its cold start on a bad setting, with the one-line reason', async () => {
    // Prepare
    vi.resetModules();
    vi.stubEnv('VAPI_HMAC_ENCODING', 'base58');

    // Act
    const loading = import('../../functions/vapi-webhook');

    // Assess
    await expect(loading).rejects.toThrow('VAPI_HMAC_ENCODING must be one of hex, base64 (got "base58")');
  });

  it('loads with the defaults', async () => {
    // Prepare
    vi.resetModules();

    // Act
    const module = await import('../../functions/vapi-webhook');

    // Assess
    expect(module.provider.name).toBe('vapi');
  });
});

import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import {
  plivoIngress,
  plivoSignatureV3,
  plivoSignedUrl,
  verifyPlivoSignature,
} from '../../lib/providers/plivo/ingress';
import {
  createPlivoNormalizer,
  outcomeOfCallStatus,
  plivoNormalizer,
} from '../../lib/providers/plivo/normalize';
import type { Outcome } from '../../lib/record';
import { delivery } from '../support/deliveries';
import { authContext, webhookRequest } from '../support/requests';
import { rawFormFixture, withFields } from '../support/signed-requests';

const thrown = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

/**
 * Official V3 vectors (VERIFIED in shared/providers-next.md §5): plivo/plivo-go utils_test.go
 * TestValidateSignatureV3Pass1-4.
 */
describe('Plivo official signature V3 vectors', () => {
  const TOKEN = 'Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4';
  const NONCE = '31627761595286130198';
  const UUID = '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36';
  const PARAMS: [string, string][] = [
    ['Direction', 'outbound'],
    ['From', '19792014278'],
    ['ALegUUID', UUID],
    ['ALegRequestUUID', UUID],
    ['CallUUID', UUID],
    ['RequestUUID', UUID],
    ['CallStatus', 'in-progress'],
    ['BillRate', '0.002'],
    ['ParentAuthID', 'MANWVLYTK4ZWU1YTY4QA'],
    ['To', 'sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com'],
    ['SIP-H-To', '<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1'],
    ['SessionStart', '2020-04-08 11:34:33.238707'],
    ['Event', 'StartApp'],
  ];
  const WITH_QUERY = 'https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml/?a=b&c=d';
  const WITHOUT_QUERY = 'https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml';
  const BODY = Buffer.from(new URLSearchParams(PARAMS).toString());

  it.each([
    ['POST', WITH_QUERY, 'k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c='],
    ['GET', WITH_QUERY, 'UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ='],
    ['POST', WITHOUT_QUERY, 'iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0='],
    ['GET', WITHOUT_QUERY, 'i/MQsaQSAd6fiKhOh2qeeeLHZ9faldADSb3/7+Akfbc='],
  ])('%s %s → %s', (method, url, expected) => {
    // Act
    const signature = plivoSignatureV3(TOKEN, url, PARAMS, NONCE, method);
    const headers = { 'x-plivo-signature-v3': expected, 'x-plivo-signature-v3-nonce': NONCE };

    // Assess
    expect(signature).toBe(expected);
    expect(() => verifyPlivoSignature(BODY, headers, url, [TOKEN], method)).not.toThrow();
  });

  it('builds the signed string the documented way for each shape', () => {
    // Prepare
    const params: [string, string][] = [
      ['b', '2'],
      ['a', '1'],
    ];

    // Assess
    expect(plivoSignedUrl('https://h.test/p?d=4&c=3', params, 'POST')).toBe('https://h.test/p?c=3&d=4.a1b2');
    expect(plivoSignedUrl('https://h.test/p', params, 'POST')).toBe('https://h.test/p?a1b2');
    expect(plivoSignedUrl('https://h.test/p', [], 'POST')).toBe('https://h.test/p');
    expect(plivoSignedUrl('https://h.test/p?d=4&c=3#rc=2', params, 'GET')).toBe(
      'https://h.test/p?a=1&b=2&c=3&d=4',
    );
  });
});

/** One valid signed hangup; each test below breaks exactly one thing of it. */
describe('plivoIngress.authenticate', () => {
  const SECRETS = ['current-auth-token', 'next-auth-token'];
  const NONCE = '12345678901234567890';
  const URL_SIGNED = 'https://calls.example.com/webhooks/plivo?tenant=a&x=1';
  const BODY = rawFormFixture('plivo', 'hangup');
  const sign = (body: string, url = URL_SIGNED, token = SECRETS[0] as string, nonce = NONCE) =>
    plivoSignatureV3(token, url, [...new URLSearchParams(body)], nonce);
  const request = (
    parts: { body?: string; url?: string; headers?: Record<string, string | undefined> } = {},
  ) => {
    const body = parts.body ?? BODY;
    return webhookRequest({
      rawBody: Buffer.from(body),
      url: parts.url ?? URL_SIGNED,
      headers: { 'x-plivo-signature-v3': sign(body), 'x-plivo-signature-v3-nonce': NONCE, ...parts.headers },
    });
  };
  const check =
    (req: ReturnType<typeof webhookRequest>, secrets: readonly string[] = SECRETS) =>
    () =>
      plivoIngress.authenticate(req, secrets, authContext());

  it('accepts the valid request', () => {
    // Assess
    expect(check(request())).not.toThrow();
  });

  it('accepts the next token while rotating, and a signature list where any one matches', () => {
    // Prepare
    const next = request({ headers: { 'x-plivo-signature-v3': sign(BODY, URL_SIGNED, SECRETS[1]) } });
    const list = request({ headers: { 'x-plivo-signature-v3': `bm90IGl0, ${sign(BODY)}` } });

    // Act / Assess
    expect(check(next)).not.toThrow();
    expect(check(list)).not.toThrow();
  });

  it('accepts X-Plivo-Signature-Ma-V3 like V3, with the same tokens', () => {
    // Prepare
    const req = request({
      headers: { 'x-plivo-signature-v3': undefined, 'x-plivo-signature-ma-v3': sign(BODY) },
    });

    // Act / Assess
    expect(check(req)).not.toThrow();
  });

  it('accepts a reordered query: Plivo sorts it itself', () => {
    // Prepare
    const req = request({ url: 'https://calls.example.com/webhooks/plivo?x=1&tenant=a' });

    // Act / Assess
    expect(check(req)).not.toThrow();
  });

  it('rejects the old token once rotation is done (stale second token)', () => {
    // Act
    const error = thrown(check(request(), [SECRETS[1] as string]));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
  });

  it.each([
    [
      'a wrong token',
      () => request({ headers: { 'x-plivo-signature-v3': sign(BODY, URL_SIGNED, 'wrong') } }),
    ],
    [
      'a changed parameter',
      () =>
        request({
          body: withFields(BODY, { Duration: '53' }),
          headers: { 'x-plivo-signature-v3': sign(BODY) },
        }),
    ],
    ['another nonce', () => request({ headers: { 'x-plivo-signature-v3-nonce': '1' } })],
    ['a missing nonce', () => request({ headers: { 'x-plivo-signature-v3-nonce': undefined } })],
    ['a missing signature header', () => request({ headers: { 'x-plivo-signature-v3': undefined } })],
    ['an empty signature list', () => request({ headers: { 'x-plivo-signature-v3': ' , ' } })],
    [
      'a URL with a port it was not signed with',
      () => request({ url: 'https://calls.example.com:443/webhooks/plivo?tenant=a&x=1' }),
    ],
    [
      'a URL without the port it was signed with',
      () =>
        request({
          headers: {
            'x-plivo-signature-v3': sign(BODY, 'https://calls.example.com:8443/webhooks/plivo?tenant=a&x=1'),
          },
        }),
    ],
    ['another path', () => request({ url: 'https://calls.example.com/webhooks/plivo/?tenant=a&x=1' })],
    [
      'a changed query value',
      () => request({ url: 'https://calls.example.com/webhooks/plivo?tenant=b&x=1' }),
    ],
  ])('rejects %s with 401', (_, build) => {
    // Act
    const error = thrown(check(build()));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
  });

  it('signs decoded form values: `+` is a space', () => {
    // Prepare: the fixture sends AnswerTime=2020-04-08+11%3A34%3A40
    const literal = plivoSignatureV3(
      SECRETS[0] as string,
      URL_SIGNED,
      BODY.split('&').map((pair) => pair.split('=') as [string, string]),
      NONCE,
    );

    // Act
    const error = thrown(check(request({ headers: { 'x-plivo-signature-v3': literal } })));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(check(request())).not.toThrow();
  });

  it('rejects everything when no token is configured', () => {
    // Assess
    expect(thrown(check(request(), []))).toBeInstanceOf(UnauthorizedError);
  });
});

describe('plivoIngress.parse and identify', () => {
  const BODY = rawFormFixture('plivo', 'hangup');
  const req = webhookRequest({ rawBody: Buffer.alloc(0) });
  const identify = (body: string) => plivoIngress.identify(plivoIngress.parse?.(body, req) ?? {});
  const UUID = '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36';

  it('identifies the hangup by Event and CallUUID', () => {
    // Assess
    expect(identify(BODY)).toEqual({ eventType: 'Hangup', callId: UUID });
  });

  it('falls back to CallStatus when there is no Event', () => {
    // Assess
    expect(identify(withFields(BODY, { Event: undefined, CallStatus: 'busy' }))).toEqual({
      eventType: 'busy',
      callId: UUID,
    });
  });

  it('acknowledges other events of the call (StartApp)', () => {
    // Assess
    expect(identify(withFields(BODY, { Event: 'StartApp' }))).toEqual({
      eventType: 'StartApp',
      callId: UUID,
    });
  });

  it.each([
    [
      'no Event and no CallStatus',
      withFields(BODY, { Event: undefined, CallStatus: undefined }),
      'body has no Event or CallStatus',
    ],
    ['no CallUUID', withFields(BODY, { CallUUID: undefined }), 'callback has no CallUUID'],
    [
      'a CallUUID over 200 characters',
      withFields(BODY, { CallUUID: 'u'.repeat(201) }),
      'CallUUID is longer than 200 characters',
    ],
    ['a JSON body', '{"Event":"Hangup","CallUUID":"x"}', 'body is not a form'],
  ])('answers 400 for %s', (_, body, reason) => {
    // Act
    const error = thrown(() => identify(body));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(reason);
  });
});

describe('Plivo outcomes (spec §6), row by row', () => {
  it.each<[string | null, Outcome]>([
    ['completed', 'completed'],
    ['busy', 'busy'],
    ['no-answer', 'no_answer'],
    ['timeout', 'no_answer'],
    ['cancel', 'canceled'],
    ['failed', 'failed'],
    ['in-progress', 'unknown'],
    ['__proto__', 'unknown'],
    [null, 'unknown'],
  ])('CallStatus %s → %s', (status, outcome) => {
    // Assess
    expect(outcomeOfCallStatus(status)).toBe(outcome);
  });
});

describe('plivoNormalizer.toCallRecord', () => {
  const BODY = rawFormFixture('plivo', 'hangup');
  const UUID = '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36';
  const hangup = (body = BODY, overrides: Partial<Delivery> = {}): Delivery =>
    delivery(body, {
      provider: 'plivo',
      eventType: 'Hangup',
      callId: UUID,
      receivedAt: '2020-04-08T11:35:33.000Z',
      ...overrides,
    });

  it('turns the hangup into a record (UTC by default)', () => {
    // Act
    const record = plivoNormalizer.toCallRecord([hangup()]);

    // Assess
    expect(record).toEqual({
      provider: 'plivo',
      callId: UUID,
      from: '+19792014278',
      to: '+14157654321',
      direction: 'outbound',
      startedAt: '2020-04-08T11:34:33.000Z',
      answeredAt: '2020-04-08T11:34:40.000Z',
      endedAt: '2020-04-08T11:35:32.000Z',
      durationSeconds: 52,
      outcome: 'completed',
      answered: true,
      hangupCause: 'Normal Hangup',
      receivedAt: '2020-04-08T11:35:33.000Z',
      details: {
        billDuration: 60,
        billRate: '0.002',
        totalCost: '0.00200',
        callStatus: 'completed',
        hangupCauseCode: '4000',
        hangupSource: 'Callee',
        legacyHangupCause: 'NORMAL_CLEARING',
        aLegUuid: UUID,
        aLegRequestUuid: UUID,
        requestUuid: UUID,
        parentAuthId: 'MANWVLYTK4ZWU1YTY4QA',
        sessionStart: '2020-04-08 11:34:33.238707',
      },
    });
  });

  it('reads the zone-less times in PLIVO_TIMEZONE', () => {
    // Act
    const record = createPlivoNormalizer('America/Los_Angeles').toCallRecord([hangup()]);

    // Assess
    expect(record).toMatchObject({
      startedAt: '2020-04-08T18:34:33.000Z',
      answeredAt: '2020-04-08T18:34:40.000Z',
      endedAt: '2020-04-08T18:35:32.000Z',
    });
  });

  it('refuses a zone that is not an IANA name', () => {
    // Assess
    expect(() => createPlivoNormalizer('Mars/Olympus')).toThrow('not an IANA time zone');
  });

  it('makes empty times null (never answered) and derives nothing from them', () => {
    // Prepare
    const body = withFields(BODY, {
      CallStatus: 'no-answer',
      AnswerTime: '',
      Duration: '0',
      HangupCauseName: 'No Answer',
    });

    // Act
    const record = plivoNormalizer.toCallRecord([hangup(body)]);

    // Assess
    expect(record).toMatchObject({
      answeredAt: null,
      outcome: 'no_answer',
      answered: false,
      durationSeconds: 0,
      hangupCause: 'No Answer',
    });
  });

  it.each([
    ['Anonymous', 'Anonymous'],
    ['Private', 'Private'],
    ['Restricted', 'Restricted'],
    ['sip:alice@phone.plivo.com', 'sip:alice@phone.plivo.com'],
    ['+14157654321', '+14157654321'],
    ['14157654321', '+14157654321'],
  ])('keeps From %s as %s', (from, expected) => {
    // Act
    const record = plivoNormalizer.toCallRecord([hangup(withFields(BODY, { From: from }))]);

    // Assess
    expect(record?.from).toBe(expected);
  });

  it('makes the record from an Event-less callback with a terminal CallStatus', () => {
    // Prepare
    const body = withFields(BODY, { Event: undefined, CallStatus: 'timeout' });

    // Act
    const record = plivoNormalizer.toCallRecord([hangup(body, { eventType: 'timeout' })]);

    // Assess
    expect(record).toMatchObject({ outcome: 'no_answer' });
  });

  it('returns null while no hangup is stored (StartApp, an Event with a status-like name)', () => {
    // Prepare
    const startApp = hangup(withFields(BODY, { Event: 'StartApp', CallStatus: 'in-progress' }), {
      eventType: 'StartApp',
    });

    // Assess
    expect(plivoNormalizer.toCallRecord([startApp])).toBeNull();
    expect(plivoNormalizer.toCallRecord([])).toBeNull();
  });

  it('gives the same record for duplicates and retries in any order', () => {
    // Prepare
    const first = hangup(BODY, { deliveryId: 'a' });
    const retry = hangup(BODY, { deliveryId: 'b', receivedAt: '2020-04-08T11:36:00.000Z' });
    const startApp = hangup(withFields(BODY, { Event: 'StartApp' }), {
      eventType: 'StartApp',
      deliveryId: 'c',
      receivedAt: '2020-04-08T11:34:33.500Z',
    });

    // Act
    const records = [[first], [first, retry], [retry, first], [retry, startApp, first, first]].map((set) =>
      plivoNormalizer.toCallRecord(set),
    );

    // Assess
    for (const record of records) expect(record).toEqual(records[0]);
  });

  it('makes unreadable fields null and never throws on odd bodies', () => {
    // Prepare
    const odd = withFields(BODY, {
      StartTime: 'soon',
      Duration: 'long',
      Direction: 'up',
      HangupCauseName: undefined,
    });
    const weird = ['', '%', '{}', '__proto__=1&Event=Hangup'].map((body) => hangup(body));

    // Act
    const record = plivoNormalizer.toCallRecord([hangup(odd)]);
    const act = () => weird.map((d) => plivoNormalizer.toCallRecord([d]));

    // Assess
    expect(record).toMatchObject({
      startedAt: null,
      durationSeconds: null,
      direction: null,
      hangupCause: '',
    });
    expect(act).not.toThrow();
  });
});

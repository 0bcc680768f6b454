import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import { parseJsonObject } from '../../lib/http';
import {
  bodyHashParameter,
  twilioIngress,
  twilioSignature,
  urlVariants,
  verifyTwilioSignature,
} from '../../lib/providers/twilio/ingress';
import { outcomeOfCallStatus, twilioNormalizer } from '../../lib/providers/twilio/normalize';
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

const form = (pairs: readonly (readonly [string, string])[]) =>
  Buffer.from(new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])).toString());

/**
 * Official vectors (VERIFIED in shared/providers-next.md §1): twilio-python
 * tests/unit/test_request_validator.py and twilio-csharp RequestValidatorTest.cs (token 12345).
 */
describe('Twilio official signature vectors', () => {
  const TOKEN = '12345';
  const PARAMS: [string, string][] = [
    ['CallSid', 'CA1234567890ABCDE'],
    ['Caller', '+14158675309'],
    ['Digits', '1234'],
    ['From', '+14158675309'],
    ['To', '+18005551212'],
  ];
  const BODY = form(PARAMS);
  const verify =
    (url: string, signature: string, body = BODY) =>
    () =>
      verifyTwilioSignature(body, { 'x-twilio-signature': signature }, url, [TOKEN]);

  it.each([
    ['https://mycompany.com/myapp.php?foo=1&bar=2', 'RSOYDt4T1cUTdK1PDd93/VVr8B8='],
    ['https://mycompany.com:443/myapp.php?foo=1&bar=2', 'kvajT1Ptam85bY51eRf/AJRuM3w='],
    ['http://mycompany.com:80/myapp.php?foo=1&bar=2', '0ZXoZLH/DfblKGATFgpif+LLRf4='],
    ['http://mycompany.com:1234/myapp.php?foo=1&bar=2', 'Zmvh+3yNM1Phv2jhDCwEM3q5ebU='],
    ['https://mycompany.com:1234/myapp.php?foo=1&bar=2', 'CYn1h0gLBdNxDGkKJg6hYohgeD8='],
    ['https://MyCompany.com/myapp.php?foo=1&bar=2', 'g9IN/x4Cft2g517EjYvEvM/W7LU='],
    ['https://MyCompany.com:1234/myapp.php?foo=1&bar=2', 'PCqOZm8cnu/L6+u5i5fuEd+Iac4='],
  ])('signs the five-parameter case over %s as %s', (url, expected) => {
    // Act
    const signature = twilioSignature(TOKEN, url, PARAMS);

    // Assess
    expect(signature).toBe(expected);
    expect(verify(url, expected)).not.toThrow();
  });

  it.each([
    [
      'kvajT1Ptam85bY51eRf/AJRuM3w= (signed with :443)',
      'https://mycompany.com/myapp.php?foo=1&bar=2',
      'kvajT1Ptam85bY51eRf/AJRuM3w=',
    ],
    [
      '0ZXoZLH/DfblKGATFgpif+LLRf4= (signed with :80)',
      'http://mycompany.com/myapp.php?foo=1&bar=2',
      '0ZXoZLH/DfblKGATFgpif+LLRf4=',
    ],
    [
      'RSOYDt4T1cUTdK1PDd93/VVr8B8= (signed without :1234)',
      'https://mycompany.com:1234/myapp.php?foo=1&bar=2',
      'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
    ],
    [
      'RSOYDt4T1cUTdK1PDd93/VVr8B8= (signed without :443)',
      'https://mycompany.com:443/myapp.php?foo=1&bar=2',
      'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
    ],
  ])('accepts %s for %s, as the SDKs try the URL with and without its port', (_, url, signature) => {
    // Act
    const act = verify(url, signature);

    // Assess
    expect(act).not.toThrow();
  });

  it('keeps the host case it received: the MyCompany.com signature fails for https://mycompany.com', () => {
    // Act
    const error = thrown(
      verify('https://mycompany.com/myapp.php?foo=1&bar=2', 'g9IN/x4Cft2g517EjYvEvM/W7LU='),
    );

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
  });

  it('accepts the lower-case host signature for https://MyCompany.com (twilio-node falls back to new URL())', () => {
    // Act
    const act = verify('https://MyCompany.com/myapp.php?foo=1&bar=2', 'RSOYDt4T1cUTdK1PDd93/VVr8B8=');

    // Assess
    expect(act).not.toThrow();
  });

  it('signs repeated keys sorted by key, then value (Digits1234Digits5678…)', () => {
    // Prepare
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const body = form([
      ['Sid', 'CA123'],
      ['SidAccount', 'AC123'],
      ['Digits', '5678'],
      ['Digits', '1234'],
    ]);

    // Act
    const act = verify(url, 'IK+Dwps556ElfBT0I3Rgjkr1wJU=', body);

    // Assess
    expect(act).not.toThrow();
  });

  describe('JSON body with bodySHA256', () => {
    const JSON_BODY = Buffer.from('{"property": "value", "boolean": true}');
    const HASH = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';

    it('hashes the documented body to the documented sha256', () => {
      // Assess
      expect(createHash('sha256').update(JSON_BODY).digest('hex')).toBe(HASH);
    });

    it.each([
      [`https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=${HASH}`, 'a9nBmqA0ju/hNViExpshrM61xv4='],
      [`https://mycompany.com/myapp.php?bodySHA256=${HASH}`, 'y77kIzt2vzLz71DgmJGsen2scGs='],
    ])('accepts %s signed (URL only) as %s', (url, signature) => {
      // Act
      const act = verify(url, signature, JSON_BODY);

      // Assess
      expect(twilioSignature(TOKEN, url, [])).toBe(signature);
      expect(act).not.toThrow();
    });

    it('rejects the documented signature when the body is changed by one byte', () => {
      // Prepare
      const url = `https://mycompany.com/myapp.php?bodySHA256=${HASH}`;
      const changed = Buffer.from('{"property": "value", "boolean": false}');

      // Act
      const error = thrown(verify(url, 'y77kIzt2vzLz71DgmJGsen2scGs=', changed));

      // Assess
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as Error).message).toBe('bodySHA256 does not match the body');
    });

    it('reads bodySHA256 from the raw query only', () => {
      // Assess
      expect(bodyHashParameter(`https://x.test/p?a=1&bodySHA256=${HASH}`)).toBe(HASH);
      expect(bodyHashParameter('https://x.test/p?a=1')).toBeNull();
      expect(bodyHashParameter('https://x.test/p')).toBeNull();
    });
  });
});

describe('urlVariants', () => {
  it.each([
    ['https://a.example/p?q=1', ['https://a.example/p?q=1', 'https://a.example:443/p?q=1']],
    ['http://a.example/p', ['http://a.example/p', 'http://a.example:80/p']],
    ['https://a.example:8443/p', ['https://a.example/p', 'https://a.example:8443/p']],
    [
      'https://u:p@A.example/p?x=%2B+y',
      [
        'https://u:p@A.example/p?x=%2B+y',
        'https://u:p@A.example:443/p?x=%2B+y',
        'https://u:p@a.example/p?x=%2B+y',
        'https://u:p@a.example:443/p?x=%2B+y',
        'https://u:p@a.example/p?x=%2B%20y',
        'https://u:p@a.example:443/p?x=%2B%20y',
      ],
    ],
    [
      "https://a.example/p?n='o'",
      [
        "https://a.example/p?n='o'",
        "https://a.example:443/p?n='o'",
        'https://a.example/p?n=%27o%27',
        'https://a.example:443/p?n=%27o%27',
      ],
    ],
    ['http://[::1]:3000/p', ['http://[::1]/p', 'http://[::1]:3000/p']],
    ['not a url', ['not a url']],
  ])('%s → %j', (url, expected) => {
    // Assess
    expect(urlVariants(url)).toEqual(expected);
  });
});

/** One valid signed request; each test below breaks exactly one thing of it. */
describe('twilioIngress.authenticate', () => {
  const SECRETS = ['current-auth-token', 'next-auth-token'];
  const URL_SIGNED = 'https://calls.example.com/webhooks/twilio?tenant=a%2Bb&x=1';
  const BODY = rawFormFixture('twilio', 'status-completed');
  const signed = (body: string, url = URL_SIGNED, token = SECRETS[0] as string) =>
    twilioSignature(token, url, [...new URLSearchParams(body)]);
  const request = (
    parts: { body?: string; url?: string; signature?: string | undefined } = {},
  ): ReturnType<typeof webhookRequest> => {
    const body = parts.body ?? BODY;
    const signature = 'signature' in parts ? parts.signature : signed(body);
    return webhookRequest({
      rawBody: Buffer.from(body),
      url: parts.url ?? URL_SIGNED,
      headers: signature === undefined ? {} : { 'x-twilio-signature': signature },
    });
  };
  const check =
    (req: ReturnType<typeof webhookRequest>, secrets: readonly string[] = SECRETS) =>
    () =>
      twilioIngress.authenticate(req, secrets, authContext());

  it('accepts the valid request', () => {
    // Act
    const act = check(request());

    // Assess
    expect(act).not.toThrow();
  });

  it('accepts the next token while rotating', () => {
    // Prepare
    const req = request({ signature: signed(BODY, URL_SIGNED, SECRETS[1]) });

    // Act
    const act = check(req);

    // Assess
    expect(act).not.toThrow();
  });

  it('rejects the old token once rotation is done (stale second token)', () => {
    // Prepare
    const req = request();

    // Act
    const error = thrown(check(req, [SECRETS[1] as string]));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
  });

  it.each([
    ['a wrong token', () => request({ signature: signed(BODY, URL_SIGNED, 'wrong-token') })],
    [
      'a changed parameter',
      () => request({ signature: signed(BODY), body: withFields(BODY, { CallDuration: '38' }) }),
    ],
    ['an added parameter', () => request({ signature: signed(BODY), body: `${BODY}&Extra=1` })],
    [
      'a body changed by one byte',
      () => request({ signature: signed(BODY), body: BODY.replace('CallDuration=37', 'CallDuration=47') }),
    ],
    [
      'a reordered query (signed as received, never rebuilt)',
      () => request({ url: 'https://calls.example.com/webhooks/twilio?x=1&tenant=a%2Bb' }),
    ],
    [
      'a re-ordered query',
      () =>
        request({
          signature: signed(BODY),
          url: 'https://calls.example.com/webhooks/twilio?x=1&tenant=a%2Bb',
        }),
    ],
    [
      'another host',
      () =>
        request({
          signature: signed(BODY),
          url: 'https://calls.example.org/webhooks/twilio?tenant=a%2Bb&x=1',
        }),
    ],
    [
      'another scheme',
      () =>
        request({
          signature: signed(BODY),
          url: 'http://calls.example.com/webhooks/twilio?tenant=a%2Bb&x=1',
        }),
    ],
    [
      'another port',
      () =>
        request({
          signature: signed(BODY, 'https://calls.example.com:8443/webhooks/twilio?tenant=a%2Bb&x=1'),
        }),
    ],
    ['a missing header', () => request({ signature: undefined })],
    ['an empty header', () => request({ signature: '' })],
  ])('rejects %s with 401', (_, build) => {
    // Act
    const error = thrown(check(build()));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).statusCode).toBe(401);
  });

  it('accepts a signature made over the URL with :443 when the request URL has none, and the reverse', () => {
    // Prepare
    const withPort = 'https://calls.example.com:443/webhooks/twilio?tenant=a%2Bb&x=1';
    const signedWithPort = request({ signature: signed(BODY, withPort) });
    const receivedWithPort = request({ url: withPort, signature: signed(BODY) });

    // Act / Assess
    expect(check(signedWithPort)).not.toThrow();
    expect(check(receivedWithPort)).not.toThrow();
  });

  it('signs decoded form values: `+` is a space, not a plus', () => {
    // Prepare: the fixture's Timestamp is sent as Mon%2C+16+Aug+2010…
    const decoded = twilioSignature(SECRETS[0] as string, URL_SIGNED, [...new URLSearchParams(BODY)]);
    const literal = twilioSignature(
      SECRETS[0] as string,
      URL_SIGNED,
      BODY.split('&').map((pair) => pair.split('=') as [string, string]),
    );

    // Act / Assess
    expect(check(request({ signature: decoded }))).not.toThrow();
    expect(thrown(check(request({ signature: literal })))).toBeInstanceOf(UnauthorizedError);
  });

  it('rejects everything when no token is configured', () => {
    // Act
    const error = thrown(check(request(), []));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
  });

  it('never puts the token or the signature into the error', () => {
    // Act
    const error = thrown(check(request({ signature: signed(BODY, URL_SIGNED, 'wrong-token') }))) as Error;

    // Assess
    expect(error.message).not.toContain(SECRETS[0]);
    expect(error.message).not.toContain(signed(BODY, URL_SIGNED, 'wrong-token'));
  });
});

describe('twilioIngress.parse and identify', () => {
  const formRequest = webhookRequest({ rawBody: Buffer.alloc(0), url: 'https://x.test/webhooks/twilio' });
  const identify = (body: string, req = formRequest) =>
    twilioIngress.identify(twilioIngress.parse?.(body, req) ?? {});
  const BODY = rawFormFixture('twilio', 'status-completed');

  it('identifies the status callback by CallStatus and CallSid', () => {
    // Act
    const identity = identify(BODY);

    // Assess
    expect(identity).toEqual({ eventType: 'completed', callId: 'CA1234567890ABCDEF1234567890ABCDEF' });
  });

  it.each([
    'queued',
    'initiated',
    'ringing',
    'in-progress',
    'busy',
    'no-answer',
    'canceled',
    'failed',
    'some-future-status',
  ])('acknowledges CallStatus=%s with its CallSid', (status) => {
    // Act
    const identity = identify(withFields(BODY, { CallStatus: status }));

    // Assess
    expect(identity).toEqual({ eventType: status, callId: 'CA1234567890ABCDEF1234567890ABCDEF' });
  });

  it('identifies an answering-machine-detection callback (AnsweredBy, no CallStatus)', () => {
    // Act
    const identity = identify(withFields(BODY, { CallStatus: undefined, AnsweredBy: 'machine_end_beep' }));

    // Assess
    expect(identity).toEqual({
      eventType: 'machine-detection',
      callId: 'CA1234567890ABCDEF1234567890ABCDEF',
    });
  });

  it.each([
    ['no CallStatus', withFields(BODY, { CallStatus: undefined }), 'body has no CallStatus'],
    ['no CallSid', withFields(BODY, { CallSid: undefined }), 'status callback has no CallSid'],
    ['an empty CallSid', withFields(BODY, { CallSid: '' }), 'status callback has no CallSid'],
    [
      'a CallSid over 200 characters',
      withFields(BODY, { CallSid: 'C'.repeat(201) }),
      'CallSid is longer than 200 characters',
    ],
    ['a JSON body on a form request', '{"CallStatus":"completed","CallSid":"CA1"}', 'body is not a form'],
  ])('answers 400 for %s', (_, body, reason) => {
    // Act
    const error = thrown(() => identify(body));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(reason);
  });

  it('reads the bodySHA256 variant as JSON, rejecting non-string fields with 400', () => {
    // Prepare
    const jsonRequest = webhookRequest({
      rawBody: Buffer.alloc(0),
      url: 'https://x.test/webhooks/twilio?bodySHA256=ab',
    });
    const SID = 'CA0123456789abcdef0123456789abcdef';

    // Act
    const identity = identify(`{"CallStatus":"completed","CallSid":"${SID}"}`, jsonRequest);
    const error = thrown(() => identify('{"CallStatus":"completed","CallSid":42}', jsonRequest));
    const surrogate = thrown(() => identify('{"CallStatus":"completed","CallSid":"CA\\ud800"}', jsonRequest));

    // Assess
    expect(identity).toEqual({ eventType: 'completed', callId: SID });
    expect((error as Error).message).toBe('CallSid is not a string');
    expect(surrogate).toBeInstanceOf(BadRequestError);
    expect(parseJsonObject('{}')).toEqual({});
  });
});

describe('Twilio outcomes (spec §6), row by row', () => {
  it.each<[string, string | null, Outcome]>([
    ['completed', null, 'completed'],
    ['completed', 'human', 'completed'],
    ['completed', 'unknown', 'completed'],
    ['completed', 'machine_start', 'voicemail'],
    ['completed', 'machine_end_beep', 'voicemail'],
    ['completed', 'machine_end_silence', 'voicemail'],
    ['completed', 'machine_end_other', 'voicemail'],
    ['completed', 'fax', 'voicemail'],
    ['busy', null, 'busy'],
    ['no-answer', null, 'no_answer'],
    ['canceled', null, 'canceled'],
    ['failed', null, 'failed'],
    ['busy', 'machine_start', 'busy'],
    ['__proto__', null, 'unknown'],
  ])('CallStatus %s, AnsweredBy %s → %s', (status, answeredBy, outcome) => {
    // Assess
    expect(outcomeOfCallStatus(status, answeredBy)).toBe(outcome);
  });
});

describe('twilioNormalizer.toCallRecord', () => {
  const BODY = rawFormFixture('twilio', 'status-completed');
  const CALL_SID = 'CA1234567890ABCDEF1234567890ABCDEF';
  const callback = (
    status: string,
    changes: Record<string, string | undefined>,
    id: string,
    receivedAt: string,
  ) =>
    delivery(withFields(BODY, { CallStatus: status, ...changes }), {
      provider: 'twilio',
      eventType: status,
      callId: CALL_SID,
      deliveryId: id,
      receivedAt,
    });
  const initiated = callback(
    'initiated',
    { Timestamp: 'Mon, 16 Aug 2010 03:44:00 +0000', CallDuration: undefined },
    'd1',
    '2010-08-16T03:44:00.500Z',
  );
  const ringing = callback(
    'ringing',
    { Timestamp: 'Mon, 16 Aug 2010 03:44:02 +0000', CallDuration: undefined },
    'd2',
    '2010-08-16T03:44:02.500Z',
  );
  const answered = callback(
    'in-progress',
    { Timestamp: 'Mon, 16 Aug 2010 03:44:24 +0000', CallDuration: undefined },
    'd3',
    '2010-08-16T03:44:24.500Z',
  );
  const completed = callback('completed', {}, 'd4', '2010-08-16T03:45:01.500Z');

  it('turns the documented completed callback into a record', () => {
    // Act
    const record = twilioNormalizer.toCallRecord([completed]);

    // Assess
    expect(record).toEqual({
      provider: 'twilio',
      callId: CALL_SID,
      from: '+14158675309',
      to: '+18005551212',
      direction: 'outbound',
      startedAt: null,
      answeredAt: null,
      endedAt: '2010-08-16T03:45:01.000Z',
      durationSeconds: 37,
      outcome: 'completed',
      answered: true,
      hangupCause: 'completed',
      receivedAt: '2010-08-16T03:45:01.500Z',
      details: {
        accountSid: 'AC0123456789abcdef0123456789abcdef',
        parentCallSid: null,
        answeredBy: null,
        callbackSource: 'call-progress-events',
        sequenceNumber: '3',
        sipResponseCode: '200',
        forwardedFrom: null,
        callerName: null,
        apiVersion: '2010-04-01',
      },
    });
  });

  const permutations = <T>(items: readonly T[]): T[][] =>
    items.length <= 1
      ? [[...items]]
      : items.flatMap((item, i) =>
          permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
        );

  it('fills startedAt and answeredAt from initiated and in-progress, the same in all 24 orders', () => {
    // Prepare
    const orders = permutations([initiated, ringing, answered, completed]);

    // Act
    const records = orders.map((order) => twilioNormalizer.toCallRecord(order));

    // Assess
    expect(records[0]).toMatchObject({
      startedAt: '2010-08-16T03:44:00.000Z',
      answeredAt: '2010-08-16T03:44:24.000Z',
      endedAt: '2010-08-16T03:45:01.000Z',
      receivedAt: '2010-08-16T03:44:00.500Z',
    });
    for (const record of records) expect(record).toEqual(records[0]);
  });

  it('gives the same record for duplicated callbacks', () => {
    // Prepare
    const retried = { ...completed, deliveryId: 'd9', receivedAt: '2010-08-16T03:45:20.000Z' };

    // Act
    const once = twilioNormalizer.toCallRecord([initiated, answered, completed]);
    const twice = twilioNormalizer.toCallRecord([
      completed,
      answered,
      retried,
      initiated,
      answered,
      completed,
    ]);

    // Assess
    expect(twice).toEqual(once);
  });

  it('returns null until a terminal callback is stored', () => {
    // Assess
    expect(twilioNormalizer.toCallRecord([initiated, ringing, answered])).toBeNull();
    expect(twilioNormalizer.toCallRecord([])).toBeNull();
  });

  it('starts an inbound call (no initiated callback) at its first ringing', () => {
    // Prepare
    const inbound = (d: Delivery) => ({ ...d, body: withFields(d.body, { Direction: 'inbound' }) });

    // Act
    const record = twilioNormalizer.toCallRecord([inbound(completed), inbound(ringing)]);

    // Assess
    expect(record).toMatchObject({
      direction: 'inbound',
      startedAt: '2010-08-16T03:44:02.000Z',
      answeredAt: null,
    });
  });

  it('turns completed into voicemail when AnsweredBy is a machine, on the end or on an AMD callback', () => {
    // Prepare
    const machineEnd = callback(
      'completed',
      { AnsweredBy: 'machine_end_beep' },
      'd4',
      '2010-08-16T03:45:01.500Z',
    );
    const amd = delivery(withFields(BODY, { CallStatus: undefined, AnsweredBy: 'fax' }), {
      provider: 'twilio',
      eventType: 'machine-detection',
      callId: CALL_SID,
      deliveryId: 'd5',
    });

    // Act
    const fromEnd = twilioNormalizer.toCallRecord([machineEnd]);
    const fromAmd = twilioNormalizer.toCallRecord([completed, amd]);

    // Assess
    expect(fromEnd).toMatchObject({
      outcome: 'voicemail',
      answered: true,
      details: expect.objectContaining({ answeredBy: 'machine_end_beep' }),
    });
    expect(fromAmd).toMatchObject({
      outcome: 'voicemail',
      details: expect.objectContaining({ answeredBy: 'fax' }),
    });
  });

  it.each<[string, Outcome, boolean]>([
    ['busy', 'busy', false],
    ['no-answer', 'no_answer', false],
    ['canceled', 'canceled', false],
    ['failed', 'failed', false],
  ])('makes the record from a %s callback', (status, outcome, answered) => {
    // Act
    const record = twilioNormalizer.toCallRecord([
      callback(status, { CallDuration: '0' }, 'd1', '2010-08-16T03:45:01.500Z'),
    ]);

    // Assess
    expect(record).toMatchObject({ outcome, answered, hangupCause: status, durationSeconds: 0 });
  });

  it.each([
    ['outbound-api', 'outbound'],
    ['outbound-dial', 'outbound'],
    ['inbound', 'inbound'],
    ['sideways', null],
  ])('reads Direction %s as %s', (direction, expected) => {
    // Act
    const record = twilioNormalizer.toCallRecord([
      callback('completed', { Direction: direction }, 'd1', '2010-08-16T03:45:01.500Z'),
    ]);

    // Assess
    expect(record?.direction).toBe(expected);
  });

  it('keeps client: and sip: identities as sent', () => {
    // Act
    const record = twilioNormalizer.toCallRecord([
      callback(
        'completed',
        { From: 'client:alice', To: 'sip:bob@example.com' },
        'd1',
        '2010-08-16T03:45:01.500Z',
      ),
    ]);

    // Assess
    expect(record).toMatchObject({ from: 'client:alice', to: 'sip:bob@example.com' });
  });

  it('makes unreadable fields null and derives nothing from them', () => {
    // Act
    const record = twilioNormalizer.toCallRecord([
      callback(
        'completed',
        { Timestamp: 'yesterday', CallDuration: '-3', From: '', Direction: undefined },
        'd1',
        '2010-08-16T03:45:01.500Z',
      ),
    ]);

    // Assess
    expect(record).toMatchObject({
      endedAt: null,
      durationSeconds: null,
      from: null,
      direction: null,
      outcome: 'completed',
    });
  });

  it('reads a JSON-bodied (bodySHA256) delivery too', () => {
    // Prepare
    const json = delivery(
      {
        CallSid: CALL_SID,
        CallStatus: 'busy',
        Timestamp: 'Mon, 16 Aug 2010 03:45:01 +0000',
        From: '+14158675309',
        CallDuration: 7,
      },
      { provider: 'twilio', eventType: 'busy', callId: CALL_SID },
    );

    // Act
    const record = twilioNormalizer.toCallRecord([json]);

    // Assess
    expect(record).toMatchObject({
      outcome: 'busy',
      endedAt: '2010-08-16T03:45:01.000Z',
      from: '+14158675309',
      durationSeconds: null,
    });
  });

  it('never throws on odd bodies', () => {
    // Prepare
    const odd = [
      '',
      '%',
      '{',
      '[]',
      '__proto__=x&CallStatus=completed',
      '{"From":{"a":1},"Timestamp":5}',
    ].map((body) => delivery(body, { provider: 'twilio', eventType: 'completed', callId: CALL_SID }));

    // Act
    const act = () => odd.map((d) => twilioNormalizer.toCallRecord([d]));

    // Assess
    expect(act).not.toThrow();
  });

  it('is not changed by callbacks outside recordEvents', () => {
    // Prepare
    const queued = callback(
      'queued',
      { Timestamp: 'Mon, 16 Aug 2010 03:40:00 +0000' },
      'd0',
      '2010-08-16T03:40:00.000Z',
    );

    // Act
    const record = twilioNormalizer.toCallRecord([queued, completed]);

    // Assess
    expect(twilioNormalizer.recordEvents.has('queued')).toBe(false);
    expect(record).toEqual(twilioNormalizer.toCallRecord([completed]));
  });
});

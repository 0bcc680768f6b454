import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import {
  DEV_PUBLIC_KEY,
  parseTelnyxBody,
  telnyxIngress,
  verifyTelnyxSignature,
} from '../../lib/providers/telnyx/ingress';
import {
  outcomeOfHangupCause,
  outcomeOfTexmlStatus,
  telnyxNormalizer,
} from '../../lib/providers/telnyx/normalize';
import { DEV_PRIVATE_SEED_HEX, signTelnyx } from '../../lib/providers/telnyx/sign';
import { fixture, rawFixture } from '../fixtures';
import { fixtureFile, permutations, storedDelivery, TELNYX_NEXT_KEY } from '../support/carriers';

const LEG = '428c31b6-7af4-4bcb-b7f5-5013ef9657c1';
const VECTOR_BODY = readFileSync(new URL('../fixtures/telnyx/call-hangup.json', import.meta.url));
const VECTOR_TIMESTAMP = '1700000000';
const VECTOR_NOW = new Date(1_700_000_000_000);

/** Runs `check`, returning what it threw (undefined when it passed). */
const failureOf = (check: () => unknown): unknown => {
  try {
    check();
  } catch (error) {
    return error;
  }
  return undefined;
};

const expectUnauthorized = (error: unknown) => {
  expect(error).toBeInstanceOf(UnauthorizedError);
  expect((error as UnauthorizedError).statusCode).toBe(401);
};

describe('verifyTelnyxSignature: official and self-generated vectors', () => {
  it('reproduces RFC 8032 TEST 1 (empty message) with the dev key pair, so the signer is right', () => {
    // Prepare: RFC 8032 §7.1 TEST 1 signature over the empty message (VERIFIED against the RFC).
    const rfcSignature =
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

    // Act: Telnyx's message `<timestamp>|<body>` is never empty, so the dev seed signs it directly.
    const key = createPrivateKey({
      key: Buffer.concat([
        Buffer.from('302e020100300506032b657004220420', 'hex'),
        Buffer.from(DEV_PRIVATE_SEED_HEX, 'hex'),
      ]),
      format: 'der',
      type: 'pkcs8',
    });
    const signature = sign(null, Buffer.alloc(0), key).toString('hex');

    // Assess
    expect(signature).toBe(rfcSignature);
    expect(Buffer.from(DEV_PUBLIC_KEY, 'base64').toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
  });

  it('accepts the providers-next.md SELF-GENERATED vector (RFC 8032 key, timestamp 1700000000, injected now)', () => {
    // Prepare: computed with the documented algorithm over shared/vectors/telnyx_vector_body.json
    // (copied verbatim to the fixture); no official Telnyx vector exists.
    const headers = {
      'telnyx-signature-ed25519':
        '3WJXGEyz2fdMQwR/MsaWsN/uGxNiZ3geBz+LwR6vcV5OY0/GjX2WCNffQWYQrhTiyWHcNyJOYau0qwjsX1E6Bw==',
      'telnyx-timestamp': VECTOR_TIMESTAMP,
    };

    // Act
    const error = failureOf(() => verifyTelnyxSignature(VECTOR_BODY, headers, [DEV_PUBLIC_KEY], VECTOR_NOW));

    // Assess
    expect(error).toBeUndefined();
    expect(signTelnyx(VECTOR_BODY, VECTOR_TIMESTAMP)).toEqual(headers);
  });

  it('rejects that vector at the real current time: its timestamp is years old', () => {
    // Prepare
    const headers = signTelnyx(VECTOR_BODY, VECTOR_TIMESTAMP);

    // Act
    const error = failureOf(() => verifyTelnyxSignature(VECTOR_BODY, headers, [DEV_PUBLIC_KEY], new Date()));

    // Assess
    expectUnauthorized(error);
    expect((error as Error).message).toBe('signature timestamp is more than 300 s from now');
  });
});

describe('verifyTelnyxSignature: one thing broken at a time', () => {
  const NOW = new Date('2026-03-01T12:00:00.000Z');
  const TIMESTAMP = String(NOW.getTime() / 1000);
  const KEYS = [DEV_PUBLIC_KEY, TELNYX_NEXT_KEY.publicKey];
  const body = Buffer.from(rawFixture('telnyx', 'call-hangup'));
  const valid = () => signTelnyx(body, TIMESTAMP);
  const check = (
    headers: Record<string, string | undefined>,
    options: { raw?: Buffer; keys?: readonly string[]; now?: Date } = {},
  ) =>
    failureOf(() =>
      verifyTelnyxSignature(options.raw ?? body, headers, options.keys ?? KEYS, options.now ?? NOW),
    );

  it('accepts the valid request with either key (current and next, during a rotation)', () => {
    // Prepare
    const byNext = signTelnyx(body, TIMESTAMP, TELNYX_NEXT_KEY.seedHex);

    // Act
    const results = [check(valid()), check(byNext), check(byNext, { keys: [TELNYX_NEXT_KEY.publicKey] })];

    // Assess
    expect(results).toEqual([undefined, undefined, undefined]);
  });

  it.each([
    ['signed by another key', () => signTelnyx(body, TIMESTAMP, TELNYX_NEXT_KEY.seedHex), [DEV_PUBLIC_KEY]],
    ['no signature header', () => ({ ...valid(), 'telnyx-signature-ed25519': undefined }), undefined],
    ['no timestamp header', () => ({ ...valid(), 'telnyx-timestamp': undefined }), undefined],
    [
      'a changed timestamp header',
      () => ({ ...valid(), 'telnyx-timestamp': String(Number(TIMESTAMP) + 1) }),
      undefined,
    ],
    [
      'a signature that is not base64',
      () => ({ ...valid(), 'telnyx-signature-ed25519': '!!not base64!!' }),
      undefined,
    ],
    [
      'a 63-byte signature',
      () => ({ ...valid(), 'telnyx-signature-ed25519': Buffer.alloc(63).toString('base64') }),
      undefined,
    ],
    ['a milliseconds timestamp', () => signTelnyx(body, `${TIMESTAMP}000`), undefined],
    ['no configured key', () => valid(), []],
    ['only an unusable configured key', () => valid(), ['not-a-key', Buffer.alloc(31).toString('base64')]],
  ] as const)('rejects %s', (_label, headers, keys) => {
    // Act
    const error = check(headers(), { keys });

    // Assess
    expectUnauthorized(error);
  });

  it('rejects the body changed by one byte', () => {
    // Prepare
    const changed = Buffer.from(body);
    changed[changed.length - 2] = (changed[changed.length - 2] ?? 0) ^ 1;

    // Act
    const error = check(valid(), { raw: changed });

    // Assess
    expectUnauthorized(error);
    expect((error as Error).message).toBe('invalid Telnyx signature');
  });

  it.each([
    ['stale by 301 s', -301, false],
    ['stale by 300 s', -300, true],
    ['300 s in the future', 300, true],
    ['301 s in the future', 301, false],
  ])('a timestamp %s is %s', (_label, offset, accepted) => {
    // Prepare
    const headers = signTelnyx(body, String(Number(TIMESTAMP) + offset));

    // Act
    const error = check(headers);

    // Assess
    if (accepted) expect(error).toBeUndefined();
    else expectUnauthorized(error);
  });

  it('ignores an unusable key next to a valid one, and never echoes a key in its reason', () => {
    // Prepare
    const keys = ['not-a-key', DEV_PUBLIC_KEY];

    // Act
    const ok = check(valid(), { keys });
    const failed = check(valid(), { keys: [TELNYX_NEXT_KEY.publicKey] });

    // Assess
    expect(ok).toBeUndefined();
    expect((failed as Error).message).not.toContain(TELNYX_NEXT_KEY.publicKey);
  });
});

describe('telnyxIngress.identify (after parseTelnyxBody: JSON or form, whatever the Content-Type)', () => {
  const identify = (text: string) => telnyxIngress.identify(parseTelnyxBody(text));
  const callControl = (eventType: string, payload: unknown) =>
    JSON.stringify({ data: { event_type: eventType, id: 'e-1', payload } });

  it('names a Call Control event and its leg', () => {
    // Act
    const identity = identify(rawFixture('telnyx', 'call-hangup'));

    // Assess
    expect(identity).toEqual({ eventType: 'call.hangup', callId: LEG });
  });

  it('names a TeXML status callback by its CallStatus and keys it by CallLegId', () => {
    // Act
    const identity = identify(fixtureFile('telnyx', 'texml-completed.txt'));

    // Assess
    expect(identity).toEqual({
      eventType: 'texml.completed',
      callId: '2f1f5a3e-b3b8-11ee-8f0c-02420a0d7f68',
    });
  });

  it('falls back to CallSid for a TeXML callback without CallLegId', () => {
    // Act
    const identity = identify('CallSid=v3%3Aabc&CallStatus=ringing');

    // Assess
    expect(identity).toEqual({ eventType: 'texml.ringing', callId: 'v3:abc' });
  });

  it('acknowledges events of other Telnyx products without a leg', () => {
    // Act
    const identity = identify(callControl('fax.received', { fax_id: 'f-1' }));

    // Assess
    expect(identity).toEqual({ eventType: 'fax.received', callId: null });
  });

  it.each([
    [
      'a call event without call_leg_id',
      callControl('call.hangup', { from: '+1' }),
      'call.hangup event has no data.payload.call_leg_id',
    ],
    [
      'a call event without payload',
      callControl('call.answered', undefined),
      'call.answered event has no data.payload.call_leg_id',
    ],
    [
      'a numeric call_leg_id',
      callControl('call.hangup', { call_leg_id: 7 }),
      'data.payload.call_leg_id is not a string',
    ],
    [
      'a 201-character call_leg_id',
      callControl('call.hangup', { call_leg_id: 'x'.repeat(201) }),
      'data.payload.call_leg_id is longer than 200 characters',
    ],
    ['a payload that is a list', callControl('call.hangup', []), 'data.payload is not an object'],
    [
      'no event_type',
      JSON.stringify({ data: { payload: { call_leg_id: LEG } } }),
      'body has no data.event_type',
    ],
    ['data that is a string', JSON.stringify({ data: 'call.hangup' }), 'body has no data.event_type'],
    ['a JSON array', '[1,2]', 'body is not a JSON object'],
    ['invalid JSON', '{"data":', 'body is not valid JSON'],
    [
      'a form that is no TeXML callback',
      'hello=world',
      'body is neither a Telnyx event nor a TeXML callback',
    ],
    [
      'a TeXML status without ids',
      'CallStatus=completed',
      'TeXML status callback has no CallLegId or CallSid',
    ],
  ])('answers 400 for %s', (_label, text, reason) => {
    // Act
    const error = failureOf(() => identify(text));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(reason);
  });
});

const FILES = {
  initiated: 'call-initiated',
  answered: 'call-answered',
  machine: 'call-machine-detection-ended',
  hangup: 'call-hangup',
} as const;
const EVENT_TYPES = {
  initiated: 'call.initiated',
  answered: 'call.answered',
  machine: 'call.machine.detection.ended',
  hangup: 'call.hangup',
} as const;
type Step = keyof typeof FILES;

const deliveryOf = (
  step: Step,
  body = rawFixture('telnyx', FILES[step]),
  overrides: Partial<Delivery> = {},
) => storedDelivery('telnyx', body, { eventType: EVENT_TYPES[step], callId: LEG }, overrides);

/** The hangup fixture with its payload changed. */
const hangupWith = (payload: Record<string, unknown>, data: Record<string, unknown> = {}) => {
  const body = fixture<{ data: { payload: Record<string, unknown> } }>('telnyx', 'call-hangup');
  Object.assign(body.data.payload, payload);
  Object.assign(body.data, data);
  return deliveryOf('hangup', JSON.stringify(body));
};

const lifecycle = (): Delivery[] =>
  (['initiated', 'answered', 'machine', 'hangup'] as const).map((step, i) =>
    deliveryOf(step, undefined, {
      deliveryId: `d-${i}`,
      receivedAt: `2026-01-01T00:00:0${i}.000Z`,
    }),
  );

describe('telnyxNormalizer: Call Control', () => {
  it('makes the full record from the call lifecycle', () => {
    // Act
    const record = telnyxNormalizer.toCallRecord(lifecycle());

    // Assess
    expect(record).toStrictEqual({
      provider: 'telnyx',
      callId: LEG,
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
      receivedAt: '2026-01-01T00:00:00.000Z',
      details: {
        product: 'call-control',
        eventId: '0ccc7b54-4df3-4bca-a65a-3da1ecc777f0',
        callControlId: 'v3:abc',
        callSessionId: '428c31b6-abf3-3bc1-b7f4-5013ef9657c1',
        connectionId: '7267xxxxxxxxxxxxxx',
        clientState: 'aGF2ZSBhIG5pY2UgZGF5ID1d',
        hangupSource: 'caller',
        sipHangupCause: '200',
        machineDetectionResult: 'human',
      },
    });
  });

  it('gives the same record for the lifecycle events in every order, and with duplicates', () => {
    // Prepare
    const events = lifecycle();
    const expected = telnyxNormalizer.toCallRecord(events);
    const retry = { ...(events[3] as Delivery), deliveryId: 'd-9', receivedAt: '2026-01-01T00:01:00.000Z' };

    // Act
    const records = permutations(events).map((order) => telnyxNormalizer.toCallRecord(order));
    const withRetry = telnyxNormalizer.toCallRecord([retry, ...events, ...events]);

    // Assess
    expect(records).toHaveLength(24);
    for (const record of records) expect(record).toStrictEqual(expected);
    expect(withRetry).toStrictEqual(expected);
  });

  it('is null until the hangup is stored', () => {
    // Act
    const record = telnyxNormalizer.toCallRecord(lifecycle().slice(0, 3));

    // Assess
    expect(record).toBeNull();
  });

  it('takes endedAt from occurred_at when there is no end_time, and from end_time when there is', () => {
    // Act
    const withoutEnd = telnyxNormalizer.toCallRecord([deliveryOf('hangup')]);
    const withEnd = telnyxNormalizer.toCallRecord([hangupWith({ end_time: '2023-11-14T22:13:19.250000Z' })]);

    // Assess
    expect(withoutEnd?.endedAt).toBe('2023-11-14T22:13:20.000Z');
    expect(withEnd?.endedAt).toBe('2023-11-14T22:13:19.250Z');
  });

  it('keeps unreadable values as null and derives nothing from them', () => {
    // Prepare
    const hangup = hangupWith({
      start_time: 'yesterday',
      end_time: 'soon',
      from: 42,
      hangup_cause: { x: 1 },
    });

    // Act
    const record = telnyxNormalizer.toCallRecord([hangup, deliveryOf('answered')]);

    // Assess
    expect(record).toMatchObject({
      from: '+35319605860',
      startedAt: '2023-11-14T22:10:00.000Z',
      endedAt: null,
      durationSeconds: null,
      outcome: 'unknown',
      hangupCause: '',
    });
  });

  it.each([
    ['normal_clearing', true, 'completed'],
    ['normal_clearing', false, 'canceled'],
    ['time_limit', true, 'completed'],
    ['time_limit', false, 'canceled'],
    ['originator_cancel', true, 'canceled'],
    ['user_busy', false, 'busy'],
    ['no_answer', false, 'no_answer'],
    ['timeout', false, 'no_answer'],
    ['call_rejected', false, 'rejected'],
    ['not_found', false, 'invalid_number'],
    ['unspecified', false, 'unknown'],
    ['something_new', true, 'unknown'],
    ['__proto__', false, 'unknown'],
  ] as const)('maps hangup_cause %s (answered: %s) to %s', (cause, answered, outcome) => {
    // Prepare
    const deliveries = [hangupWith({ hangup_cause: cause }), ...(answered ? [deliveryOf('answered')] : [])];

    // Act
    const record = telnyxNormalizer.toCallRecord(deliveries);

    // Assess
    expect(outcomeOfHangupCause(cause, answered)).toBe(outcome);
    expect(record).toMatchObject({ outcome, hangupCause: cause, answered: outcome === 'completed' });
  });

  it('reads the direction of an outgoing call from call.initiated', () => {
    // Prepare
    const initiated = fixture<{ data: { payload: Record<string, unknown> } }>('telnyx', 'call-initiated');
    initiated.data.payload.direction = 'outgoing';

    // Act
    const record = telnyxNormalizer.toCallRecord([
      deliveryOf('initiated', JSON.stringify(initiated)),
      deliveryOf('hangup'),
    ]);

    // Assess
    expect(record?.direction).toBe('outbound');
  });
});

describe('telnyxNormalizer: TeXML callbacks', () => {
  const LEG_ID = '2f1f5a3e-b3b8-11ee-8f0c-02420a0d7f68';
  const texml = (fields: Record<string, string>, overrides: Partial<Delivery> = {}) => {
    const form = new URLSearchParams(fixtureFile('telnyx', 'texml-completed.txt'));
    for (const [key, value] of Object.entries(fields)) form.set(key, value);
    return storedDelivery(
      'telnyx',
      form.toString(),
      { eventType: `texml.${form.get('CallStatus')}`, callId: LEG_ID },
      overrides,
    );
  };

  it('makes the record of the documented completed callback', () => {
    // Act
    const record = telnyxNormalizer.toCallRecord([texml({})]);

    // Assess
    expect(record).toStrictEqual({
      provider: 'telnyx',
      callId: LEG_ID,
      from: '+13129457420',
      to: '+35319605860',
      direction: 'outbound',
      startedAt: '2024-01-15T10:29:58.000Z',
      answeredAt: '2024-01-15T10:30:05.000Z',
      endedAt: '2024-01-15T10:31:00.000Z',
      durationSeconds: 55,
      outcome: 'completed',
      answered: true,
      hangupCause: 'completed',
      receivedAt: '2026-01-01T00:00:00.000Z',
      details: {
        product: 'texml',
        callSid: 'v3:uLwkPDI6Y5UtVXeaSN9Fl3fO8p1Ma1w9R0d2xS0ZrB0',
        callSessionId: '2f1f4d5a-b3b8-11ee-a8b5-02420a0d7f68',
        accountSid: 'f5586561-8ff0-4291-a0ac-84fe544797bd',
        callDuration: 55,
        hangupCause: 'normal_clearing',
        hangupSource: 'callee',
        sipHangupCause: '200',
        answeredBy: null,
      },
    });
  });

  it.each([
    ['completed', '', 'completed'],
    ['completed', 'machine_end_beep', 'voicemail'],
    ['completed', 'fax', 'voicemail'],
    ['completed', 'human', 'completed'],
    ['busy', '', 'busy'],
    ['no-answer', '', 'no_answer'],
    ['canceled', '', 'canceled'],
    ['failed', '', 'failed'],
  ])('maps CallStatus %s (AnsweredBy "%s") to %s', (status, answeredBy, outcome) => {
    // Prepare
    const delivery = texml({ CallStatus: status, AnsweredBy: answeredBy });

    // Act
    const record = telnyxNormalizer.toCallRecord([delivery]);

    // Assess
    expect(outcomeOfTexmlStatus(status, answeredBy)).toBe(outcome);
    expect(record).toMatchObject({ outcome, hangupCause: status });
  });

  it.each([
    ['2021-04-28 21:51:18.731479Z', '2021-04-28T21:51:18.731Z'],
    ['2024-01-15T10:30:00Z', '2024-01-15T10:30:00.000Z'],
    ['Mon, 15 Jan 2024 10:30:00 +0000', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15 12:30:00 +02:00', '2024-01-15T10:30:00.000Z'],
    ['not a time', null],
  ])('reads EndTime %s leniently as %s', (text, iso) => {
    // Act
    const record = telnyxNormalizer.toCallRecord([texml({ EndTime: text })]);

    // Assess
    expect(record?.endedAt).toBe(iso);
  });

  it('waits for a terminal CallStatus, and ringing/answered callbacks in any order give the same record', () => {
    // Prepare
    const ringing = texml(
      { CallStatus: 'ringing', AnsweredTime: '', EndTime: '' },
      { deliveryId: 'a', receivedAt: '2026-01-01T00:00:01.000Z' },
    );
    const done = texml({}, { deliveryId: 'b', receivedAt: '2026-01-01T00:00:02.000Z' });

    // Act
    const pending = telnyxNormalizer.toCallRecord([ringing]);
    const forward = telnyxNormalizer.toCallRecord([ringing, done]);
    const backward = telnyxNormalizer.toCallRecord([done, ringing, done]);

    // Assess
    expect(pending).toBeNull();
    expect(forward).toStrictEqual(backward);
    expect(forward?.receivedAt).toBe('2026-01-01T00:00:01.000Z');
  });
});

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import {
  verifyPayloadHash,
  verifyVonageJwt,
  verifyVonageSignature,
  vonageIngress,
} from '../../lib/providers/vonage/ingress';
import { outcomeOfStatus, vonageNormalizer } from '../../lib/providers/vonage/normalize';
import { signVonage, vonageJwt } from '../../lib/providers/vonage/sign';
import { fixture, rawFixture } from '../fixtures';
import { permutations, storedDelivery, VONAGE_SECRETS } from '../support/carriers';

const UUID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';

const failureOf = (check: () => unknown): unknown => {
  try {
    check();
  } catch (error) {
    return error;
  }
  return undefined;
};

const expectUnauthorized = (error: unknown, reason?: string) => {
  expect(error).toBeInstanceOf(UnauthorizedError);
  expect((error as UnauthorizedError).statusCode).toBe(401);
  if (reason !== undefined) expect((error as Error).message).toBe(reason);
};

// Vonage/vonage-ruby-sdk test/vonage/test.rb `sample_webhook_token` (VERIFIED in providers-next.md §4).
const RUBY_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE1ODc0OTQ5NjIsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6ImQ2YzBlNzRiNTg1N2RmMjBlM2I3ZTUxYjMwYzBjMmE0MGVjNzNhNzc4NzliNmYwNzRkZGM3YTIzMTdkZDAzMWIiLCJhcGlfa2V5IjoiYTFiMmMzZCIsImFwcGxpY2F0aW9uX2lkIjoiYWFhYWFhYWEtYmJiYi1jY2NjLWRkZGQtMDEyMzQ1Njc4OWFiIn0.JQRKi1d0SQitmjPINfTWMpt3XZkGsLbD7EjCdXoNSbk';
const RUBY_SECRET = 'ZYtdTtGV3BCFN7tWmOWr1md66XsquMggr4W2cTtXtcPgfnI0Xw';
const RUBY_WRONG_SECRET = 'ZYtdTtGV3BCFN7tWmOWr1md66XsquMggr4W2cTtXtcPgf55555';
// Vonage/vonage-python-sdk jwt/tests/test_verify_jwt.py (VERIFIED in providers-next.md §4).
const PYTHON_TOKEN =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJPbmxpbmUgSldUIEJ1aWxkZXIiLCJpYXQiOjE2OTc2MzQ2ODAsImV4cCI6MzMyNTQ1NDA4MjgsImF1ZCI6IiIsInN1YiI6IiJ9.88vJc3I2HhuqEDixHXVhc9R30tA6U_HQHZTC29y6CGM';
const PYTHON_SECRET = 'qwertyuiopasdfghjklzxcvbnm123456';

describe('verifyVonageJwt: the official SDK vectors (signature only)', () => {
  it('accepts the ruby SDK sample token with its secret and returns its claims', () => {
    // Act
    const claims = verifyVonageJwt(RUBY_TOKEN, [RUBY_SECRET]);

    // Assess
    expect(claims).toEqual({
      iat: 1587494962,
      jti: 'c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5',
      iss: 'Vonage',
      payload_hash: 'd6c0e74b5857df20e3b7e51b30c0c2a40ec73a77879b6f074ddc7a2317dd031b',
      api_key: 'a1b2c3d',
      application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
    });
  });

  it('rejects the ruby SDK sample token with its invalid secret', () => {
    // Act
    const error = failureOf(() => verifyVonageJwt(RUBY_TOKEN, [RUBY_WRONG_SECRET]));

    // Assess
    expectUnauthorized(error, 'invalid Vonage JWT signature');
  });

  it('accepts the ruby token when its secret is the second one (rotation)', () => {
    // Act
    const error = failureOf(() => verifyVonageJwt(RUBY_TOKEN, [RUBY_WRONG_SECRET, RUBY_SECRET]));

    // Assess
    expect(error).toBeUndefined();
  });

  it('accepts the python SDK token with its secret and rejects it with `asdf`', () => {
    // Act
    const claims = verifyVonageJwt(PYTHON_TOKEN, [PYTHON_SECRET]);
    const error = failureOf(() => verifyVonageJwt(PYTHON_TOKEN, ['asdf']));

    // Assess
    expect(claims).toMatchObject({ iss: 'Online JWT Builder', iat: 1697634680 });
    expectUnauthorized(error);
  });

  it('rejects the ruby token against a body other than the unpublished one (payload_hash check)', () => {
    // Prepare: the body Vonage hashed is not published, so any body we have must fail.
    const claims = verifyVonageJwt(RUBY_TOKEN, [RUBY_SECRET]);

    // Act
    const error = failureOf(() => verifyPayloadHash(claims, Buffer.from(rawFixture('vonage', 'completed'))));

    // Assess
    expectUnauthorized(error, 'payload_hash does not match the body');
  });
});

describe('verifyVonageSignature: one thing broken at a time', () => {
  const body = Buffer.from(rawFixture('vonage', 'completed'));
  const SECRETS: string[] = [...VONAGE_SECRETS];
  const check = (headers: Record<string, string | undefined>, raw = body, secrets = SECRETS) =>
    failureOf(() => verifyVonageSignature(raw, headers, secrets, new Date()));
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('accepts a valid request signed with the current or the next secret', () => {
    // Act
    const results = [
      check(signVonage(body, SECRETS[0] as string)),
      check(signVonage(body, SECRETS[1] as string)),
    ];

    // Assess
    expect(results).toEqual([undefined, undefined]);
  });

  it('accepts an upper-case payload_hash and a lower-case "bearer"', () => {
    // Prepare
    const token = vonageJwt(body, SECRETS[0] as string);
    const claims = verifyVonageJwt(token, SECRETS);
    const upper = vonageJwt(body, SECRETS[0] as string, {
      payload_hash: String(claims.payload_hash).toUpperCase(),
    });

    // Act
    const results = [
      check({ authorization: `Bearer ${upper}` }),
      check({ authorization: `bearer ${token}` }),
    ];

    // Assess
    expect(results).toEqual([undefined, undefined]);
  });

  it('rejects the body changed by one byte', () => {
    // Prepare
    const headers = signVonage(body, SECRETS[0] as string);
    const changed = Buffer.from(body);
    changed[10] = (changed[10] ?? 0) ^ 1;

    // Act
    const error = check(headers, changed);

    // Assess
    expectUnauthorized(error, 'payload_hash does not match the body');
  });

  it.each([
    ['a wrong secret', () => signVonage(body, 'not-the-secret'), undefined],
    ['no Authorization header', () => ({}), 'missing Vonage JWT'],
    ['Basic instead of Bearer', () => ({ authorization: 'Basic dXNlcjpwYXNz' }), 'missing Vonage JWT'],
    ['a token of two parts', () => ({ authorization: 'Bearer a.b' }), 'malformed Vonage JWT'],
    [
      'a token with padding',
      () => ({ authorization: `${signVonage(body, SECRETS[0] as string).authorization}=` }),
      'malformed Vonage JWT',
    ],
    [
      'no payload_hash',
      () => signVonage(body, SECRETS[0] as string, { payload_hash: undefined }),
      'Vonage JWT has no payload_hash',
    ],
    [
      'a numeric payload_hash',
      () => signVonage(body, SECRETS[0] as string, { payload_hash: 5 }),
      'Vonage JWT has no payload_hash',
    ],
    [
      'an empty secret list',
      () => signVonage(body, SECRETS[0] as string),
      'invalid Vonage JWT signature',
      [],
    ],
    ['an empty configured secret', () => signVonage(body, ''), 'invalid Vonage JWT signature', ['']],
  ] as const)('rejects %s', (_label, headers, reason, secrets?: readonly string[]) => {
    // Act
    const error = check(headers(), body, secrets ? [...secrets] : SECRETS);

    // Assess
    expectUnauthorized(error, reason);
  });

  it('rejects a signature changed in one character', () => {
    // Prepare
    const token = vonageJwt(body, SECRETS[0] as string);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const changed = `${token.slice(0, -2)}${last}${token.at(-1)}`;

    // Act
    const error = check({ authorization: `Bearer ${changed}` });

    // Assess
    expectUnauthorized(error);
  });

  it.each([
    ['none', { alg: 'none', typ: 'JWT' }],
    ['HS512', { alg: 'HS512', typ: 'JWT' }],
    ['RS256', { alg: 'RS256', typ: 'JWT' }],
    ['a missing alg', { typ: 'JWT' }],
  ])('refuses alg %s, even when signed with the secret', (_label, header) => {
    // Prepare
    const token = vonageJwt(body, SECRETS[0] as string, {}, header);
    const [head, payload] = token.split('.');
    const unsigned = `${head}.${payload}.`;

    // Act
    const signedError = check({ authorization: `Bearer ${token}` });
    const unsignedError = check({ authorization: `Bearer ${unsigned}` });

    // Assess
    expectUnauthorized(signedError, 'Vonage JWT is not HS256');
    expectUnauthorized(unsignedError);
  });

  it('rejects claims that are not a JSON object even when correctly signed', () => {
    // Prepare
    const signed = `${segment({ alg: 'HS256' })}.${segment([1, 2])}`;
    const token = `${signed}.${createHmac('sha256', SECRETS[0] as string)
      .update(signed)
      .digest('base64url')}`;

    // Act
    const error = check({ authorization: `Bearer ${token}` });

    // Assess
    expectUnauthorized(error, 'malformed Vonage JWT claims');
  });

  it('needs no fresh iat: a year-old signed delivery is still accepted (spec §6)', () => {
    // Act
    const error = check(signVonage(body, SECRETS[0] as string, { iat: 1_587_494_962 }));

    // Assess
    expect(error).toBeUndefined();
  });

  it('never puts a secret into its reason', () => {
    // Act
    const error = check(signVonage(body, 'wrong'));

    // Assess
    for (const secret of SECRETS) expect((error as Error).message).not.toContain(secret);
  });
});

describe('vonageIngress.identify', () => {
  it.each([
    ['completed', { status: 'completed', uuid: UUID }, { eventType: 'completed', callId: UUID }],
    ['human/machine', { status: 'machine', call_uuid: UUID }, { eventType: 'machine', callId: UUID }],
    ['a record event', { recording_url: 'https://x', uuid: UUID }, { eventType: 'record', callId: UUID }],
    ['an input event', { dtmf: { digits: '1' }, uuid: UUID }, { eventType: 'input', callId: UUID }],
    [
      'a transfer event',
      { type: 'transfer', conversation_uuid_from: 'CON-1' },
      { eventType: 'transfer', callId: null },
    ],
    ['an unknown status', { status: 'something_new' }, { eventType: 'something_new', callId: null }],
    [
      'an upper-case UUID as sent',
      { status: 'completed', uuid: UUID.toUpperCase() },
      { eventType: 'completed', callId: UUID.toUpperCase() },
    ],
  ])('names %s', (_label, body, identity) => {
    // Act
    const result = vonageIngress.identify(body);

    // Assess
    expect(result).toEqual(identity);
  });

  it.each([
    ['a call status without uuid', { status: 'completed' }, 'completed event has no uuid'],
    ['human/machine without call_uuid', { status: 'human' }, 'human event has no uuid'],
    ['a numeric uuid', { status: 'answered', uuid: 5 }, 'uuid is not a string'],
    ['a long uuid', { status: 'answered', uuid: 'u'.repeat(201) }, 'uuid is longer than 200 characters'],
    ['a status that is a number', { status: 3, uuid: UUID }, 'status is not a string'],
    ['no status at all', { uuid: UUID }, 'body has no status'],
    // Issue 18 item 1: Vonage's uuid is a UUID (its Voice API reference); a re-split or extended
    // id is refused after the signature, before anything is stored.
    ['a uuid that is no UUID', { status: 'completed', uuid: 'leg-1' }, 'uuid is not a UUID'],
    ['a UUID with text after it', { status: 'completed', uuid: `${UUID}status` }, 'uuid is not a UUID'],
    ['a UUID without dashes', { status: 'completed', uuid: UUID.replaceAll('-', '') }, 'uuid is not a UUID'],
    [
      'a human/machine call_uuid that is no UUID',
      { status: 'machine', call_uuid: `${UUID} ` },
      'call_uuid is not a UUID',
    ],
    ['a record event whose uuid is no UUID', { recording_url: 'https://x', uuid: 'x' }, 'uuid is not a UUID'],
  ])('answers 400 for %s', (_label, body, reason) => {
    // Act
    const error = failureOf(() => vonageIngress.identify(body));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(reason);
  });
});

const FILES = {
  started: 'started',
  answered: 'answered',
  machine: 'human-machine',
  completed: 'completed',
} as const;
type Step = keyof typeof FILES;

const deliveryOf = (
  step: Step,
  body: string = rawFixture('vonage', FILES[step]),
  overrides: Partial<Delivery> = {},
) => storedDelivery('vonage', body, { eventType: String(JSON.parse(body).status), callId: UUID }, overrides);

const lifecycle = (steps: readonly Step[] = ['started', 'answered', 'completed']): Delivery[] =>
  steps.map((step, i) =>
    deliveryOf(step, undefined, { deliveryId: `d-${i}`, receivedAt: `2026-01-01T00:00:0${i}.000Z` }),
  );

const completedWith = (changes: Record<string, unknown>) =>
  deliveryOf('completed', JSON.stringify({ ...fixture('vonage', 'completed'), ...changes }));

describe('vonageNormalizer', () => {
  it('makes the record of the documented completed event with E.164 numbers', () => {
    // Act
    const record = vonageNormalizer.toCallRecord(lifecycle());

    // Assess
    expect(record).toStrictEqual({
      provider: 'vonage',
      callId: UUID,
      from: '+442079460000',
      to: '+447700900000',
      direction: 'inbound',
      startedAt: '2020-01-01T12:00:00.000Z',
      answeredAt: '2020-01-01T12:00:00.000Z',
      endedAt: '2020-01-01T12:00:00.000Z',
      durationSeconds: 2,
      outcome: 'completed',
      answered: true,
      hangupCause: 'completed',
      receivedAt: '2026-01-01T00:00:00.000Z',
      details: {
        conversationUuid: 'CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
        detail: null,
        network: 'GB-FIXED',
        rate: '0.00450000',
        price: '0.00015000',
        answeredBy: null,
        subState: null,
      },
    });
  });

  it('gives the same record for the lifecycle events in every order, and with duplicates', () => {
    // Prepare
    const events = lifecycle(['started', 'answered', 'machine', 'completed']);
    const expected = vonageNormalizer.toCallRecord(events);

    // Act
    const records = permutations(events).map((order) => vonageNormalizer.toCallRecord(order));
    const doubled = vonageNormalizer.toCallRecord([
      ...events,
      ...events.map((e) => ({ ...e, deliveryId: `${e.deliveryId}-again` })),
    ]);

    // Assess
    expect(expected).toMatchObject({
      outcome: 'voicemail',
      answered: true,
      details: { answeredBy: 'machine', subState: 'beep_start' },
    });
    for (const record of records) expect(record).toStrictEqual(expected);
    expect(doubled).toStrictEqual(expected);
  });

  it('is null until an end status is stored', () => {
    // Act
    const record = vonageNormalizer.toCallRecord(lifecycle(['started', 'answered']));

    // Assess
    expect(record).toBeNull();
  });

  it.each([
    ['completed', undefined, false, 'completed'],
    ['completed', undefined, true, 'voicemail'],
    ['busy', undefined, false, 'busy'],
    ['cancelled', undefined, false, 'canceled'],
    ['unanswered', 'timeout', false, 'no_answer'],
    ['timeout', undefined, false, 'no_answer'],
    ['rejected', 'declined', false, 'rejected'],
    ['rejected', 'invalid_number', false, 'invalid_number'],
    ['failed', 'cannot_route', false, 'failed'],
  ] as const)('maps status %s (detail %s, machine %s) to %s', (status, detail, machine, outcome) => {
    // Prepare
    const deliveries = [completedWith({ status, detail }), ...(machine ? [deliveryOf('machine')] : [])];

    // Act
    const record = vonageNormalizer.toCallRecord(deliveries);

    // Assess
    expect(outcomeOfStatus(status, detail, machine)).toBe(outcome);
    expect(record).toMatchObject({
      outcome,
      hangupCause: status,
      answered: ['completed', 'voicemail'].includes(outcome),
    });
  });

  it('lets a specific end status win over the completed that follows it, in any order', () => {
    // Prepare
    const busy = deliveryOf(
      'completed',
      JSON.stringify({ uuid: UUID, status: 'busy', from: '442079460000', to: '447700900000' }),
      {
        deliveryId: 'd-busy',
      },
    );
    const completed = completedWith({ duration: '0' });

    // Act
    const records = [
      vonageNormalizer.toCallRecord([busy, completed]),
      vonageNormalizer.toCallRecord([completed, busy]),
    ];

    // Assess
    expect(records[0]).toStrictEqual(records[1]);
    expect(records[0]).toMatchObject({
      outcome: 'busy',
      hangupCause: 'busy',
      durationSeconds: 0,
      endedAt: '2020-01-01T12:00:00.000Z',
    });
  });

  it('keeps SIP and unreadable values, and nulls what it cannot read', () => {
    // Act
    const record = vonageNormalizer.toCallRecord([
      completedWith({
        from: 'sip:alice@example.com',
        to: 'Unknown',
        duration: 'NaN',
        start_time: 12,
        direction: 'sideways',
      }),
    ]);

    // Assess
    expect(record).toMatchObject({
      from: 'sip:alice@example.com',
      to: 'Unknown',
      durationSeconds: null,
      startedAt: null,
      direction: null,
      answeredAt: null,
    });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import { bandwidthIngress } from '../../lib/providers/bandwidth/ingress';
import { bandwidthNormalizer, outcomeOfCause } from '../../lib/providers/bandwidth/normalize';
import type { WebhookRequest } from '../../lib/providers/types';
import { bandwidthHangup, rawFixture } from '../fixtures';
import { bandwidthSeedRecord } from '../support/records';
import { authContext, webhookRequest } from '../support/requests';

const CALL_ID = '{callId}';
const RECEIVED_AT = '2012-11-14T15:56:13.000Z';
const CHALLENGE = 'Basic realm="webhooks", charset="UTF-8"';
const SECRETS = ['bw-user:current-pass', 'bw-user:next-pass'] as const;

const delivery = (body: unknown, overrides: Partial<Delivery> = {}): Delivery => {
  const parsed = typeof body === 'string' ? undefined : (body as Record<string, unknown>);
  const eventType = parsed?.eventType;
  const callId = parsed?.callId;
  return {
    deliveryId: 'd-1',
    provider: 'bandwidth',
    receivedAt: RECEIVED_AT,
    requestId: 'req-1',
    eventType: typeof eventType === 'string' ? eventType : 'hangup',
    callId: typeof callId === 'string' ? callId : CALL_ID,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...overrides,
  };
};

const hangupWith = (changes: Record<string, unknown>) => ({ ...bandwidthHangup(), ...changes });

const answerEvent = (time: string) => ({
  ...bandwidthHangup(),
  eventType: 'answer',
  time,
  cause: undefined,
});

const toCallRecord = (deliveries: readonly Delivery[]) => bandwidthNormalizer.toCallRecord(deliveries);

const seedRecord = () => bandwidthSeedRecord(RECEIVED_AT);

const basic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

const request = (authorization?: string): WebhookRequest =>
  webhookRequest({ headers: { authorization }, rawBody: Buffer.from(rawFixture('bandwidth', 'hangup')) });

const authFailure = (req: WebhookRequest, secrets: readonly string[] = SECRETS): unknown => {
  try {
    bandwidthIngress.authenticate(req, secrets, authContext());
  } catch (error) {
    return error;
  }
  return undefined;
};

const expectUnauthorized = (error: unknown) => {
  expect(error).toBeInstanceOf(UnauthorizedError);
  const unauthorized = error as UnauthorizedError;
  expect(unauthorized.statusCode).toBe(401);
  expect(unauthorized.challenge).toBe(CHALLENGE);
  expect(unauthorized.message).toBe('missing or invalid credentials');
};

describe('bandwidthNormalizer.toCallRecord', () => {
  it('turns the seed hangup into a full record', () => {
    // Prepare
    const deliveries = [delivery(rawFixture('bandwidth', 'hangup'))];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record).toStrictEqual(seedRecord());
  });

  it.each([
    ['NORMAL_CLEARING', 'completed', true],
    ['ORIGINATOR_CANCEL', 'canceled', false],
    ['USER_BUSY', 'busy', false],
    ['CALL_REJECTED', 'rejected', false],
    ['UNALLOCATED_NUMBER', 'invalid_number', false],
    ['NO_ANSWER', 'no_answer', false],
    ['NORMAL_TEMPORARY_FAILURE', 'failed', false],
    ['MEDIA_TIMEOUT', 'failed', false],
    ['normal_clearing', 'failed', false],
    ['__proto__', 'failed', false],
  ])('maps cause %s to %s', (cause, outcome, answered) => {
    // Prepare
    const deliveries = [delivery(hangupWith({ cause }))];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record).toMatchObject({ outcome, answered, hangupCause: cause });
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['a number', 16],
    ['an object', { code: 'NORMAL_CLEARING' }],
  ])('treats a %s cause as failed with an empty hangupCause', (_label, cause) => {
    // Prepare
    const deliveries = [delivery(hangupWith({ cause }))];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record).toMatchObject({ outcome: 'failed', answered: false, hangupCause: '' });
  });

  it('exports outcomeOfCause for the documented table', () => {
    // Prepare
    const causes: unknown[] = ['USER_BUSY', 'toString', undefined, ['USER_BUSY']];

    // Act
    const outcomes = causes.map(outcomeOfCause);

    // Assess
    expect(outcomes).toStrictEqual(['busy', 'failed', 'failed', 'failed']);
  });

  it('takes answeredAt and durationSeconds from the answer event, in any input order', () => {
    // Prepare
    const answer = delivery(answerEvent('2012-11-14T15:54:12.636Z'), {
      deliveryId: 'd-0',
      receivedAt: '2012-11-14T15:54:13.000Z',
    });
    const hangup = delivery(bandwidthHangup());
    const expected = {
      ...seedRecord(),
      answeredAt: '2012-11-14T15:54:12.636Z',
      durationSeconds: 120,
      receivedAt: '2012-11-14T15:54:13.000Z',
    };

    // Act
    const answerFirst = toCallRecord([answer, hangup]);
    const hangupFirst = toCallRecord([hangup, answer]);

    // Assess
    expect(answerFirst).toStrictEqual(expected);
    expect(hangupFirst).toStrictEqual(expected);
  });

  it('uses the answer event even when it arrived after the hangup', () => {
    // Prepare
    const hangup = delivery(bandwidthHangup());
    const lateAnswer = delivery(answerEvent('2012-11-14T15:55:12.636Z'), {
      deliveryId: 'd-2',
      receivedAt: '2012-11-14T15:57:00.000Z',
    });

    // Act
    const records = [toCallRecord([hangup, lateAnswer]), toCallRecord([lateAnswer, hangup])];

    // Assess
    for (const record of records) {
      expect(record).toStrictEqual({
        ...seedRecord(),
        answeredAt: '2012-11-14T15:55:12.636Z',
        durationSeconds: 60,
      });
    }
  });

  it('gives the same record for duplicated hangups whatever their order', () => {
    // Prepare
    const first = delivery(bandwidthHangup(), { deliveryId: 'd-1', receivedAt: RECEIVED_AT });
    const retry = delivery(bandwidthHangup(), { deliveryId: 'd-9', receivedAt: '2012-11-14T15:56:43.000Z' });
    const redelivery = delivery(bandwidthHangup(), { deliveryId: 'd-1', receivedAt: RECEIVED_AT });

    // Act
    const records = [toCallRecord([first, retry, redelivery]), toCallRecord([retry, redelivery, first])];

    // Assess
    for (const record of records) expect(record).toStrictEqual(seedRecord());
  });

  it('picks the earliest hangup, then the smallest deliveryId, when hangups disagree', () => {
    // Prepare
    const busyB = delivery(hangupWith({ cause: 'USER_BUSY' }), { deliveryId: 'd-b' });
    const busyA = delivery(hangupWith({ cause: 'NO_ANSWER' }), { deliveryId: 'd-a' });
    const earlier = delivery(hangupWith({ cause: 'CALL_REJECTED' }), {
      deliveryId: 'd-z',
      receivedAt: '2012-11-14T15:56:12.999Z',
    });

    // Act
    const tied = [toCallRecord([busyB, busyA]), toCallRecord([busyA, busyB])];
    const withEarlier = toCallRecord([busyB, busyA, earlier]);

    // Assess
    for (const record of tied) expect(record?.outcome).toBe('no_answer');
    expect(withEarlier?.outcome).toBe('rejected');
  });

  it('returns null while only an answer event is stored', () => {
    // Prepare
    const deliveries = [delivery(answerEvent('2012-11-14T15:54:12.636Z'))];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record).toBeNull();
  });

  it('returns null for no deliveries', () => {
    // Prepare
    const deliveries: Delivery[] = [];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record).toBeNull();
  });

  it('keeps SIP addresses as sip:user@host', () => {
    // Prepare
    const deliveries = [delivery(hangupWith({ from: 'identify@domain.com', to: 'sip:identify@domain.com' }))];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record).toMatchObject({ from: 'sip:identify@domain.com', to: 'sip:identify@domain.com' });
  });

  it('falls back to the answer event for parties the hangup lacks', () => {
    // Prepare
    const hangup = delivery(hangupWith({ from: undefined }));
    const answer = delivery(
      { ...answerEvent('2012-11-14T15:54:12.636Z'), from: '+15555555555' },
      { deliveryId: 'd-0' },
    );

    // Act
    const record = toCallRecord([hangup, answer]);

    // Assess
    expect(record).toMatchObject({ from: '+15555555555', to: '+13233326955' });
  });

  it('converts a time with an offset to UTC', () => {
    // Prepare
    const deliveries = [delivery(hangupWith({ time: '2012-11-14T10:56:12.636-05:00' }))];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record?.endedAt).toBe('2012-11-14T15:56:12.636Z');
  });

  it('keeps the record with endedAt null when the time is unparseable', () => {
    // Prepare
    const deliveries = [delivery(hangupWith({ time: 'yesterday at noon' }))];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record).toStrictEqual({ ...seedRecord(), endedAt: null });
  });

  it('reads direction from the events, else from an incomingcall event', () => {
    // Prepare
    const incoming = delivery(
      { ...answerEvent('2012-11-14T15:53:00.000Z'), eventType: 'incomingcall' },
      { deliveryId: 'd-0' },
    );
    const outbound = delivery(hangupWith({ direction: 'out' }));

    // Act
    const fromIncoming = toCallRecord([incoming, delivery(bandwidthHangup())]);
    const fromField = toCallRecord([outbound]);

    // Assess
    expect(fromIncoming).toMatchObject({ direction: 'inbound', startedAt: '2012-11-14T15:53:00.000Z' });
    expect(fromField).toMatchObject({ direction: 'outbound', startedAt: null });
  });

  it('takes callUri and callState from the hangup', () => {
    // Prepare
    const deliveries = [delivery(hangupWith({ callState: 'completed' }))];

    // Act
    const record = toCallRecord(deliveries);

    // Assess
    expect(record?.details).toStrictEqual({ ...seedRecord().details, callState: 'completed' });
  });

  it('never throws on wrong field types and prototype keys', () => {
    // Prepare
    const odd = [[], {}, 42, true, null, 'x'.repeat(100_000), { __proto__: 'x' }];
    const bodies = odd.map((value) => ({
      eventType: 'hangup',
      callId: CALL_ID,
      from: value,
      to: value,
      time: value,
      cause: value,
      callUri: value,
      callState: value,
      direction: value,
    }));
    const raw = [
      '{"__proto__":{"cause":"NORMAL_CLEARING"},"eventType":"hangup"}',
      '{"constructor":{"prototype":{"x":1}},"eventType":"hangup"}',
      '[1,2,3]',
      'null',
      'not json',
    ];
    const deliveries = [...bodies.map((body) => delivery(body)), ...raw.map((body) => delivery(body))];

    // Act
    const records = deliveries.map((item) => toCallRecord([item]));

    // Assess
    expect(records.filter((record) => record === null)).toHaveLength(3);
    for (const record of records.filter((item) => item !== null)) {
      expect(record).toMatchObject({ provider: 'bandwidth', callId: CALL_ID, receivedAt: RECEIVED_AT });
    }
    const protoRecord = records[bodies.length];
    expect(protoRecord).toMatchObject({ outcome: 'failed', hangupCause: '' });
    expect(Object.prototype).not.toHaveProperty('cause');
  });

  it('never throws for arbitrary JSON bodies delivered as hangups', () => {
    // Prepare
    const body = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('from', 'to', 'time', 'cause', 'direction', 'callUri', '__proto__'),
        fc.jsonValue(),
      ),
    );

    // Act & Assess
    fc.assert(
      fc.property(body, (value) => {
        const record = toCallRecord([delivery(JSON.stringify(value))]);
        const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
        expect(record === null).toBe(!isObject);
      }),
    );
  });

  it('gives a record independent of the order of deliveries', () => {
    // Prepare
    const field = fc.oneof(
      fc.constantFrom('2012-11-14T15:56:12.636Z', '2012-11-14T10:55:00-05:00', '+13233326955', 'in'),
      fc.constantFrom('NORMAL_CLEARING', 'USER_BUSY', 'https://example.com/calls/c', 'outbound'),
      fc.jsonValue(),
    );
    const event = fc.record({
      eventType: fc.constantFrom('hangup', 'answer', 'incomingcall', 'conference'),
      callId: fc.constantFrom(CALL_ID, 'other-call'),
      body: fc.dictionary(
        fc.constantFrom('from', 'to', 'time', 'cause', 'direction', 'callUri', 'callState'),
        field,
      ),
      deliveryId: fc.constantFrom('d-1', 'd-2', 'd-3'),
      receivedAt: fc.constantFrom(RECEIVED_AT, '2012-11-14T15:56:14.000Z', '2012-11-14T16:56:14.000+01:00'),
    });
    const deliveries = fc.array(event, { maxLength: 6 }).map((events) =>
      events.map(({ eventType, callId, body, deliveryId, receivedAt }) =>
        delivery(JSON.stringify({ ...body, eventType, callId }), {
          eventType,
          callId,
          deliveryId,
          receivedAt,
        }),
      ),
    );
    const withPermutation = deliveries.chain((items) =>
      fc.tuple(
        fc.constant(items),
        fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }),
      ),
    );

    // Act & Assess
    fc.assert(
      fc.property(withPermutation, ([items, shuffled]) => {
        expect(toCallRecord(shuffled)).toStrictEqual(toCallRecord(items));
      }),
    );
  });
});

describe('bandwidthNormalizer.recordEvents', () => {
  it('builds the record from hangup, answer and incomingcall only', () => {
    expect([...bandwidthNormalizer.recordEvents].sort()).toEqual(['answer', 'hangup', 'incomingcall']);
  });

  it('is not changed by other events of the call, whatever they carry or when they arrived', () => {
    // Prepare
    const hangup = delivery(bandwidthHangup(), { deliveryId: 'd-2', receivedAt: '2012-11-14T15:56:13.000Z' });
    const playback = delivery(
      { eventType: 'playback', callId: CALL_ID, status: 'done', direction: 'out', from: '+15550000000' },
      { deliveryId: 'd-1', receivedAt: '2012-11-14T15:50:00.000Z' },
    );

    // Act
    const alone = bandwidthNormalizer.toCallRecord([hangup]);
    const withPlayback = bandwidthNormalizer.toCallRecord([playback, hangup]);

    // Assess
    expect(withPlayback).toEqual(alone);
    expect(withPlayback?.receivedAt).toBe('2012-11-14T15:56:13.000Z');
    expect(withPlayback?.direction).toBeNull();
  });
});

describe('bandwidthIngress.authenticate', () => {
  it.each(SECRETS)('accepts Basic credentials matching %s', (secret) => {
    // Prepare
    const req = request(basic(secret));

    // Act
    const error = authFailure(req);

    // Assess
    expect(error).toBeUndefined();
  });

  it('accepts a lower-case scheme', () => {
    // Prepare
    const req = request(basic(SECRETS[0]).replace('Basic', 'basic'));

    // Act
    const error = authFailure(req);

    // Assess
    expect(error).toBeUndefined();
  });

  it('accepts a password that contains colons', () => {
    // Prepare
    const req = request(basic('bw-user:pa:ss:word'));

    // Act
    const error = authFailure(req, ['bw-user:pa:ss:word']);

    // Assess
    expect(error).toBeUndefined();
  });

  it.each([
    ['a wrong password', basic('bw-user:wrong-pass')],
    ['a wrong user', basic('other-user:current-pass')],
    ['no header', undefined],
    ['a Bearer scheme', `Bearer ${Buffer.from(SECRETS[0]).toString('base64')}`],
    ['garbage base64', 'Basic !!!not*base64***'],
    ['credentials without a colon', basic('bw-usercurrent-pass')],
    ['an empty credential', 'Basic '],
    ['bytes that are not UTF-8', `Basic ${Buffer.from([0xff, 0x3a, 0xfe]).toString('base64')}`],
  ])('rejects %s with 401 and a Basic challenge', (_label, authorization) => {
    // Prepare
    const req = request(authorization);

    // Act
    const error = authFailure(req);

    // Assess
    expectUnauthorized(error);
  });

  it('rejects everything when no secret is configured', () => {
    // Prepare
    const req = request(basic(SECRETS[0]));

    // Act
    const error = authFailure(req, []);

    // Assess
    expectUnauthorized(error);
  });

  it('never echoes the submitted credentials', () => {
    // Prepare
    const req = request(basic('bw-user:leaked-guess'));

    // Act
    const error = authFailure(req);

    // Assess
    expectUnauthorized(error);
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
      'leaked-guess',
    );
  });
});

describe('bandwidthIngress.identify', () => {
  const identify = (body: Record<string, unknown>) => bandwidthIngress.identify(body);

  it('identifies the seed hangup', () => {
    // Prepare
    const body = bandwidthHangup();

    // Act
    const identity = identify(body);

    // Assess
    expect(identity).toStrictEqual({ eventType: 'hangup', callId: CALL_ID });
  });

  it.each(['hangup', 'answer', 'incomingcall'])('rejects a %s event without callId', (eventType) => {
    // Prepare
    const body = { ...bandwidthHangup(), eventType, callId: undefined };

    // Act
    const act = () => identify(body);

    // Assess
    expect(act).toThrow(BadRequestError);
    expect(act).toThrow(`${eventType} event has no callId`);
  });

  it('acknowledges a conference event without callId', () => {
    // Prepare
    const body = { eventType: 'conference', conferenceId: 'conf-1', status: 'created' };

    // Act
    const identity = identify(body);

    // Assess
    expect(identity).toStrictEqual({ eventType: 'conference', callId: null });
  });

  it('acknowledges an unknown event type, keeping its callId', () => {
    // Prepare
    const body = { ...bandwidthHangup(), eventType: 'some-future-event' };

    // Act
    const identity = identify(body);

    // Assess
    expect(identity).toStrictEqual({ eventType: 'some-future-event', callId: CALL_ID });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 7],
  ])('rejects an eventType that is %s', (_label, eventType) => {
    // Prepare
    const body = { ...bandwidthHangup(), eventType };

    // Act
    const act = () => identify(body);

    // Assess
    expect(act).toThrow(new BadRequestError('body has no eventType'));
  });

  it('ignores an eventType inherited through __proto__', () => {
    // Prepare
    const body = JSON.parse('{"__proto__":{"eventType":"hangup"},"callId":"c"}') as Record<string, unknown>;

    // Act
    const act = () => identify(body);

    // Assess
    expect(act).toThrow('body has no eventType');
  });

  it.each([
    ['a number', 12345],
    ['an object', { id: 'c' }],
    ['an array', ['c']],
  ])('rejects a callId that is %s', (_label, callId) => {
    // Prepare
    const body = { ...bandwidthHangup(), callId };

    // Act
    const act = () => identify(body);

    // Assess
    expect(act).toThrow(new BadRequestError('callId is not a string'));
  });

  it('rejects a callId longer than 200 characters', () => {
    // Prepare
    const body = { ...bandwidthHangup(), callId: 'c'.repeat(201) };

    // Act
    const act = () => identify(body);

    // Assess
    expect(act).toThrow(BadRequestError);
  });
});

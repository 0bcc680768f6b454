import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import { callkaroIngress } from '../../lib/providers/callkaro/ingress';
import {
  callkaroNormalizer,
  createCallkaroNormalizer,
  outcomeOfHangupReason,
} from '../../lib/providers/callkaro/normalize';
import type { WebhookRequest } from '../../lib/providers/types';
import type { CallRecord } from '../../lib/record';
import { callkaroCallEnded, rawFixture } from '../fixtures';
import { delivery } from '../support/deliveries';
import { callkaroSeedRecord } from '../support/records';
import { authContext, webhookRequest } from '../support/requests';

const CALL_SID = '2303fa770b666a64ab1694c1e';
/** `delivery`'s default arrival time. */
const RECEIVED_AT = '2025-12-19T10:33:08.123Z';

/** The seed with `data` changed by `change`, as a delivery. */
const seedDelivery = (change: (data: Record<string, unknown>) => void, overrides: Partial<Delivery> = {}) => {
  const payload = callkaroCallEnded();
  change(payload.data);
  return delivery(payload, overrides);
};

const kolkata = createCallkaroNormalizer('Asia/Kolkata');
const recordOf = (...deliveries: Delivery[]): CallRecord => {
  const record = kolkata.toCallRecord(deliveries);
  if (record === null) throw new Error('expected a record');
  return record;
};

const request = (pathParameters: Record<string, string | undefined>): WebhookRequest =>
  webhookRequest({ pathParameters, rawBody: Buffer.from(rawFixture('callkaro', 'call-ended')) });

const thrown = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('callkaroIngress.authenticate', () => {
  const secrets = ['current-token-0123456789', 'next-token-9876543210'];

  it('accepts the current token', () => {
    // Prepare
    const req = request({ token: 'current-token-0123456789' });

    // Act
    const act = () => callkaroIngress.authenticate(req, secrets, authContext());

    // Assess
    expect(act).not.toThrow();
  });

  it('accepts the next token during rotation', () => {
    // Prepare
    const req = request({ token: 'next-token-9876543210' });

    // Act
    const act = () => callkaroIngress.authenticate(req, secrets, authContext());

    // Assess
    expect(act).not.toThrow();
  });

  it.each([
    ['a wrong token', { token: 'wrong-token' }, secrets],
    ['a prefix of the token', { token: 'current-token' }, secrets],
    ['an empty token', { token: '' }, secrets],
    ['no token path parameter', {}, secrets],
    ['an undefined token path parameter', { token: undefined }, secrets],
    ['a URL-encoded variant of the token', { token: '%74oken' }, ['token']],
    ['no configured secrets', { token: 'token' }, []],
  ])('rejects %s with 401 and no challenge', (_, pathParameters, configured) => {
    // Prepare
    const req = request(pathParameters);

    // Act
    const error = thrown(() => callkaroIngress.authenticate(req, configured, authContext()));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).toMatchObject({
      statusCode: 401,
      message: 'missing or invalid token',
      challenge: undefined,
    });
  });

  it('never echoes the presented token', () => {
    // Prepare
    const req = request({ token: 'attacker-chosen-secret-guess' });

    // Act
    const error = thrown(() => callkaroIngress.authenticate(req, secrets, authContext())) as Error;

    // Assess
    expect(error.message).not.toContain('attacker-chosen-secret-guess');
  });

  it('is named callkaro', () => {
    // Assess
    expect(callkaroIngress.name).toBe('callkaro');
  });
});

describe('callkaroIngress.identify', () => {
  it('identifies the seed as call_ended with its callSid', () => {
    // Prepare
    const body = callkaroCallEnded();

    // Act
    const identity = callkaroIngress.identify(body);

    // Assess
    expect(identity).toEqual({ eventType: 'call_ended', callId: CALL_SID });
  });

  it.each([
    ['without data', (body: Record<string, unknown>) => delete body.data],
    ['with null data', (body: Record<string, unknown>) => (body.data = null)],
    ['with array data', (body: Record<string, unknown>) => (body.data = [{ callSid: CALL_SID }])],
    ['without callSid', (body: { data: Record<string, unknown> }) => delete body.data.callSid],
    ['with an empty callSid', (body: { data: Record<string, unknown> }) => (body.data.callSid = '')],
    ['with a numeric callSid', (body: { data: Record<string, unknown> }) => (body.data.callSid = 12345)],
    ['with an object callSid', (body: { data: Record<string, unknown> }) => (body.data.callSid = { id: 1 })],
    [
      'with a callSid over 200 chars',
      (body: { data: Record<string, unknown> }) => (body.data.callSid = 'a'.repeat(201)),
    ],
  ])('rejects call_ended %s with 400 and a one-line reason', (_, change) => {
    // Prepare
    const body = callkaroCallEnded();
    change(body as { data: Record<string, unknown> });

    // Act
    const error = thrown(() => callkaroIngress.identify(body));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ statusCode: 400 });
    expect((error as Error).message).toMatch(/^call_ended event .*callSid[^\n]*$/);
  });

  it('accepts a callSid of exactly 200 chars', () => {
    // Prepare
    const body = callkaroCallEnded();
    body.data.callSid = 'a'.repeat(200);

    // Act
    const identity = callkaroIngress.identify(body);

    // Assess
    expect(identity.callId).toBe('a'.repeat(200));
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a string', 42],
  ])('rejects a body whose event is %s', (_, event) => {
    // Prepare
    const body: Record<string, unknown> = callkaroCallEnded();
    body.event = event;

    // Act
    const error = thrown(() => callkaroIngress.identify(body));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ statusCode: 400, message: 'body has no event' });
  });

  it('acknowledges an unknown event without data, with no call id', () => {
    // Prepare
    const body = { event: 'call_started' };

    // Act
    const identity = callkaroIngress.identify(body);

    // Assess
    expect(identity).toEqual({ eventType: 'call_started', callId: null });
  });

  it('keeps the callSid of an unknown event when it has one', () => {
    // Prepare
    const body: Record<string, unknown> = callkaroCallEnded();
    body.event = 'call_started';

    // Act
    const identity = callkaroIngress.identify(body);

    // Assess
    expect(identity).toEqual({ eventType: 'call_started', callId: CALL_SID });
  });

  it('gives an unknown event with an invalid callSid no call id', () => {
    // Prepare
    const body: Record<string, unknown> = callkaroCallEnded();
    body.event = 'call_started';
    (body.data as Record<string, unknown>).callSid = 7;

    // Act
    const identity = callkaroIngress.identify(body);

    // Assess
    expect(identity).toEqual({ eventType: 'call_started', callId: null });
  });
});

describe('callkaro toCallRecord', () => {
  it('turns the seed into the full record', () => {
    // Prepare
    const seed = delivery(rawFixture('callkaro', 'call-ended'));

    // Act
    const record = kolkata.toCallRecord([seed]);

    // Assess
    expect(record).toStrictEqual(callkaroSeedRecord(RECEIVED_AT));
  });

  it('uses Asia/Kolkata by default and is named callkaro', () => {
    // Prepare
    const seed = delivery(rawFixture('callkaro', 'call-ended'));
    const expected = process.env.CALLKARO_TIMEZONE ? undefined : '2025-12-19T10:31:07.000Z';

    // Act
    const record = callkaroNormalizer.toCallRecord([seed]);

    // Assess
    expect(callkaroNormalizer.name).toBe('callkaro');
    if (expected !== undefined) expect(record?.startedAt).toBe(expected);
  });

  it.each([
    ['CLIENT_INITIATED', 'completed', true],
    ['PARTICIPANT_REMOVED', 'completed', true],
    ['SESSION_TIMEOUT', 'completed', true],
    ['VOICEMAIL_DETECTED', 'voicemail', true],
    ['USER_REJECTED', 'rejected', false],
    ['USER_UNAVAILABLE', 'no_answer', false],
    ['USER_UNRESPONSIVE', 'failed', false],
    ['INVALID_PHONE_NUMBER', 'invalid_number', false],
    ['OUTSIDE_TRIGGER_WINDOW', 'not_placed', false],
    ['DELETED_SCH_CALL_ALL', 'not_placed', false],
    ['DELETED_SCH_CALL_ONE', 'not_placed', false],
    ['PRE_CALL_FN_FAILED', 'not_placed', false],
    ['UNKNOWN', 'unknown', false],
    ['SOMETHING_NEW', 'unknown', false],
    ['client_initiated', 'unknown', false],
    ['__proto__', 'unknown', false],
    ['toString', 'unknown', false],
  ])('maps hangup_reason %s to %s (answered %s)', (reason, outcome, answered) => {
    // Prepare
    const input = seedDelivery((data) => {
      data.hangup_reason = reason;
    });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record).toMatchObject({ outcome, answered, hangupCause: reason });
    expect(outcomeOfHangupReason(reason)).toBe(outcome);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['a number', 3],
    ['an object', { reason: 'CLIENT_INITIATED' }],
  ])('gives outcome unknown and hangupCause "" when hangup_reason is %s', (_, reason) => {
    // Prepare
    const input = seedDelivery((data) => {
      data.hangup_reason = reason;
    });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record).toMatchObject({ outcome: 'unknown', answered: false, hangupCause: '' });
    expect(outcomeOfHangupReason(reason)).toBe('unknown');
  });

  it.each([
    ['UTC', '2025-12-19T16:01:07.000Z', '2025-12-19T16:03:07.000Z'],
    ['America/New_York', '2025-12-19T21:01:07.000Z', '2025-12-19T21:03:07.000Z'],
    ['Asia/Kolkata', '2025-12-19T10:31:07.000Z', '2025-12-19T10:33:07.000Z'],
  ])('reads time in the configured zone %s', (zone, startedAt, endedAt) => {
    // Prepare
    const normalizer = createCallkaroNormalizer(zone);

    // Act
    const record = normalizer.toCallRecord([delivery(rawFixture('callkaro', 'call-ended'))]);

    // Assess
    expect(record).toMatchObject({ startedAt, endedAt });
  });

  it.each(['Mars/Olympus_Mons', '', 'IST+5:30'])('refuses the time zone %j at creation', (zone) => {
    // Act
    const act = () => createCallkaroNormalizer(zone);

    // Assess
    expect(act).toThrow();
  });

  it.each([
    ['name inbound', (data: Record<string, unknown>) => (data.name = 'inbound')],
    ['try_count -1', (data: Record<string, unknown>) => (data.try_count = -1)],
  ])('marks the call inbound via %s', (_, change) => {
    // Prepare
    const input = seedDelivery(change);

    // Act
    const record = recordOf(input);

    // Assess
    expect(record.direction).toBe('inbound');
  });

  it.each(['outbound-api', 'outbound-scheduled', 'outbound-test', 'agent-test'])(
    'marks the call type %s outbound',
    (name) => {
      // Prepare
      const input = seedDelivery((data) => {
        data.name = name;
      });

      // Act
      const record = recordOf(input);

      // Assess
      expect(record.direction).toBe('outbound');
      expect(record.details.callType).toBe(name);
    },
  );

  it.each([
    ['garbage', 'yesterday afternoon'],
    ['an impossible date', '2025-02-30 10:00:00'],
    ['empty', ''],
    ['a number', 1734604267],
    ['missing', undefined],
  ])('keeps the record with null times when time is %s', (_, time) => {
    // Prepare
    const input = seedDelivery((data) => {
      data.time = time;
    });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record).toMatchObject({
      startedAt: null,
      endedAt: null,
      durationSeconds: 120,
      outcome: 'completed',
    });
  });

  it.each([
    ['a numeric string', '120', 120],
    ['zero', 0, 0],
    ['fractional', 12.5, 12.5],
    ['negative', -5, null],
    ['a non-numeric string', '2 minutes', null],
    ['null', null, null],
    ['missing', undefined, null],
    ['a boolean', true, null],
  ])('reads call_duration given as %s', (_, callDuration, durationSeconds) => {
    // Prepare
    const input = seedDelivery((data) => {
      data.call_duration = callDuration;
    });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record.durationSeconds).toBe(durationSeconds);
    expect(record.startedAt).toBe('2025-12-19T10:31:07.000Z');
    expect(record.endedAt).toBe(
      durationSeconds === null
        ? null
        : new Date(Date.parse(record.startedAt ?? '') + durationSeconds * 1000).toISOString(),
    );
  });

  it('reads from and to sent as JSON numbers', () => {
    // Prepare
    const input = seedDelivery((data) => {
      data.from = 919876543210;
      data.to = 918765432109;
    });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record).toMatchObject({ from: '+919876543210', to: '+918765432109' });
  });

  it.each([
    ['a negative number', -919876543210, null],
    ['a fraction', 9198765432.1, null],
    ['null', null, null],
    ['an array', ['919876543210'], null],
    ['already E.164', '+919876543210', '+919876543210'],
  ])('reads from given as %s', (_, from, expected) => {
    // Prepare
    const input = seedDelivery((data) => {
      data.from = from;
    });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record.from).toBe(expected);
  });

  it.each([
    ['null', null],
    ['absent', undefined],
  ])('gives null batchId and recordingUrl when they are %s', (_, value) => {
    // Prepare
    const input = seedDelivery((data) => {
      data.batchId = value;
      data.recordingUrl = value;
    });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record.details).toMatchObject({ batchId: null, recordingUrl: null });
    expect(Object.keys(record.details)).toHaveLength(15);
  });

  it('gives null for every detail of an empty data object', () => {
    // Prepare
    const input = delivery({ event: 'call_ended', data: {} });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record).toMatchObject({
      callId: CALL_SID,
      from: null,
      to: null,
      direction: 'outbound',
      startedAt: null,
      endedAt: null,
      durationSeconds: null,
      outcome: 'unknown',
      hangupCause: '',
    });
    expect(Object.values(record.details)).toEqual(Array(15).fill(null));
  });

  it('keeps a Hindi transcription intact', () => {
    // Prepare
    const transcription = 'एजेंट: नमस्ते, क्या मैं जतिन जी से बात कर रहा हूँ?\nग्राहक: हाँ, बोलिए। 🙏';
    const input = seedDelivery((data) => {
      data.transcription = transcription;
    });

    // Act
    const record = recordOf(input);

    // Assess
    expect(record.details.transcription).toBe(transcription);
  });

  it('keeps a __proto__ key in call_metadata as data without polluting prototypes', () => {
    // Prepare
    const raw = rawFixture('callkaro', 'call-ended').replace(
      '"call_metadata": {',
      '"call_metadata": { "__proto__": { "polluted": true }, "constructor": { "prototype": { "polluted": true } },',
    );

    // Act
    const record = recordOf(delivery(raw));

    // Assess
    const metadata = record.details.metadata as Record<string, unknown>;
    expect(Object.hasOwn(metadata, '__proto__')).toBe(true);
    expect(metadata.name).toBe('Jatin');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(record.details)).toBe(Object.prototype);
  });

  it('gives the same record for account- and agent-level duplicates in any order', () => {
    // Prepare
    const account = delivery(rawFixture('callkaro', 'call-ended'), {
      deliveryId: 'b-account',
      receivedAt: '2025-12-19T10:33:08.500Z',
    });
    const agent = seedDelivery(
      (data) => {
        data.transcription = 'a slightly different copy';
      },
      { deliveryId: 'a-agent', receivedAt: '2025-12-19T10:33:08.900Z' },
    );

    // Act
    const forward = recordOf(account, agent);
    const backward = recordOf(agent, account);

    // Assess
    expect(forward).toStrictEqual(backward);
    expect(forward.details.transcription).toBe('Full call transcript...');
    expect(forward.receivedAt).toBe('2025-12-19T10:33:08.500Z');
  });

  it('breaks a receivedAt tie by the smallest deliveryId', () => {
    // Prepare
    const first = seedDelivery(
      (data) => {
        data.hangup_reason = 'USER_REJECTED';
      },
      { deliveryId: 'delivery-a' },
    );
    const second = seedDelivery(() => {}, { deliveryId: 'delivery-b' });

    // Act
    const forward = recordOf(second, first);
    const backward = recordOf(first, second);

    // Assess
    expect(forward).toStrictEqual(backward);
    expect(forward.outcome).toBe('rejected');
  });

  it('takes receivedAt from the earliest call_ended delivery; other events of the call do not count', () => {
    // Prepare
    const other = delivery(
      { event: 'call_started' },
      { deliveryId: 'z', receivedAt: '2025-12-19T10:30:00.000Z' },
    );
    const ended = delivery(rawFixture('callkaro', 'call-ended'));

    // Act
    const record = recordOf(ended, other);

    // Assess
    expect(other.eventType).toBe('call_started');
    expect(record.receivedAt).toBe(ended.receivedAt);
    expect(record.hangupCause).toBe('CLIENT_INITIATED');
  });

  it.each([
    ['no deliveries', []],
    ['only another event type', [delivery({ event: 'call_started', data: { callSid: CALL_SID } })]],
    ['a body that is not JSON', [delivery('{"event":"call_ended",')]],
    ['a JSON array body', [delivery('[{"event":"call_ended","data":{}}]')]],
    ['call_ended without an object data', [delivery({ event: 'call_ended', data: 'oops' })]],
    ['call_ended with no call id anywhere', [delivery({ event: 'call_ended', data: {} }, { callId: null })]],
  ])('gives null for %s', (_, deliveries) => {
    // Act
    const record = kolkata.toCallRecord(deliveries);

    // Assess
    expect(record).toBeNull();
  });

  it('survives wrong types in every field', () => {
    // Prepare
    const data = {
      callSid: ['x'],
      name: 42,
      agent: { id: 1 },
      versionId: false,
      from: { number: '919876543210' },
      to: Number.MAX_SAFE_INTEGER,
      recordingUrl: 7,
      call_duration: '1e400',
      time: ['2025-12-19 16:01:07'],
      transcription: 'x'.repeat(200_000),
      batchId: [],
      hangup_reason: ['CLIENT_INITIATED'],
      call_metadata: 'not an object',
      try_count: '-1',
      post_call: null,
      post_call_detail: 3,
      functions_called: { name: 'update_crm' },
      disposition_reason: {},
      conversion_status: 'yes',
      next_call_scheduled: 0,
      call_link: null,
    };

    // Act
    const record = recordOf(delivery({ event: 'call_ended', data }));

    // Assess
    expect(record).toMatchObject({
      callId: CALL_SID,
      from: null,
      direction: 'outbound',
      startedAt: null,
      endedAt: null,
      durationSeconds: null,
      outcome: 'unknown',
      hangupCause: '',
    });
    expect(record.details).toMatchObject({ callType: 42, tryCount: '-1', metadata: 'not an object' });
  });

  it('survives a huge from and time', () => {
    // Prepare
    const input = seedDelivery((data) => {
      data.from = '9'.repeat(100_000);
      data.time = `2025-12-19 16:01:07${' '.repeat(100_000)}x`;
      data.call_duration = Number.MAX_VALUE;
    });

    // Act
    const act = () => recordOf(input);

    // Assess
    expect(act).not.toThrow();
  });
});

describe('callkaro toCallRecord properties', () => {
  const knownKeys = [
    'callSid',
    'name',
    'agent',
    'versionId',
    'from',
    'to',
    'recordingUrl',
    'call_duration',
    'time',
    'transcription',
    'batchId',
    'hangup_reason',
    'call_metadata',
    'try_count',
    'post_call',
    'post_call_detail',
    'functions_called',
    'disposition_reason',
    'conversion_status',
    'next_call_scheduled',
    'call_link',
    '__proto__',
    'constructor',
    'toString',
  ];
  const keyArb = fc.oneof(fc.constantFrom(...knownKeys), fc.string());
  const valueArb = fc.oneof(
    fc.anything({ key: keyArb, withNullPrototype: true }),
    fc.constantFrom('919876543210', '2025-12-19 16:01:07', 'CLIENT_INITIATED', 'inbound', -1, 120, '120'),
  );
  const dataArb = fc.dictionary(keyArb, valueArb);

  it('never throws for arbitrary data objects', () => {
    fc.assert(
      fc.property(dataArb, (data) => {
        // Act
        const record = kolkata.toCallRecord([delivery({ event: 'call_ended', data })]);

        // Assess
        expect(record?.provider).toBe('callkaro');
        expect(Object.keys(record?.details ?? {})).toHaveLength(15);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
    );
  });

  it('never throws for arbitrary bodies', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((value) => JSON.stringify({ event: 'call_ended', data: value })),
        ),
        (body) => {
          // Act
          const act = () => kolkata.toCallRecord([delivery(body)]);

          // Assess
          expect(act).not.toThrow();
        },
      ),
    );
  });

  it('gives the same record whatever the delivery order', () => {
    const deliveryArb = fc.record({
      data: dataArb,
      event: fc.constantFrom('call_ended', 'call_ended', 'call_started'),
      // A small range makes receivedAt ties, so the tie-breakers get exercised.
      offsetMs: fc.integer({ min: 0, max: 3 }),
    });
    const deliveriesArb = fc
      .uniqueArray(fc.tuple(fc.string({ minLength: 1 }), deliveryArb), {
        minLength: 1,
        maxLength: 5,
        selector: ([id]) => id,
      })
      .map((items) =>
        items.map(([deliveryId, { data, event, offsetMs }]) =>
          delivery(
            { event, data },
            { deliveryId, receivedAt: new Date(Date.parse(RECEIVED_AT) + offsetMs).toISOString() },
          ),
        ),
      );

    fc.assert(
      fc.property(
        deliveriesArb.chain((deliveries) =>
          fc.tuple(
            fc.constant(deliveries),
            fc.shuffledSubarray(deliveries, { minLength: deliveries.length, maxLength: deliveries.length }),
          ),
        ),
        ([deliveries, shuffled]) => {
          // Act
          const original = kolkata.toCallRecord(deliveries);
          const reordered = kolkata.toCallRecord(shuffled);

          // Assess
          expect(JSON.stringify(reordered)).toBe(JSON.stringify(original));
        },
      ),
    );
  });
});

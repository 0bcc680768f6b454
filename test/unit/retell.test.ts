import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import { retellIngress, verifyRetellSignature } from '../../lib/providers/retell/ingress';
import {
  OUTCOME_BY_DISCONNECTION_REASON,
  outcomeOfDisconnectionReason,
  retellNormalizer,
} from '../../lib/providers/retell/normalize';
import type { CallRecord, Outcome } from '../../lib/record';
import { rawFixture, retellEvent } from '../fixtures';
import { delivery } from '../support/deliveries';
import { authContext, webhookRequest } from '../support/requests';

const CALL_ID = 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6';
const URL = 'https://example.com/webhooks/retell';

const thrown = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

/** Independent of the implementation: the algorithm as Retell's SDKs document it. */
const sign = (raw: Buffer | string, key: string, ms: number) =>
  `v=${ms},d=${createHmac('sha256', key).update(`${raw}${ms}`).digest('hex')}`;

describe('verifyRetellSignature: the SELF-GENERATED vector of providers-next.md §7', () => {
  // No official vector exists (the SDK tests do not cover verify): this one was computed with the
  // documented algorithm, hex HMAC-SHA256(key, raw body + ms), over the exact bytes of
  // shared/vectors/retell_vector_body.json (copied byte for byte to test/fixtures/retell/vector-body.json).
  const body = Buffer.from(rawFixture('retell', 'vector-body'));
  const key = 'key_test_webhook_badge_0001';
  const header = 'v=1714608492000,d=b81911e0db67b656df4fda57ebe64101764cb08c32f81a3d21cf3ab9890da3c8';
  const now = new Date(1714608492000 + 1000);

  it('accepts the vector', () => {
    // Act
    const act = () => verifyRetellSignature(body, { 'x-retell-signature': header }, URL, [key], now);

    // Assess
    expect(body.length).toBe(321);
    expect(act).not.toThrow();
  });

  it.each([
    ['a wrong key', { keys: ['key_test_webhook_badge_0002'] }],
    [
      'the body changed by one byte',
      { body: Buffer.from(body.toString().replace('user_hangup', 'user_hangop')) },
    ],
    [
      'the body re-serialized with spaces',
      { body: Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1)) },
    ],
    ['one digest digit changed', { header: header.replace(/c8$/, 'c9') }],
    ['the timestamp changed by 1 ms', { header: header.replace('v=1714608492000', 'v=1714608492001') }],
    ['no header', { header: undefined }],
    ['an empty header', { header: '' }],
    ['the digest without v=', { header: header.replace('v=1714608492000,', '') }],
    ['no keys configured', { keys: [] }],
    ['the vector 301 s later', { now: new Date(1714608492000 + 301_000) }],
    ['the vector 301 s earlier', { now: new Date(1714608492000 - 301_000) }],
  ])(
    'rejects %s with a 401',
    (_name, change: { keys?: string[]; body?: Buffer; header?: string; now?: Date }) => {
      // Prepare
      const headers = { 'x-retell-signature': 'header' in change ? change.header : header };

      // Act
      const error = thrown(() =>
        verifyRetellSignature(change.body ?? body, headers, URL, change.keys ?? [key], change.now ?? now),
      );

      // Assess
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as Error).message).not.toContain(key);
    },
  );

  it('accepts the vector exactly 300 s either side', () => {
    // Act
    const late = () =>
      verifyRetellSignature(body, { 'x-retell-signature': header }, URL, [key], new Date(1714608792000));
    const early = () =>
      verifyRetellSignature(body, { 'x-retell-signature': header }, URL, [key], new Date(1714608192000));

    // Assess
    expect(late).not.toThrow();
    expect(early).not.toThrow();
  });

  it('accepts the vector signed with the second key during rotation, and upper-case hex', () => {
    // Act
    const act = () =>
      verifyRetellSignature(
        body,
        { 'x-retell-signature': header.toUpperCase().replace('V=', 'v=').replace('D=', 'd=') },
        URL,
        ['key_old', key],
        now,
      );

    // Assess
    expect(act).not.toThrow();
  });
});

describe('retellIngress.authenticate: requests signed in the test', () => {
  const keys = ['key_current_abc', 'key_next_def'];
  const now = new Date('2026-03-01T12:00:00.000Z');
  const raw = rawFixture('retell', 'call-ended');

  it.each([
    ['the current key', 'key_current_abc'],
    ['the next key', 'key_next_def'],
  ])('accepts a body signed with %s', (_name, key) => {
    // Prepare
    const request = webhookRequest({
      rawBody: Buffer.from(raw),
      headers: { 'x-retell-signature': sign(raw, key, now.getTime() - 5000) },
    });

    // Act
    const act = () => retellIngress.authenticate(request, keys, authContext(now));

    // Assess
    expect(act).not.toThrow();
  });

  it('checks the exact bytes of a Hindi-and-emoji body', () => {
    // Prepare
    const body = Buffer.from(
      JSON.stringify({ event: 'call_ended', call: { call_id: 'c1', transcript: 'नमस्ते 🙏' } }),
    );
    const request = webhookRequest({
      rawBody: body,
      headers: { 'x-retell-signature': sign(body, 'key_current_abc', now.getTime()) },
    });

    // Act
    const act = () => retellIngress.authenticate(request, keys, authContext(now));

    // Assess
    expect(act).not.toThrow();
  });

  it('rejects a signature from another key, naming neither key', () => {
    // Prepare
    const request = webhookRequest({
      rawBody: Buffer.from(raw),
      headers: { 'x-retell-signature': sign(raw, 'key_someone_else', now.getTime()) },
    });

    // Act
    const error = thrown(() => retellIngress.authenticate(request, keys, authContext(now)));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toBe('x-retell-signature does not match');
  });

  it('is named retell and reads RETELL_API_KEY locally (two lines: current and next)', () => {
    // Act
    const local = retellIngress.local?.secret({ RETELL_API_KEY: 'key_a\nkey_b' });
    const defaulted = retellIngress.local?.secret({});

    // Assess
    expect(retellIngress.name).toBe('retell');
    expect(local).toMatchObject({ secrets: ['key_a', 'key_b'], display: '***', defaulted: false });
    expect(defaulted).toMatchObject({ defaulted: true, variables: ['RETELL_API_KEY'] });
  });
});

describe('retellIngress.identify', () => {
  it.each(['call_started', 'call_ended', 'call_analyzed'] as const)(
    'identifies %s with call.call_id',
    (event) => {
      // Prepare
      const body = retellEvent(event.replace('_', '-') as 'call-ended');
      body.event = event;

      // Act
      const identity = retellIngress.identify(body);

      // Assess
      expect(identity).toEqual({ eventType: event, callId: CALL_ID });
    },
  );

  it.each([
    ['call_ended without call', { event: 'call_ended' }, 'call_ended event has no call.call_id'],
    [
      'call_analyzed without call_id',
      { event: 'call_analyzed', call: {} },
      'call_analyzed event has no call.call_id',
    ],
    [
      'call_started with an empty call_id',
      { event: 'call_started', call: { call_id: '' } },
      'call_started event has no call.call_id',
    ],
    ['a numeric call_id', { event: 'call_ended', call: { call_id: 42 } }, 'call.call_id is not a string'],
    ['call as an array', { event: 'call_ended', call: [] }, 'call is not an object'],
    [
      'a call_id of 201 characters',
      { event: 'call_ended', call: { call_id: 'x'.repeat(201) } },
      'call.call_id is longer than 200 characters',
    ],
    [
      'a lone surrogate in the call_id',
      { event: 'call_ended', call: { call_id: 'a\ud800' } },
      'call.call_id is not well-formed Unicode',
    ],
    ['no event', { call: { call_id: 'c' } }, 'body has no event'],
    ['a numeric event', { event: 7, call: { call_id: 'c' } }, 'body has no event'],
  ])('rejects %s with a 400', (_name, body, reason) => {
    // Act
    const error = thrown(() => retellIngress.identify(body));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(reason);
  });

  it('acknowledges an unknown event, with its call id when it has one', () => {
    // Act
    const without = retellIngress.identify({ event: 'transcript_updated' });
    const withId = retellIngress.identify({ event: 'transfer_started', call: { call_id: 'c9' } });

    // Assess
    expect(without).toEqual({ eventType: 'transcript_updated', callId: null });
    expect(withId).toEqual({ eventType: 'transfer_started', callId: 'c9' });
  });

  it('accepts a call_id of exactly 200 characters', () => {
    // Act
    const identity = retellIngress.identify({ event: 'call_ended', call: { call_id: 'x'.repeat(200) } });

    // Assess
    expect(identity.callId).toHaveLength(200);
  });
});

describe('outcomeOfDisconnectionReason (spec.md §6, row by row)', () => {
  const rows: [string, Outcome][] = [
    ['user_hangup', 'completed'],
    ['agent_hangup', 'completed'],
    ['call_transfer', 'completed'],
    ['transfer_bridged', 'completed'],
    ['transfer_cancelled', 'completed'],
    ['inactivity', 'completed'],
    ['max_duration_reached', 'completed'],
    ['manual_stopped', 'completed'],
    ['call_take_over', 'completed'],
    ['ivr_reached', 'completed'],
    ['voicemail_reached', 'voicemail'],
    ['dial_busy', 'busy'],
    ['dial_no_answer', 'no_answer'],
    ['user_declined', 'rejected'],
    ['invalid_destination', 'invalid_number'],
    ['dial_failed', 'failed'],
    ['telephony_provider_permission_denied', 'failed'],
    ['telephony_provider_unavailable', 'failed'],
    ['sip_routing_error', 'failed'],
    ['error_llm_websocket_open', 'failed'],
    ['error_llm_websocket_lost_connection', 'failed'],
    ['error_llm_websocket_runtime', 'failed'],
    ['error_llm_websocket_corrupt_payload', 'failed'],
    ['error_no_audio_received', 'failed'],
    ['error_asr', 'failed'],
    ['error_retell', 'failed'],
    ['error_unknown', 'failed'],
    ['error_user_not_joined', 'failed'],
    ['concurrency_limit_reached', 'not_placed'],
    ['no_concurrency_fallback', 'not_placed'],
    ['no_valid_payment', 'not_placed'],
    ['scam_detected', 'not_placed'],
    ['marked_as_spam', 'not_placed'],
    ['registered_call_timeout', 'not_placed'],
    ['something_new', 'unknown'],
    ['USER_HANGUP', 'unknown'],
    ['__proto__', 'unknown'],
    ['toString', 'unknown'],
  ];

  it.each(rows)('%s → %s', (reason, outcome) => {
    // Act / Assess
    expect(outcomeOfDisconnectionReason(reason)).toBe(outcome);
  });

  it('covers all 34 reasons of providers-next.md §7 and every exact table entry', () => {
    // Assess
    expect(rows.filter(([, o]) => o !== 'unknown')).toHaveLength(34);
    for (const reason of OUTCOME_BY_DISCONNECTION_REASON.keys())
      expect(rows.map(([r]) => r)).toContain(reason);
  });

  it.each([null, undefined, 3, {}])('maps a non-string %s to unknown', (reason) => {
    // Act / Assess
    expect(outcomeOfDisconnectionReason(reason)).toBe('unknown');
  });
});

const at = (name: 'call-started' | 'call-ended' | 'call-analyzed', receivedAt: string, id: string = name) =>
  delivery(rawFixture('retell', name), {
    provider: 'retell',
    callId: CALL_ID,
    deliveryId: id,
    receivedAt,
    eventType: name.replace('-', '_'),
  });

const endedWith = (change: (call: Record<string, unknown>) => void, overrides: Partial<Delivery> = {}) => {
  const body = retellEvent('call-ended');
  change(body.call);
  return delivery(body, { provider: 'retell', callId: CALL_ID, eventType: 'call_ended', ...overrides });
};

const recordOf = (...deliveries: Delivery[]): CallRecord => {
  const record = retellNormalizer.toCallRecord(deliveries);
  if (record === null) throw new Error('expected a record');
  return record;
};

const permutations = <T>(items: readonly T[]): T[][] =>
  items.length <= 1
    ? [[...items]]
    : items.flatMap((item, i) =>
        permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
      );

describe('retellNormalizer', () => {
  const started = at('call-started', '2024-05-02T00:07:56.000Z');
  const ended = at('call-ended', '2024-05-02T00:08:12.000Z');
  const analyzed = at('call-analyzed', '2024-05-02T00:08:20.000Z');

  it('makes the record of the documented call_ended', () => {
    // Act
    const record = recordOf(ended);

    // Assess
    expect(record).toEqual({
      provider: 'retell',
      callId: CALL_ID,
      from: '+12137771234',
      to: '+12137771235',
      direction: 'inbound',
      startedAt: '2024-05-02T00:07:55.945Z',
      answeredAt: null,
      endedAt: '2024-05-02T00:08:11.736Z',
      durationSeconds: 15.791,
      outcome: 'completed',
      answered: true,
      hangupCause: 'user_hangup',
      receivedAt: '2024-05-02T00:08:12.000Z',
      details: {
        callType: 'phone_call',
        callStatus: 'ended',
        agentId: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD',
        agentName: null,
        agentVersion: 1,
        metadata: {},
        dynamicVariables: { customer_name: 'John Doe' },
        collectedDynamicVariables: null,
        transcript: retellEvent('call-ended').call.transcript,
        recordingUrl: 'https://dxc03zgurdly9.cloudfront.net/Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6/recording.wav',
        publicLogUrl: 'https://dxc03zgurdly9.cloudfront.net/Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6/public.log',
        callCost: null,
        telephonyIdentifier: null,
        analysis: null,
      },
    });
  });

  it('adds call_analyzed call.call_analysis as details.analysis', () => {
    // Act
    const record = recordOf(ended, analyzed);

    // Assess
    expect(record.details.analysis).toEqual(retellEvent('call-analyzed').call.call_analysis);
    expect(record.receivedAt).toBe('2024-05-02T00:08:12.000Z');
  });

  it('has no record until call_ended is stored', () => {
    // Act / Assess
    expect(retellNormalizer.toCallRecord([started])).toBeNull();
    expect(retellNormalizer.toCallRecord([analyzed])).toBeNull();
    expect(retellNormalizer.toCallRecord([started, analyzed])).toBeNull();
  });

  it('makes the same record from call_started, call_ended and call_analyzed in every order, duplicated or not', () => {
    // Prepare
    const expected = recordOf(started, ended, analyzed);
    const duplicate = at('call-ended', '2024-05-02T00:08:30.000Z', 'retry-of-ended');

    // Act
    const records = permutations([started, ended, analyzed, duplicate]).map((order) => recordOf(...order));

    // Assess
    for (const record of records) expect(record).toEqual(expected);
    expect(expected.details.analysis).not.toBeNull();
  });

  it('takes the receivedAt of a call_analyzed that arrived before call_ended', () => {
    // Prepare
    const early = at('call-analyzed', '2024-05-02T00:08:00.000Z');

    // Act
    const record = recordOf(ended, early);

    // Assess
    expect(record.receivedAt).toBe('2024-05-02T00:08:00.000Z');
    expect(record.outcome).toBe('completed');
  });

  it('ignores call_started for the record: it is stored, not a rebuild trigger', () => {
    // Assess
    expect([...retellNormalizer.recordEvents].sort()).toEqual(['call_analyzed', 'call_ended']);
    expect(recordOf(ended)).toEqual(recordOf(started, ended));
  });

  it('keeps an unknown reason as hangupCause with outcome unknown', () => {
    // Act
    const record = recordOf(
      endedWith((call) => Object.assign(call, { disconnection_reason: 'brand_new_reason' })),
    );

    // Assess
    expect(record).toMatchObject({ outcome: 'unknown', answered: false, hangupCause: 'brand_new_reason' });
  });

  it('records a call that never connected: no call_started, dial_no_answer, no start', () => {
    // Act
    const record = recordOf(
      endedWith((call) => {
        Object.assign(call, {
          disconnection_reason: 'dial_no_answer',
          call_status: 'not_connected',
          duration_ms: 0,
        });
        delete call.start_timestamp;
        delete call.transcript;
      }),
    );

    // Assess
    expect(record).toMatchObject({
      outcome: 'no_answer',
      answered: false,
      startedAt: null,
      durationSeconds: 0,
    });
    expect(record.details.transcript).toBeNull();
  });

  it('writes numbers without + as E.164 and keeps SIP addresses', () => {
    // Act
    const record = recordOf(
      endedWith((call) =>
        Object.assign(call, { from_number: '919876543210', to_number: 'sip:agent@sip.retellai.com' }),
      ),
    );

    // Assess
    expect(record.from).toBe('+919876543210');
    expect(record.to).toBe('sip:agent@sip.retellai.com');
  });

  it('turns unreadable fields into null and derives nothing from them', () => {
    // Act
    const record = recordOf(
      endedWith((call) =>
        Object.assign(call, {
          start_timestamp: 'yesterday',
          end_timestamp: -5,
          duration_ms: 'long',
          direction: 'sideways',
          from_number: 12,
          disconnection_reason: ['user_hangup'],
        }),
      ),
    );

    // Assess
    expect(record).toMatchObject({
      startedAt: null,
      endedAt: null,
      durationSeconds: null,
      direction: null,
      from: null,
      outcome: 'unknown',
      hangupCause: '',
    });
  });

  it('gives a web call no direction and no numbers', () => {
    // Act
    const record = recordOf(
      endedWith((call) => {
        call.call_type = 'web_call';
        delete call.direction;
        delete call.from_number;
        delete call.to_number;
      }),
    );

    // Assess
    expect(record).toMatchObject({ direction: null, from: null, to: null });
    expect(record.details.callType).toBe('web_call');
  });

  it('ignores bodies that are not its events or not JSON', () => {
    // Act / Assess
    expect(
      retellNormalizer.toCallRecord([
        delivery('not json', { provider: 'retell', eventType: 'call_ended', callId: CALL_ID }),
        delivery({ event: 'call_ended', call: 'x' }, { provider: 'retell', callId: CALL_ID }),
      ]),
    ).toBeNull();
  });
});

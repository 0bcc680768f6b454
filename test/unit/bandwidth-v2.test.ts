import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../lib/envelope';
import { BadRequestError, UnauthorizedError } from '../../lib/errors';
import { bandwidthV2Ingress } from '../../lib/providers/bandwidth-v2/ingress';
import { bandwidthV2Normalizer, outcomeOfCause } from '../../lib/providers/bandwidth-v2/normalize';
import { fixture, rawFixture } from '../fixtures';
import { BANDWIDTH_V2_SECRETS, permutations, storedDelivery } from '../support/carriers';
import { authContext, basic, webhookRequest } from '../support/requests';

const CALL_ID = 'c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d';
const CHALLENGE = 'Basic realm="webhooks", charset="UTF-8"';

const failureOf = (check: () => unknown): unknown => {
  try {
    check();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('bandwidthV2Ingress.authenticate: challenge first, then Basic credentials', () => {
  const authenticate = (authorization?: string) =>
    failureOf(() =>
      bandwidthV2Ingress.authenticate(
        webhookRequest({
          headers: { authorization },
          rawBody: Buffer.from(rawFixture('bandwidth-v2', 'disconnect')),
        }),
        BANDWIDTH_V2_SECRETS,
        authContext(),
      ),
    );

  it.each([
    ['no credentials (Bandwidth first try)', undefined],
    ['a wrong password', basic('bw2-user:wrong')],
    ['a wrong user', basic('someone:bw2-pass')],
    ['the next user with the current password', basic('bw2-next:bw2-pass')],
    ['a Bearer token', 'Bearer bw2-user:bw2-pass'],
  ])('answers 401 with the challenge for %s', (_label, authorization) => {
    // Act
    const error = authenticate(authorization);

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).challenge).toBe(CHALLENGE);
  });

  it.each([
    [
      'times with offsets and without fractions',
      { eventTime: '2019-06-20T15:55:55+00:00', startTime: '2019-06-20T15:54:22Z' },
    ],
    ['a SIP URI callee and an anonymous caller', { to: 'sip:agent@example.com', from: 'Anonymous' }],
    ['Private, Restricted and Unavailable callers', { from: 'Restricted' }],
    ['absent and null optional fields', { answerTime: null, enqueuedTime: undefined }],
  ])('accepts the documented formats: %s', (_label, fields) => {
    // Act / Assess
    expect(bandwidthV2Ingress.identify({ ...fixture('bandwidth-v2', 'disconnect'), ...fields })).toEqual({
      eventType: 'disconnect',
      callId: 'c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d',
    });
  });

  it('accepts the current and the next credentials', () => {
    // Act
    const results = BANDWIDTH_V2_SECRETS.map((secret) => authenticate(basic(secret)));

    // Assess
    expect(results).toEqual([undefined, undefined]);
  });
});

describe('bandwidthV2Ingress.identify', () => {
  it.each([
    ['disconnect', fixture('bandwidth-v2', 'disconnect'), { eventType: 'disconnect', callId: CALL_ID }],
    [
      'transferComplete',
      { eventType: 'transferComplete', callId: CALL_ID },
      { eventType: 'transferComplete', callId: CALL_ID },
    ],
    [
      'a conference event',
      { eventType: 'conferenceCreated', conferenceId: 'conf-1' },
      { eventType: 'conferenceCreated', callId: null },
    ],
    ['an unknown event', { eventType: 'somethingNew' }, { eventType: 'somethingNew', callId: null }],
  ])('names %s', (_label, body, identity) => {
    // Act
    const result = bandwidthV2Ingress.identify(body);

    // Assess
    expect(result).toEqual(identity);
  });

  it.each([
    ['no eventType', { callId: CALL_ID }, 'body has no eventType'],
    ['a disconnect without callId', { eventType: 'disconnect' }, 'disconnect callback has no callId'],
    ['an answer with an empty callId', { eventType: 'answer', callId: '' }, 'answer callback has no callId'],
    ['a numeric callId', { eventType: 'disconnect', callId: 12 }, 'callId is not a string'],
    [
      'a long callId',
      { eventType: 'disconnect', callId: 'c'.repeat(201) },
      'callId is longer than 200 characters',
    ],
    // Issue 18 item 1: the formats Bandwidth documents (dev.bandwidth.com/docs/voice/webhooks/*:
    // times "in ISO 8601 format", `to` "in E.164 format", `from` E.164 or Private/Restricted/
    // Unavailable/Anonymous; createCall: a SIP URI instead of a number).
    [
      'a re-split eventTime',
      { eventType: 'disconnect', callId: CALL_ID, eventTime: '2019-06-20T15:55:55.533ZcauseHangup' },
      'eventTime is not an ISO 8601 time',
    ],
    [
      'an endTime without a zone',
      { eventType: 'disconnect', callId: CALL_ID, endTime: '2019-06-20 15:55:54' },
      'endTime is not an ISO 8601 time',
    ],
    [
      'a numeric startTime',
      { eventType: 'disconnect', callId: CALL_ID, startTime: 1561045962 },
      'startTime is not an ISO 8601 time',
    ],
    [
      'a to that is no number',
      { eventType: 'disconnect', callId: CALL_ID, to: '+1555 333 4444' },
      'to is not an E.164 number or SIP URI',
    ],
    [
      'a to without +',
      { eventType: 'answer', callId: CALL_ID, to: '15553334444' },
      'to is not an E.164 number or SIP URI',
    ],
    [
      'a from with text after the number',
      { eventType: 'answer', callId: CALL_ID, from: '+15551112222direction' },
      'from is not an E.164 number, SIP URI or Private/Restricted/Unavailable/Anonymous',
    ],
  ])('answers 400 for %s', (_label, body, reason) => {
    // Act
    const error = failureOf(() => bandwidthV2Ingress.identify(body));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(reason);
  });
});

type Step = 'initiate' | 'answer' | 'disconnect';

const deliveryOf = (
  step: Step,
  body: string = rawFixture('bandwidth-v2', step),
  overrides: Partial<Delivery> = {},
) => storedDelivery('bandwidth-v2', body, { eventType: step, callId: CALL_ID }, overrides);

const disconnectWith = (changes: Record<string, unknown>) =>
  deliveryOf('disconnect', JSON.stringify({ ...fixture('bandwidth-v2', 'disconnect'), ...changes }));

const lifecycle = (): Delivery[] =>
  (['initiate', 'answer', 'disconnect'] as const).map((step, i) =>
    deliveryOf(step, undefined, { deliveryId: `d-${i}`, receivedAt: `2026-01-01T00:00:0${i}.000Z` }),
  );

describe('bandwidthV2Normalizer', () => {
  it('makes the record of the documented disconnect (busy, never answered)', () => {
    // Act
    const record = bandwidthV2Normalizer.toCallRecord([deliveryOf('disconnect')]);

    // Assess
    expect(record).toStrictEqual({
      provider: 'bandwidth-v2',
      callId: CALL_ID,
      from: '+15551112222',
      to: '+15553334444',
      direction: 'outbound',
      startedAt: '2019-06-20T15:54:22.234Z',
      answeredAt: null,
      endedAt: '2019-06-20T15:55:54.123Z',
      durationSeconds: null,
      outcome: 'busy',
      answered: false,
      hangupCause: 'busy',
      receivedAt: '2026-01-01T00:00:00.000Z',
      details: {
        errorMessage: 'Callee is busy',
        errorId: '4642074b-7b58-478b-96e4-3a60955c6765',
        tag: null,
        callUrl: `https://voice.bandwidth.com/api/v2/accounts/55555555/calls/${CALL_ID}`,
        accountId: '55555555',
        applicationId: '7fc9698a-b04a-468b-9e8f-91238c0d0086',
        enqueuedTime: null,
        eventTime: '2019-06-20T15:55:55.533Z',
        parentCallId: null,
      },
    });
  });

  it('computes the talk time from answerTime, and answered hangups are completed', () => {
    // Act
    const record = bandwidthV2Normalizer.toCallRecord([
      disconnectWith({ cause: 'hangup', answerTime: '2019-06-20T15:54:25.123Z', tag: 'campaign-7' }),
    ]);

    // Assess
    expect(record).toMatchObject({
      answeredAt: '2019-06-20T15:54:25.123Z',
      durationSeconds: 89,
      outcome: 'completed',
      answered: true,
      details: expect.objectContaining({ tag: 'campaign-7' }),
    });
  });

  it('gives the same record for initiate/answer/disconnect in every order, and with duplicates', () => {
    // Prepare
    const events = lifecycle();
    const expected = bandwidthV2Normalizer.toCallRecord(events);

    // Act
    const records = permutations(events).map((order) => bandwidthV2Normalizer.toCallRecord(order));
    const doubled = bandwidthV2Normalizer.toCallRecord([
      ...events,
      { ...(events[2] as Delivery), deliveryId: 'd-9' },
    ]);

    // Assess
    expect(expected).toMatchObject({ answeredAt: '2019-06-20T15:54:25.432Z', durationSeconds: 88.691 });
    for (const record of records) expect(record).toStrictEqual(expected);
    expect(doubled).toStrictEqual(expected);
  });

  it('is null until the disconnect is stored', () => {
    // Act
    const record = bandwidthV2Normalizer.toCallRecord(lifecycle().slice(0, 2));

    // Assess
    expect(record).toBeNull();
  });

  it.each([
    ['hangup', true, 'completed'],
    ['hangup', false, 'canceled'],
    ['busy', false, 'busy'],
    ['timeout', false, 'no_answer'],
    ['cancel', false, 'canceled'],
    ['rejected', false, 'rejected'],
    ['callback-error', true, 'failed'],
    ['invalid-bxml', true, 'failed'],
    ['application-error', true, 'failed'],
    ['account-limit', false, 'failed'],
    ['node-capacity-exceeded', false, 'failed'],
    ['error', false, 'failed'],
    ['unknown', false, 'unknown'],
    ['something-new', true, 'unknown'],
    ['constructor', false, 'unknown'],
  ] as const)('maps cause %s (answered: %s) to %s', (cause, answered, outcome) => {
    // Prepare
    const answerTime = answered ? '2019-06-20T15:54:25.000Z' : undefined;

    // Act
    const record = bandwidthV2Normalizer.toCallRecord([disconnectWith({ cause, answerTime })]);

    // Assess
    expect(outcomeOfCause(cause, answered)).toBe(outcome);
    expect(record).toMatchObject({ outcome, hangupCause: cause });
  });

  it.each(['Anonymous', 'Private', 'Restricted', 'Unavailable'])('keeps the caller %s as sent', (from) => {
    // Act
    const record = bandwidthV2Normalizer.toCallRecord([disconnectWith({ from })]);

    // Assess
    expect(record?.from).toBe(from);
  });

  it('nulls unreadable values and derives nothing from them', () => {
    // Act
    const record = bandwidthV2Normalizer.toCallRecord([
      disconnectWith({ cause: 7, answerTime: 'later', endTime: null, startTime: {}, to: 15553334444 }),
    ]);

    // Assess
    expect(record).toMatchObject({
      to: null,
      startedAt: null,
      answeredAt: null,
      endedAt: null,
      durationSeconds: null,
      outcome: 'unknown',
      hangupCause: '',
    });
  });
});

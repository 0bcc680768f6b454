/**
 * Issue 18 item 1 for Telnyx (Call Control), Retell and Vapi: after the signature, a time in a field
 * the provider's SDK documents with a closed format is refused (400, one line) when it is not in it.
 * Telnyx `data.occurred_at` / `payload.start_time` / `end_time`: "ISO 8601 datetime"
 * (telnyx resources/webhooks.d.ts); Vapi `startedAt` / `endedAt` (message and call): "ISO 8601
 * date-time string" (@vapi-ai/server-sdk ServerMessageEndOfCallReport.d.ts, Call.d.ts); Retell
 * `start_timestamp` / `end_timestamp`: a number, "milliseconds since epoch" (retell-sdk call.d.ts).
 */
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../lib/errors';
import { retellIngress } from '../../lib/providers/retell/ingress';
import { telnyxIngress } from '../../lib/providers/telnyx/ingress';
import { vapiIngress } from '../../lib/providers/vapi/ingress';
import { fixture } from '../fixtures';

const failureOf = (check: () => unknown): unknown => {
  try {
    check();
  } catch (error) {
    return error;
  }
  return undefined;
};

const expect400 = (check: () => unknown, reason: string) => {
  const error = failureOf(check);
  expect(error).toBeInstanceOf(BadRequestError);
  expect((error as Error).message).toBe(reason);
};

type Json = Record<string, Record<string, Record<string, unknown>>>;

describe('Telnyx Call Control times', () => {
  const hangup = (change: (body: Json) => void) => {
    const body = fixture<Json>('telnyx', 'call-hangup');
    change(body);
    return body;
  };

  it('accepts the documented event, and absent or null times', () => {
    expect(telnyxIngress.identify(hangup(() => {})).eventType).toBe('call.hangup');
    expect(
      telnyxIngress.identify(
        hangup((b) => {
          delete b.data?.occurred_at;
          if (b.data?.payload) b.data.payload.start_time = null;
        }),
      ).eventType,
    ).toBe('call.hangup');
  });

  it.each([
    [
      'data.occurred_at',
      (b: Json) => Object.assign(b.data ?? {}, { occurred_at: '2018-02-02T22:25:27.521992Zhangup' }),
    ],
    ['data.occurred_at', (b: Json) => Object.assign(b.data ?? {}, { occurred_at: 1517610327 })],
    [
      'data.payload.start_time',
      (b: Json) => Object.assign(b.data?.payload ?? {}, { start_time: 'yesterday' }),
    ],
    [
      'data.payload.end_time',
      (b: Json) => Object.assign(b.data?.payload ?? {}, { end_time: '2018-02-02 22:25:27' }),
    ],
  ])('refuses a %s that is not ISO 8601', (field, change) => {
    expect400(() => telnyxIngress.identify(hangup(change)), `${field} is not an ISO 8601 time`);
  });
});

describe('Vapi report times', () => {
  const report = (change: (message: Record<string, unknown>) => void) => {
    const body = fixture<{ message: Record<string, unknown> }>('vapi', 'end-of-call-report');
    change(body.message);
    return body;
  };

  it('accepts the documented report and one with times only on the call', () => {
    expect(vapiIngress.identify(report(() => {})).eventType).toBe('end-of-call-report');
    expect(
      vapiIngress.identify(
        report((m) => {
          Object.assign(m.call as object, { startedAt: m.startedAt, endedAt: m.endedAt });
          delete m.startedAt;
          delete m.endedAt;
        }),
      ).eventType,
    ).toBe('end-of-call-report');
  });

  it.each([
    ['message.startedAt', (m: Record<string, unknown>) => Object.assign(m, { startedAt: 'not a time' })],
    ['message.endedAt', (m: Record<string, unknown>) => Object.assign(m, { endedAt: 1735689665 })],
    [
      'message.call.startedAt',
      (m: Record<string, unknown>) =>
        Object.assign(m.call as object, { startedAt: '2025-01-01T00:00:00.000ZendedReason' }),
    ],
    [
      'message.call.endedAt',
      (m: Record<string, unknown>) => Object.assign(m.call as object, { endedAt: '' }),
    ],
  ])('refuses a %s that is not ISO 8601', (field, change) => {
    expect400(() => vapiIngress.identify(report(change)), `${field} is not an ISO 8601 time`);
  });
});

describe('Retell call timestamps', () => {
  const ended = (change: (call: Record<string, unknown>) => void) => {
    const body = fixture<{ call: Record<string, unknown> }>('retell', 'call-ended');
    change(body.call);
    return body;
  };

  it('accepts the documented event', () => {
    expect(retellIngress.identify(ended(() => {})).eventType).toBe('call_ended');
  });

  it.each([
    [
      'call.start_timestamp',
      (c: Record<string, unknown>) => Object.assign(c, { start_timestamp: '1703302407333' }),
    ],
    ['call.end_timestamp', (c: Record<string, unknown>) => Object.assign(c, { end_timestamp: -1 })],
    ['call.end_timestamp', (c: Record<string, unknown>) => Object.assign(c, { end_timestamp: 1.5 })],
  ])('refuses a %s that is not epoch milliseconds', (field, change) => {
    expect400(() => retellIngress.identify(ended(change)), `${field} is not epoch milliseconds`);
  });
});

/**
 * Durations a provider sends are used only when usable (lib/normalize/time.ts usableSeconds: a finite
 * number or decimal text, 0 to 7 days) — found in review: three normalizers had their own readers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { retellNormalizer } from '../../lib/providers/retell/normalize';
import { telnyxNormalizer } from '../../lib/providers/telnyx/normalize';
import { vonageNormalizer } from '../../lib/providers/vonage/normalize';
import { fixture } from '../fixtures';
import { delivery } from '../support/deliveries';

const TEXML_FIXTURE = new URL('../fixtures/telnyx/texml-completed.txt', import.meta.url);

const vonageWith = (duration: unknown) =>
  vonageNormalizer.toCallRecord([
    delivery(
      { ...fixture<Record<string, unknown>>('vonage', 'completed'), duration },
      {
        provider: 'vonage',
        eventType: 'completed',
        callId: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
      },
    ),
  ]);

const retellWith = (durationMs: unknown) => {
  const body = fixture<{ call: Record<string, unknown> }>('retell', 'call-ended');
  return retellNormalizer.toCallRecord([
    delivery(
      { ...body, call: { ...body.call, duration_ms: durationMs } },
      { provider: 'retell', eventType: 'call_ended', callId: 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6' },
    ),
  ]);
};

const telnyxTexmlWith = (callDuration: string) => {
  const form = new URLSearchParams(readFileSync(TEXML_FIXTURE, 'utf8').trim());
  form.set('CallDuration', callDuration);
  return telnyxNormalizer.toCallRecord([
    delivery(form.toString(), {
      provider: 'telnyx',
      eventType: 'texml.completed',
      callId: form.get('CallLegId') ?? '',
    }),
  ]);
};

describe('provider durations', () => {
  it.each([
    ['2', 2],
    ['0x1e', null],
    ['1e9', null],
    ['-3', null],
    [' ', null],
  ])('Vonage duration %j → %j', (duration, expected) => {
    // Act
    const record = vonageWith(duration);

    // Assess
    expect(record?.durationSeconds).toBe(expected);
  });

  it.each([
    [15_791, 15.791],
    [1e15, null],
    [-1, null],
  ])('Retell duration_ms %j → durationSeconds %j', (durationMs, expected) => {
    // Act
    const record = retellWith(durationMs);

    // Assess
    expect(record?.durationSeconds).toBe(expected);
  });

  it.each([
    ['55', 55],
    [' ', null],
    ['0x10', null],
  ])('Telnyx TeXML CallDuration %j → details.callDuration %j', (callDuration, expected) => {
    // Act
    const record = telnyxTexmlWith(callDuration);

    // Assess
    expect(record?.details.callDuration).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  encodeEnvelope,
  HEADER_RESERVE_BYTES,
  headerBytes,
  MAX_BODY_BYTES,
  MAX_CALL_ID_CHARS,
  MAX_EVENT_TYPE_CHARS,
  MAX_MESSAGE_BYTES,
} from '../../lib/envelope';
import { InvalidEnvelopeError } from '../../lib/errors';
import { rawFixture } from '../fixtures';
import { delivery } from '../support/deliveries';

/** A valid envelope with one header field changed. */
const withHeader = (change: Record<string, unknown>) => {
  const header = JSON.parse(encodeEnvelope(delivery('{}')).split('\n')[0] as string);
  return `${JSON.stringify({ ...header, ...change })}\n{}`;
};

describe('queue envelope', () => {
  it('carries the raw body byte for byte after a one-line header', () => {
    // Prepare
    const raw = rawFixture('callkaro', 'call-ended');

    // Act
    const message = encodeEnvelope(delivery(raw));

    // Assess
    expect(message.endsWith(`\n${raw}`)).toBe(true);
    expect(decodeEnvelope(message)).toEqual(delivery(raw));
  });

  it('carries bodies with characters SQS rejects as base64 and restores them exactly', () => {
    const body = '{"note":"\uFFFE\uFFFF"}';
    const message = encodeEnvelope(delivery(body));
    expect(message).not.toContain('\uFFFF');
    expect(decodeEnvelope(message).body).toBe(body);
  });

  it('escapes characters SQS rejects in the header too, and reads them back unchanged', () => {
    const message = encodeEnvelope(delivery('{}', { callId: 'c-\uFFFF', eventType: 'x\uFFFE' }));
    expect(message).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(decodeEnvelope(message)).toMatchObject({ callId: 'c-\uFFFF', eventType: 'x\uFFFE' });
  });

  it('leaves exactly 3 KiB of a 1 MiB message for the header', () => {
    expect(MAX_MESSAGE_BYTES).toBe(1_048_576);
    expect(MAX_BODY_BYTES).toBe(1_045_504);
  });

  it.each([
    ['control characters (6 bytes each, escaped)', '\u0001'],
    ['U+FFFF (escaped, 6 bytes)', '\uffff'],
    ['astral characters (two 6-byte escapes)', '\u{1F4DE}'],
    ['quotes (2 bytes each)', '"'],
  ])('fits the longest identifiers of %s in the header reserve, ASCII only', (_name, unit) => {
    // Prepare: the longest identifiers accepted, a 128-character request id, a 32-character provider.
    const of = (chars: number) => unit.repeat(Math.floor(chars / unit.length));
    const longest = delivery('{}', {
      provider: 'p'.repeat(32),
      requestId: of(128),
      eventType: of(MAX_EVENT_TYPE_CHARS),
      callId: of(MAX_CALL_ID_CHARS),
    });

    // Act
    const message = encodeEnvelope(longest);

    // Assess
    expect(headerBytes(message) + 1).toBeLessThanOrEqual(HEADER_RESERVE_BYTES);
    expect(message.slice(0, message.indexOf('\n'))).toMatch(/^[\x20-\x7e]+$/);
    expect(decodeEnvelope(message)).toEqual(longest);
  });

  it.each([
    ['no header line', 'just text'],
    ['a header that is not JSON', '{nope\n{}'],
    ['an unknown version', '{"v":2}\n{}'],
    ['a missing delivery id', withHeader({ deliveryId: '' })],
    ['an empty call id', withHeader({ callId: '' })],
    ['a receivedAt that is no time', withHeader({ receivedAt: 'soon' })],
  ])('rejects a message with %s as an invalid envelope', (_name, message) => {
    expect(() => decodeEnvelope(message)).toThrow(InvalidEnvelopeError);
  });
});

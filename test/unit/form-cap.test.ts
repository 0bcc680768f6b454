/**
 * Issue 18 item 4 (forms): Twilio and Plivo forms are capped at MAX_FORM_PAIRS pairs, counted in the
 * raw bytes before anything parses, sorts or hashes them, so an unsigned form with ~131k distinct keys
 * is refused as too large (413) before its signature is even computed — a 401 would mean the sort
 * and the HMACs ran. How fast: `npx tsx bench/form-flood.ts` (docs/performance.md).
 */
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../../lib/errors';
import { countFormPairs, limitedFormPairs, MAX_FORM_PAIRS } from '../../lib/providers/form';
import { plivoIngress } from '../../lib/providers/plivo/ingress';
import { twilioIngress } from '../../lib/providers/twilio/ingress';
import {
  PLIVO_SECRETS,
  plivoRequest,
  sendSigned,
  TWILIO_SECRETS,
  twilioRequest,
} from '../support/signed-requests';

const CALL_SID = 'CA0123456789abcdef0123456789abcdef';
const CALL_UUID = '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36';

/** `head` plus distinct `kN=1` pairs up to `total` pairs in all. */
function formOf(head: string, total: number): string {
  const pairs = [head];
  const headPairs = head.split('&').length;
  for (let i = 0; pairs.length - 1 + headPairs < total; i += 1) pairs.push(`k${i}=1`);
  return pairs.join('&');
}

/** The red-team's body: 1,045,486 bytes of `kXXXX=1&` pairs (~131k distinct keys). */
const FLOOD = Array.from(
  { length: Math.floor(1_045_486 / 8) },
  (_, i) => `k${i.toString(36).padStart(4, '0')}=1&`,
)
  .join('')
  .padEnd(1_045_486, 'x');

/** A small request's event carrying the flood as its body and a garbage signature (nothing signs it). */
const garbage = (event: ReturnType<typeof twilioRequest>, headers: Record<string, string>) => ({
  ...event,
  body: Buffer.from(FLOOD).toString('base64'),
  headers: { ...event.headers, ...headers },
});

describe('form pair cap', () => {
  it('counts the pairs URLSearchParams would read, from the raw bytes', () => {
    // Assess
    expect(countFormPairs(Buffer.from(''))).toBe(0);
    expect(countFormPairs(Buffer.from('a=1'))).toBe(1);
    expect(countFormPairs(Buffer.from('a=1&b=2&a=3'))).toBe(3);
    expect(countFormPairs(Buffer.from(formOf('a=1', MAX_FORM_PAIRS)))).toBe(MAX_FORM_PAIRS);
  });

  it('refuses one pair over the cap with a one-line 413', () => {
    // Act
    const within = limitedFormPairs(Buffer.from(formOf('a=1', MAX_FORM_PAIRS)));
    const over = () => limitedFormPairs(Buffer.from(formOf('a=1', MAX_FORM_PAIRS + 1)));

    // Assess
    expect(within).toHaveLength(MAX_FORM_PAIRS);
    expect(over).toThrow(PayloadTooLargeError);
    expect(over).toThrow(`form has more than ${MAX_FORM_PAIRS} fields`);
  });

  it.each([
    ['twilio', () => garbage(twilioRequest('a=1'), { 'x-twilio-signature': 'AAAA' })],
    [
      'plivo',
      () =>
        garbage(plivoRequest('a=1'), { 'x-plivo-signature-v3': 'AAAA', 'x-plivo-signature-v3-nonce': '1' }),
    ],
  ])(
    '/webhooks/%s answers the unsigned 131k-key form with 413 before any signature, queuing nothing',
    async (name, build) => {
      // Act
      const result = await sendSigned(
        name === 'twilio' ? twilioIngress : plivoIngress,
        name === 'twilio' ? TWILIO_SECRETS : PLIVO_SECRETS,
        build(),
      );

      // Assess
      expect(result).toEqual({ statusCode: 413, queued: [] });
    },
  );

  it.each([
    ['twilio', `CallStatus=completed&CallSid=${CALL_SID}`],
    ['plivo', `Event=Hangup&CallUUID=${CALL_UUID}`],
  ])(
    '/webhooks/%s accepts a signed form of exactly the cap and refuses one more pair, signed or not',
    async (name, head) => {
      // Prepare
      const send = (body: string) =>
        name === 'twilio'
          ? sendSigned(twilioIngress, TWILIO_SECRETS, twilioRequest(body))
          : sendSigned(plivoIngress, PLIVO_SECRETS, plivoRequest(body));

      // Act
      const atCap = await send(formOf(head, MAX_FORM_PAIRS));
      const overCap = await send(formOf(head, MAX_FORM_PAIRS + 1));

      // Assess
      expect(atCap.statusCode).toBe(200);
      expect(overCap).toEqual({ statusCode: 413, queued: [] });
    },
  );
});

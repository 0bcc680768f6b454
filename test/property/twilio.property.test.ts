/**
 * Property tests of POST /webhooks/twilio (the real ingress and receiveWebhook, an enqueue that always
 * succeeds): no body or header makes it answer 5xx (random bytes are signed validly when no random
 * signature is drawn, so they reach parse and identify); validly signed callbacks with random field
 * values are 200 or 400, and every accepted one normalizes without throwing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../lib/envelope';
import { twilioIngress } from '../../lib/providers/twilio/ingress';
import { twilioNormalizer } from '../../lib/providers/twilio/normalize';
import { rawFormFixture, sendSigned, TWILIO_SECRETS, twilioRequest } from '../support/signed-requests';

const RUNS = 150;
const SEED_FIELDS = [...new URLSearchParams(rawFormFixture('twilio', 'status-completed'))];
const STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'canceled',
  'failed',
];

const fieldValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '+1', 'machine_start', '-1', 'Mon, 32 Foo'),
);

describe('POST /webhooks/twilio, properties', () => {
  it('never answers 5xx, whatever the body, signature and query', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 400 }),
        fc.option(fc.string(), { nil: undefined }),
        fc.constantFrom('', 'a=1', 'bodySHA256=00', 'bodySHA256=%zz&x'),
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'),
        async (bytes, signature, query, contentType) => {
          // Prepare
          const body = Buffer.from(bytes).toString('latin1');
          const event = twilioRequest(body, {
            query,
            contentType,
            headers: signature === undefined ? {} : { 'x-twilio-signature': signature },
          });

          // Act
          const { statusCode } = await sendSigned(twilioIngress, TWILIO_SECRETS, event);

          // Assess
          expect([200, 400, 401, 413]).toContain(statusCode);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('answers validly signed callbacks with random field values 200 or 400, and normalizes every 200', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...STATUSES),
        fc.dictionary(
          fc.constantFrom(...SEED_FIELDS.map(([key]) => key), 'AnsweredBy', '__proto__'),
          fieldValue,
        ),
        async (status, changes) => {
          // Prepare
          const params = new URLSearchParams(SEED_FIELDS);
          params.set('CallStatus', status);
          for (const [key, value] of Object.entries(changes)) params.set(key, value);
          const event = twilioRequest(params.toString());

          // Act
          const { statusCode, queued } = await sendSigned(twilioIngress, TWILIO_SECRETS, event);

          // Assess
          expect([200, 400]).toContain(statusCode);
          if (statusCode === 200) {
            const delivery = decodeEnvelope(queued[0] ?? '');
            expect(() => twilioNormalizer.toCallRecord([delivery])).not.toThrow();
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

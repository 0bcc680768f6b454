/**
 * Property tests of POST /webhooks/plivo (the real ingress and receiveWebhook, an enqueue that always
 * succeeds): no body or header makes it answer 5xx (random bytes are signed validly when no random
 * signature is drawn, so they reach parse and identify); validly signed callbacks with random field
 * values are 200 or 400, and every accepted one normalizes without throwing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../lib/envelope';
import { plivoIngress } from '../../lib/providers/plivo/ingress';
import { plivoNormalizer } from '../../lib/providers/plivo/normalize';
import { PLIVO_SECRETS, plivoRequest, rawFormFixture, sendSigned } from '../support/signed-requests';

const RUNS = 150;
const SEED_FIELDS = [...new URLSearchParams(rawFormFixture('plivo', 'hangup'))];
const STATUSES = ['completed', 'busy', 'no-answer', 'timeout', 'cancel', 'failed', 'in-progress'];

const fieldValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '+1', 'Hangup', '-1', '2020-02-30 25:00:00', 'Anonymous'),
);

describe('POST /webhooks/plivo, properties', () => {
  it('never answers 5xx, whatever the body, signature, nonce and query', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 400 }),
        fc.option(fc.string(), { nil: undefined }),
        fc.constantFrom('', 'a=1', 'b=%zz&a'),
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'),
        async (bytes, signature, query, contentType) => {
          // Prepare
          const body = Buffer.from(bytes).toString('latin1');
          const event = plivoRequest(body, {
            query,
            contentType,
            headers: signature === undefined ? {} : { 'x-plivo-signature-v3': signature },
          });

          // Act
          const { statusCode } = await sendSigned(plivoIngress, PLIVO_SECRETS, event);

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
        fc.dictionary(fc.constantFrom(...SEED_FIELDS.map(([key]) => key), 'Event', '__proto__'), fieldValue),
        async (status, changes) => {
          // Prepare
          const params = new URLSearchParams(SEED_FIELDS);
          params.set('CallStatus', status);
          for (const [key, value] of Object.entries(changes)) params.set(key, value);
          const event = plivoRequest(params.toString());

          // Act
          const { statusCode, queued } = await sendSigned(plivoIngress, PLIVO_SECRETS, event);

          // Assess
          expect([200, 400]).toContain(statusCode);
          if (statusCode === 200) {
            const delivery = decodeEnvelope(queued[0] ?? '');
            expect(() => plivoNormalizer.toCallRecord([delivery])).not.toThrow();
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

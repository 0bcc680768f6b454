/**
 * Property tests of POST /webhooks/bandwidth-v2 (the real ingress and receiveWebhook, an enqueue
 * that always succeeds): no body or credentials make it answer 5xx; every 401 carries the Basic
 * challenge; authenticated callbacks with random field values are 200 or 400.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { receiveWebhook } from '../../lib/ingress';
import { bandwidthV2Ingress } from '../../lib/providers/bandwidth-v2/ingress';
import { staticSecrets } from '../../lib/secrets';
import { fixture } from '../fixtures';
import { withValueAt } from '../support/arbitraries';
import { BANDWIDTH_V2_SECRETS, bandwidthV2Request, pathsOf, sendAndCheck } from '../support/carriers';
import { basic } from '../support/requests';

const RUNS = 120;
const SEED = fixture('bandwidth-v2', 'disconnect');
const send = (body: Buffer, options: Parameters<typeof bandwidthV2Request>[1] = {}, allowed?: number[]) =>
  sendAndCheck(bandwidthV2Ingress, BANDWIDTH_V2_SECRETS, bandwidthV2Request(body, options), body, allowed);

describe('POST /webhooks/bandwidth-v2 never answers 5xx', () => {
  it('for random authenticated bytes and text: 200, 400 or 413', async () => {
    // Random bytes as a binary type (API Gateway base64-encodes them, byte for byte); text as JSON.
    const body = fc.oneof(
      fc
        .uint8Array({ maxLength: 512 })
        .map((bytes) => [Buffer.from(bytes), 'application/octet-stream'] as const),
      fc
        .oneof(fc.json(), fc.string({ unit: 'binary' }))
        .map((text) => [Buffer.from(text), 'application/json'] as const),
    );
    await fc.assert(
      fc.asyncProperty(body, async ([bytes, contentType]) => {
        await send(bytes, { contentType }, [200, 400, 413]);
      }),
      { numRuns: RUNS },
    );
  });

  it('for random credentials: a challenging 401 unless they are one of the secrets', async () => {
    const authorization = fc.oneof(
      fc.constant(null),
      fc.string(),
      fc.string({ unit: 'binary' }).map(basic),
      fc.constantFrom(...BANDWIDTH_V2_SECRETS).map((s) => basic(`${s}x`)),
    );
    await fc.assert(
      fc.asyncProperty(authorization, async (header) => {
        const body = Buffer.from(JSON.stringify(SEED));
        const event = bandwidthV2Request(body, { authorization: header });
        const response = await receiveWebhook(bandwidthV2Ingress, event, {
          secrets: staticSecrets(BANDWIDTH_V2_SECRETS),
          enqueue: async () => undefined,
        });
        expect(response.statusCode).toBe(401);
        expect(response.headers?.['www-authenticate']).toMatch(/^Basic realm=/);
      }),
      { numRuns: 80 },
    );
  });

  it('for a random value at any path of the disconnect: 200, or 400 when it breaks the identity or a documented format', async () => {
    const mutation = fc.record({ path: fc.constantFrom(...pathsOf(SEED)), value: fc.anything() });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ path, value }) => {
        const body = Buffer.from(JSON.stringify(withValueAt(SEED, path, value)));
        const status = await send(body, {}, [200, 400]);
        // Identity, and the formats Bandwidth documents as closed (times, numbers: issue 18).
        const checked = [
          'eventType',
          'callId',
          'eventTime',
          'startTime',
          'answerTime',
          'endTime',
          'enqueuedTime',
          'from',
          'to',
        ];
        if (!checked.includes(path.join('.'))) expect(status).toBe(200);
      }),
      { numRuns: RUNS },
    );
  });
});

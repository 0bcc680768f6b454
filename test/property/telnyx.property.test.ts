/**
 * Property tests of POST /webhooks/telnyx (the real ingress and receiveWebhook, an enqueue that
 * always succeeds): no body or header makes it answer 5xx; correctly signed requests with random
 * field values — JSON or TeXML form — are either 200 or 400, and forged ones 401.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { telnyxIngress } from '../../lib/providers/telnyx/ingress';
import { fixture } from '../fixtures';
import { withValueAt } from '../support/arbitraries';
import { fixtureFile, pathsOf, sendAndCheck, TELNYX_SECRETS, telnyxRequest } from '../support/carriers';

const RUNS = 120;
const SEED = fixture('telnyx', 'call-hangup');
const send = (body: Buffer, options: Parameters<typeof telnyxRequest>[1] = {}, allowed?: number[]) =>
  sendAndCheck(telnyxIngress, TELNYX_SECRETS, telnyxRequest(body, options), body, allowed);

// API Gateway passes these as text; any other type (or none) arrives base64-encoded, byte for byte.
const textType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain');
const binaryType = fc.constantFrom('application/octet-stream', '');

describe('POST /webhooks/telnyx never answers 5xx', () => {
  it('for random signed bytes (a binary Content-Type): 200, 400 or 413', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), binaryType, async (bytes, type) => {
        await send(Buffer.from(bytes), { contentType: type }, [200, 400, 413]);
      }),
      { numRuns: RUNS },
    );
  });

  it('for random signed text under a text Content-Type: 200, 400 or 413', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 256 }), textType, async (text, type) => {
        await send(Buffer.from(text, 'utf8'), { contentType: type }, [200, 400, 413]);
      }),
      { numRuns: RUNS },
    );
  });

  it('for random signature and timestamp headers: 401', async () => {
    const header = fc.option(fc.oneof(fc.string(), fc.base64String(), fc.nat().map(String)), {
      nil: undefined,
    });
    await fc.assert(
      fc.asyncProperty(header, header, async (signature, timestamp) => {
        const body = Buffer.from(JSON.stringify(SEED));
        const headers = { 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': timestamp };
        await send(body, { headers }, [401]);
      }),
      { numRuns: RUNS },
    );
  });

  it('for a random value at any path of the signed hangup: 200, or 400 when it breaks the identity', async () => {
    const mutation = fc.record({ path: fc.constantFrom(...pathsOf(SEED)), value: fc.anything() });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ path, value }) => {
        const body = Buffer.from(JSON.stringify(withValueAt(SEED, path, value)));
        const status = await send(body, {}, [200, 400]);
        // Identity, and the times telnyx-node documents as ISO 8601 (issue 18).
        const checked = [
          'data',
          'data.event_type',
          'data.payload',
          'data.payload.call_leg_id',
          'data.occurred_at',
          'data.payload.start_time',
          'data.payload.end_time',
        ];
        if (!checked.includes(path.join('.'))) expect(status).toBe(200);
      }),
      { numRuns: RUNS },
    );
  });

  it('for signed TeXML forms with random fields and values: 200 or 400', async () => {
    const seed = [...new URLSearchParams(fixtureFile('telnyx', 'texml-completed.txt'))];
    const field = fc.oneof(fc.constantFrom(...seed.map(([key]) => key)), fc.string());
    const fields = fc.array(fc.tuple(field, fc.string({ unit: 'binary' })), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fields, fc.boolean(), async (extra, keepSeed) => {
        const form = new URLSearchParams(keepSeed ? seed : []);
        for (const [key, value] of extra) form.set(key, value);
        const body = Buffer.from(form.toString());
        await send(body, { contentType: 'application/x-www-form-urlencoded' }, [200, 400]);
      }),
      { numRuns: 60 },
    );
  });
});

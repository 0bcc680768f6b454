/**
 * Property tests of POST /webhooks/vonage (the real ingress and receiveWebhook, an enqueue that
 * always succeeds): no body or Authorization header makes it answer 5xx; requests signed for their
 * exact body with random field values are 200 or 400, anything else 401.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vonageIngress } from '../../lib/providers/vonage/ingress';
import { vonageJwt } from '../../lib/providers/vonage/sign';
import { fixture } from '../fixtures';
import { withValueAt } from '../support/arbitraries';
import { pathsOf, sendAndCheck, VONAGE_SECRETS, vonageRequest } from '../support/carriers';

const RUNS = 120;
const SEED = fixture('vonage', 'completed');
const send = (body: Buffer, options: Parameters<typeof vonageRequest>[1] = {}, allowed?: number[]) =>
  sendAndCheck(vonageIngress, VONAGE_SECRETS, vonageRequest(body, options), body, allowed);

describe('POST /webhooks/vonage never answers 5xx', () => {
  it('for random signed bytes (base64-encoded by API Gateway): 200, 400 or 413', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const headers = { 'content-type': 'application/octet-stream' };
        await send(Buffer.from(bytes), { headers }, [200, 400, 413]);
      }),
      { numRuns: RUNS },
    );
  });

  it('for random signed JSON text: 200, 400 or 413', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 256 })),
        async (text) => {
          await send(Buffer.from(text, 'utf8'), {}, [200, 400, 413]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('for random Authorization headers: 401', async () => {
    const segment = fc.oneof(
      fc.string(),
      fc.base64String(),
      fc.json().map((j) => Buffer.from(j).toString('base64url')),
    );
    const authorization = fc.oneof(
      fc.string(),
      fc.tuple(segment, segment, segment).map((parts) => `Bearer ${parts.join('.')}`),
      fc.string().map((s) => `Bearer ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(authorization, async (header) => {
        await send(Buffer.from(JSON.stringify(SEED)), { headers: { authorization: header } }, [401]);
      }),
      { numRuns: RUNS },
    );
  });

  it('for random JWT headers and claims signed with the secret: 401, or 200 only for HS256 with the right hash', async () => {
    const header = fc.record(
      { alg: fc.oneof(fc.constantFrom('HS256', 'none', 'HS512'), fc.string()), typ: fc.string() },
      { requiredKeys: [] },
    );
    const claims = fc.dictionary(
      fc.constantFrom('payload_hash', 'iat', 'iss', 'exp', 'jti'),
      fc.jsonValue(),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(header, claims, async (head, extra) => {
        const body = Buffer.from(JSON.stringify(SEED));
        const token = vonageJwt(body, VONAGE_SECRETS[0], extra, head);
        const status = await send(body, { headers: { authorization: `Bearer ${token}` } }, [200, 401]);
        const hashKept = !Object.hasOwn(extra, 'payload_hash');
        if (status === 200) expect(head.alg === 'HS256' && hashKept).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('for a random value at any path of the signed completed event: 200, or 400 when it breaks the identity', async () => {
    const mutation = fc.record({ path: fc.constantFrom(...pathsOf(SEED)), value: fc.anything() });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ path, value }) => {
        const body = Buffer.from(JSON.stringify(withValueAt(SEED, path, value)));
        const status = await send(body, {}, [200, 400]);
        if (!['status', 'uuid'].includes(path.join('.'))) expect(status).toBe(200);
      }),
      { numRuns: RUNS },
    );
  });
});

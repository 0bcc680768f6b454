/**
 * Property tests of the Retell and Vapi routes (the real providers and receiveWebhook, an enqueue
 * stub that always succeeds): no body or header makes them answer 5xx; validly signed requests whose
 * fields hold random values are either queued byte for byte (200) or refused with 400; the
 * normalizers never throw on what was queued.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../lib/envelope';
import { receiveWebhook } from '../../lib/ingress';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import { normalizers } from '../../lib/providers/registry';
import { retellIngress } from '../../lib/providers/retell/ingress';
import type { ProviderIngress } from '../../lib/providers/types';
import { vapiIngress } from '../../lib/providers/vapi/ingress';
import { staticSecrets } from '../../lib/secrets';
import { fixture } from '../fixtures';
import { RETELL_SECRETS, retellSignature, VAPI_SECRETS, vapiHmacHeaders } from '../support/agents';
import { withValueAt } from '../support/arbitraries';

const RUNS = 150;
type Name = 'retell' | 'vapi';
const ROUTES: Record<Name, { ingress: ProviderIngress; secrets: readonly string[]; seed: unknown }> = {
  retell: { ingress: retellIngress, secrets: RETELL_SECRETS, seed: fixture('retell', 'call-analyzed') },
  vapi: { ingress: vapiIngress, secrets: VAPI_SECRETS, seed: fixture('vapi', 'end-of-call-report') },
};
const name = fc.constantFrom<Name>('retell', 'vapi');

/** Signs `body` as the provider does, now. */
const signedHeaders = (provider: Name, body: Buffer): Record<string, string> =>
  provider === 'retell' ? { 'x-retell-signature': retellSignature(body) } : vapiHmacHeaders(body);

const eventOf = (provider: Name, body: Buffer, headers: Record<string, string>): APIGatewayProxyEventV2 =>
  toHttpApiEvent({
    method: 'POST',
    path: `/webhooks/${provider}`,
    route: `/webhooks/${provider}`,
    headers,
    body,
  });

async function send(provider: Name, body: Buffer, headers: Record<string, string>, settings = {}) {
  const queued: string[] = [];
  const { ingress, secrets } = ROUTES[provider];
  const response = await receiveWebhook(ingress, eventOf(provider, body, headers), {
    secrets: staticSecrets(secrets),
    enqueue: async (message) => {
      queued.push(message);
    },
    settings,
  });
  expect([200, 400, 401, 413]).toContain(response.statusCode);
  if (response.statusCode === 200) {
    expect(queued).toHaveLength(1);
    const delivery = decodeEnvelope(queued[0] ?? '');
    expect(Buffer.from(delivery.body, 'utf8').equals(body)).toBe(true);
    // The consumer's half must take whatever the ingress let through, without throwing.
    expect(() => normalizers[provider]?.toCallRecord([delivery])).not.toThrow();
  } else {
    expect(queued).toEqual([]);
  }
  return response.statusCode;
}

function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...pathsOf(child, [...prefix, key]),
  ]);
}

const headerValue = fc.oneof(
  fc.string(),
  fc.constantFrom('', 'v=1,d=00', 'Bearer ', 'v=99999999999999999,d=zz'),
);

describe('Retell and Vapi routes never answer 5xx', () => {
  it('for random bytes and random signature headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        name,
        fc.uint8Array({ maxLength: 512 }),
        headerValue,
        headerValue,
        async (p, bytes, a, b) => {
          // Act / Assess
          const headers = { 'x-retell-signature': a, 'x-signature': a, 'x-timestamp': b, 'x-vapi-secret': b };
          expect(await send(p, Buffer.from(bytes), headers)).not.toBe(200);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('for random JSON, correctly signed', async () => {
    await fc.assert(
      fc.asyncProperty(name, fc.json(), async (p, json) => {
        // Prepare
        const body = Buffer.from(json);

        // Act / Assess
        expect([200, 400]).toContain(await send(p, body, signedHeaders(p, body)));
      }),
      { numRuns: RUNS },
    );
  });

  it('for the documented payload with a random value at any path, correctly signed: 200 or 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        name.chain((p) =>
          fc.record({
            p: fc.constant(p),
            path: fc.constantFrom(...pathsOf(ROUTES[p].seed)),
            value: fc.anything(),
          }),
        ),
        async ({ p, path, value }) => {
          // Prepare
          const body = Buffer.from(JSON.stringify(withValueAt(ROUTES[p].seed, path, value)) ?? 'null');

          // Act / Assess
          expect([200, 400]).toContain(await send(p, body, signedHeaders(p, body)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('for any Vapi credential headers in every auth mode', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('hmac', 'secret', 'bearer', 'secret-or-bearer'),
        headerValue,
        headerValue,
        async (mode, secret, authorization) => {
          // Prepare
          const body = Buffer.from(JSON.stringify(ROUTES.vapi.seed));

          // Act / Assess
          const headers = { 'x-vapi-secret': secret, authorization };
          expect(await send('vapi', body, headers, { VAPI_AUTH_MODE: mode })).toBe(401);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/**
 * Property tests of the ingress HTTP mapping (unit level: the real providers and receiveWebhook,
 * an enqueue stub that always succeeds): no body, header or token makes it answer 5xx, every status
 * is one of 200/400/401/413, every 200 queued exactly the bytes received, and nothing reaches
 * Object.prototype. Last, through the emulator stack: any call id is either refused (400) or comes
 * back exactly from `calls get`.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCalls } from '../../lib/calls/run';
import {
  decodeEnvelope,
  encodeEnvelope,
  headerBytes,
  MAX_BODY_BYTES,
  MAX_MESSAGE_BYTES,
} from '../../lib/envelope';
import { receiveWebhook } from '../../lib/ingress';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import type { QueuePoller } from '../../lib/local/poller';
import { bandwidthIngress } from '../../lib/providers/bandwidth/ingress';
import { callkaroIngress } from '../../lib/providers/callkaro/ingress';
import type { ProviderIngress } from '../../lib/providers/types';
import { staticSecrets } from '../../lib/secrets';
import { type Provider, provider, SEEDS, seedPath, withValueAt } from '../support/arbitraries';
import { basic } from '../support/requests';
import { BANDWIDTH_SECRETS, CALLKARO_SECRETS, startTestStack, type TestStack } from '../support/stack';

const ALLOWED = [200, 400, 401, 413];
const RUNS = 150;

const PROVIDERS: Record<Provider, { ingress: ProviderIngress; secrets: readonly string[] }> = {
  bandwidth: { ingress: bandwidthIngress, secrets: BANDWIDTH_SECRETS },
  callkaro: { ingress: callkaroIngress, secrets: CALLKARO_SECRETS },
};

interface Sent {
  provider: Provider;
  body: Buffer;
  contentType?: string;
  authorization?: string;
  token?: string;
}

function eventOf({ provider, body, contentType, authorization, token }: Sent): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (provider === 'bandwidth') headers.authorization = authorization ?? basic(BANDWIDTH_SECRETS[0]);
  const pathToken = token ?? CALLKARO_SECRETS[0];
  return toHttpApiEvent({
    method: 'POST',
    path: provider === 'bandwidth' ? '/webhooks/bandwidth' : `/webhooks/callkaro/${pathToken}`,
    route: provider === 'bandwidth' ? '/webhooks/bandwidth' : '/webhooks/callkaro/{token}',
    pathParameters: provider === 'callkaro' ? { token: pathToken } : undefined,
    headers,
    body,
  });
}

/** Sends through receiveWebhook with a succeeding enqueue; returns the response and what was queued. */
async function send(sent: Sent) {
  const queued: string[] = [];
  const { ingress, secrets } = PROVIDERS[sent.provider];
  const response = await receiveWebhook(ingress, eventOf(sent), {
    secrets: staticSecrets(secrets),
    enqueue: async (message) => {
      queued.push(message);
    },
  });
  return { response, queued };
}

/** The HTTP contract every response keeps, whatever was sent. */
function assertContract(sent: Sent, { response, queued }: Awaited<ReturnType<typeof send>>) {
  expect(ALLOWED).toContain(response.statusCode);
  expect(response.body).not.toMatch(/[\r\n]/);
  const body = JSON.parse(response.body ?? 'null');
  if (response.statusCode === 200) {
    expect(body).toEqual({ received: true, id: expect.any(String) });
    expect(queued).toHaveLength(1);
    const delivery = decodeEnvelope(queued[0] ?? '');
    expect(delivery.deliveryId).toBe(body.id);
    expect(Buffer.from(delivery.body, 'utf8').equals(sent.body)).toBe(true);
  } else {
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error).toBe('string');
    expect(queued).toEqual([]);
  }
  // biome-ignore lint/suspicious/noExplicitAny: probing for pollution on a bare object
  expect(({} as any).polluted).toBeUndefined();
}

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'text/plain',
  'application/octet-stream',
  '',
);
const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** JSON with `__proto__`, `constructor` and `prototype` as own keys anywhere. */
const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'eventType',
  'callId',
  'event',
  'data',
  'callSid',
);
const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(hostileKey, tie('node'), { maxKeys: 4 }),
  ),
})).node;

/** Fields the ingress reads to identify a delivery; every other field is the consumer's business. */
const IDENTITY: Record<Provider, string[]> = {
  bandwidth: ['eventType', 'callId'],
  callkaro: ['event', 'data', 'data.callSid'],
};
const seedMutation = provider.chain((p) =>
  fc.record({
    provider: fc.constant(p),
    path: seedPath(p),
    value: fc.anything(),
  }),
);

describe('the ingress never answers 5xx', () => {
  it('for random bytes, under any Content-Type', async () => {
    await fc.assert(
      fc.asyncProperty(provider, fc.uint8Array({ maxLength: 512 }), contentType, async (p, bytes, type) => {
        const sent = { provider: p, body: Buffer.from(bytes), contentType: type };
        assertContract(sent, await send(sent));
      }),
      { numRuns: RUNS },
    );
  });

  it('for random JSON text, including any string and number', async () => {
    await fc.assert(
      fc.asyncProperty(provider, fc.json(), async (p, json) => {
        const sent = { provider: p, body: utf8(json) };
        assertContract(sent, await send(sent));
      }),
      { numRuns: RUNS },
    );
  });

  it('for nesting of any depth (JSON.parse takes it; the body is still one message)', async () => {
    await fc.assert(
      fc.asyncProperty(
        provider,
        fc.integer({ min: 1, max: 300_000 }),
        fc.constantFrom('[', '{"a":'),
        fc.boolean(),
        async (p, depth, open, closed) => {
          const close = open === '[' ? ']' : '}';
          const nested = `${open.repeat(depth)}${open === '[' ? '' : '0'}${closed ? close.repeat(depth) : ''}`;
          const body =
            p === 'bandwidth'
              ? `{"eventType":"hangup","callId":"deep","x":${nested}}`
              : `{"event":"call_ended","data":{"callSid":"deep","x":${nested}}}`;
          const sent = { provider: p, body: utf8(body) };
          const result = await send(sent);
          assertContract(sent, result);
          const expected = sent.body.length > MAX_BODY_BYTES ? 413 : closed ? 200 : 400;
          expect(result.response.statusCode).toBe(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('for huge strings, up to and past the size limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        provider,
        fc.integer({ min: MAX_BODY_BYTES - 64, max: MAX_BODY_BYTES + 64 }),
        fc.constantFrom('x', 'é', 'न', '😀', '\\"', '\uFFFF'),
        async (p, target, unit) => {
          const shell =
            p === 'bandwidth'
              ? (s: string) => `{"eventType":"hangup","callId":"huge","s":"${s}"}`
              : (s: string) => `{"event":"call_ended","data":{"callSid":"huge","s":"${s}"}}`;
          const room = Math.max(0, target - Buffer.byteLength(shell('')));
          const body = utf8(shell(unit.repeat(Math.floor(room / Buffer.byteLength(unit)))));
          const sent = { provider: p, body };
          const result = await send(sent);
          assertContract(sent, result);
          if (body.length > MAX_BODY_BYTES) expect(result.response.statusCode).toBe(413);
          // U+FFFF travels base64-encoded (4/3 larger): near the limit it cannot fit one message.
          else if (unit !== '\uFFFF') expect(result.response.statusCode).toBe(200);
        },
      ),
      { numRuns: 24 },
    );
  });

  it('for a body of exactly MAX_BODY_BYTES with any call id up to 200 characters: 200, never 413', async () => {
    // Identifiers JSON-escape to 1 ('a'), 2 ('"') or 6 ('\u0001') bytes in the envelope header.
    const idOf = (a: number, q: number, k: number) => 'a'.repeat(a) + '"'.repeat(q) + '\u0001'.repeat(k);
    const callId = fc
      .tuple(fc.nat({ max: 200 }), fc.nat({ max: 200 }), fc.nat({ max: 200 }))
      .filter(([a, q, k]) => a + q + k > 0 && a + q + k <= 200)
      .map(([a, q, k]) => idOf(a, q, k));
    // Same-length stand-ins for the ids and time the ingress fills in: the header size is exact.
    const headerOf = (id: string) =>
      headerBytes(
        encodeEnvelope({
          deliveryId: randomUUID(),
          provider: 'bandwidth',
          receivedAt: new Date().toISOString(),
          requestId: randomUUID(),
          eventType: 'hangup',
          callId: id,
          body: '',
        }),
      );
    /** A call id (at most 200 characters) that makes the header exactly `bytes` long. */
    const idForHeader = (bytes: number): string => {
      const rest = bytes - headerOf('');
      for (let k = Math.floor(rest / 6); k >= 0; k--)
        for (let q = 0; 2 * q <= rest - 6 * k; q++) {
          const a = rest - 6 * k - 2 * q;
          if (a + q + k <= 200) return idOf(a, q, k);
        }
      throw new Error(`no call id gives a ${bytes}-byte header`);
    };
    const boundary = [1021, 1022, 1023, 1024, 1025].map((bytes) => [idForHeader(bytes)] as [string]);
    expect(boundary.map(([id]) => headerOf(id))).toEqual([1021, 1022, 1023, 1024, 1025]);
    await fc.assert(
      fc.asyncProperty(callId, async (id) => {
        const shell = JSON.stringify({ eventType: 'hangup', callId: id, pad: '' });
        const body = utf8(`${shell.slice(0, -2)}${'x'.repeat(MAX_BODY_BYTES - Buffer.byteLength(shell))}"}`);
        expect(body.length).toBe(MAX_BODY_BYTES);
        const sent = { provider: 'bandwidth' as const, body };
        const result = await send(sent);
        assertContract(sent, result);
        // The header reserve holds every accepted identifier, however it escapes.
        expect(result.response.statusCode).toBe(200);
        for (const message of result.queued)
          expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      }),
      { numRuns: 60, examples: boundary },
    );
  });

  it('for __proto__ / constructor / prototype keys anywhere, and Object.prototype stays clean', async () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    await fc.assert(
      fc.asyncProperty(provider, hostileJson, async (p, json) => {
        const sent = { provider: p, body: utf8(JSON.stringify(json) ?? 'null') };
        assertContract(sent, await send(sent));
      }),
      { numRuns: RUNS },
    );
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });

  it('for a wrong type in any one field of either seed payload (only identity fields can make it 400)', async () => {
    await fc.assert(
      fc.asyncProperty(seedMutation, async ({ provider: p, path, value }) => {
        const sent = { provider: p, body: utf8(JSON.stringify(withValueAt(SEEDS[p], path, value))) };
        const result = await send(sent);
        assertContract(sent, result);
        const touchesIdentity = IDENTITY[p].some((field) => path.join('.') === field);
        if (!touchesIdentity) expect(result.response.statusCode).toBe(200);
      }),
      { numRuns: RUNS },
    );
  });

  it('for random credentials: 401 unless they are one of the secrets', async () => {
    const authorization = fc.oneof(
      fc.string(),
      fc.string().map((s) => `Basic ${s}`),
      fc.string({ unit: 'binary' }).map(basic),
      fc.base64String().map((s) => `Basic ${s}`),
      fc.constantFrom(...BANDWIDTH_SECRETS).map((s) => `${basic(s)},${basic(s)}`),
    );
    const token = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc
        .constantFrom(...CALLKARO_SECRETS)
        .chain((s) => fc.nat({ max: s.length - 1 }).map((n) => s.slice(0, n))),
      fc
        .constantFrom(...CALLKARO_SECRETS)
        .map(encodeURIComponent)
        .map((s) => `${s}%00`),
    );
    await fc.assert(
      fc.asyncProperty(provider, authorization, token, async (p, auth, tok) => {
        const valid =
          p === 'bandwidth'
            ? BANDWIDTH_SECRETS.some((s) => basic(s) === auth)
            : (CALLKARO_SECRETS as readonly string[]).includes(tok);
        const body = utf8(JSON.stringify(SEEDS[p]));
        const sent = { provider: p, body, authorization: auth, token: tok };
        const result = await send(sent);
        assertContract(sent, result);
        expect(result.response.statusCode).toBe(valid ? 200 : 401);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('any call id is refused or returned exactly', () => {
  let stack: TestStack;
  let poller: QueuePoller;
  beforeAll(async () => {
    stack = await startTestStack();
    poller = await stack.startPoller();
  });
  afterAll(async () => {
    await stack.stop();
  });

  /** JSON with everything outside ASCII escaped, so the body itself is any SQS's (and emulator's) to carry. */
  const asciiJson = (value: unknown) =>
    JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  // Pieces of any code point, plus the awkward ones on purpose: lone (or accidentally paired)
  // surrogates, NUL, ESC, U+2028, U+FFFF, an astral character, a quote and a backslash.
  const piece = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
    fc.constantFrom(
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      '\u0000',
      '\u001b',
      '\u2028',
      '\uffff',
      '\u{1F4DE}',
      '"',
      '\\',
    ),
  );
  const callId = fc.array(piece, { minLength: 1, maxLength: 70 }).map((pieces) => pieces.join(''));
  const wellFormed = (text: string) => !/\p{Cs}/u.test(text);

  it('through the real handlers, the consumer and `calls get --json`', async () => {
    await fc.assert(
      fc.asyncProperty(provider, callId, async (p, id) => {
        // Prepare
        const body =
          p === 'bandwidth'
            ? { eventType: 'hangup', callId: id, cause: 'NORMAL_CLEARING', time: '2024-03-01T10:00:00Z' }
            : { event: 'call_ended', data: { callSid: id, hangup_reason: 'CLIENT_INITIATED' } };
        const sent = { provider: p, body: utf8(asciiJson(body)) };
        const accepted = wellFormed(id) && id.length <= 200;

        // Act
        const response = await stack[p](eventOf(sent));
        await poller.drain();
        const out: string[] = [];
        const code = await runCalls(['get', p, id, '--json', '--table', stack.tableName], {
          env: { DYNAMODB_PORT: String(stack.dynamoEmulator.port) },
          out: (text) => out.push(text),
          err: () => {},
        });

        // Assess
        expect(response.statusCode).toBe(accepted ? 200 : 400);
        if (accepted) {
          expect(code).toBe(0);
          expect(JSON.parse(out.join('')).callId === id).toBe(true);
        } else {
          // Refused, so never stored: `get` finds nothing (or, the SDK having sent the lone
          // surrogate as U+FFFD, some other call that really has U+FFFD in its id).
          if (code === 0) expect(JSON.parse(out.join('')).callId === id).toBe(false);
          else expect(code).toBe(1);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

/**
 * Telnyx, Vonage and Bandwidth v2 in tests: their secrets, signed HTTP API events as each provider
 * sends them, stored deliveries of their fixtures, and every order of a list (lifecycle tests).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { expect } from 'vitest';
import { type Delivery, decodeEnvelope } from '../../lib/envelope';
import { receiveWebhook } from '../../lib/ingress';
import { toHttpApiEvent } from '../../lib/local/api-gateway';
import { DEV_PUBLIC_KEY } from '../../lib/providers/telnyx/ingress';
import { DEV_PRIVATE_SEED_HEX, signTelnyx } from '../../lib/providers/telnyx/sign';
import type { ProviderIngress } from '../../lib/providers/types';
import { signVonage } from '../../lib/providers/vonage/sign';
import { staticSecrets } from '../../lib/secrets';
import { basic } from './requests';
import type { TestStack } from './stack';

/** A second Ed25519 key pair, made per test run: Telnyx's "next" key during a rotation. */
function generatedSeed(): { seedHex: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { seedHex: Buffer.from(seed).toString('hex'), publicKey: Buffer.from(raw).toString('base64') };
}
export const TELNYX_NEXT_KEY = generatedSeed();
export const TELNYX_SECRETS = [DEV_PUBLIC_KEY, TELNYX_NEXT_KEY.publicKey] as const;
export const VONAGE_SECRETS = ['vonage-signature-secret-current', 'vonage-signature-secret-next'] as const;
export const BANDWIDTH_V2_SECRETS = ['bw2-user:bw2-pass', 'bw2-next:next-pass'] as const;

type Body = string | Buffer;
const toBuffer = (body: Body) => (Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
const nowSeconds = () => String(Math.floor(Date.now() / 1000));

const event = (path: string, headers: Record<string, string | undefined>, body: Body) =>
  toHttpApiEvent({ method: 'POST', path, route: path, headers, body: toBuffer(body) });

/** A Telnyx request signed now with the dev key (or `seedHex`); `headers` override any header. */
export function telnyxRequest(
  body: Body,
  {
    seedHex = DEV_PRIVATE_SEED_HEX,
    timestamp = nowSeconds(),
    contentType = 'application/json',
    headers = {} as Record<string, string | undefined>,
  } = {},
): APIGatewayProxyEventV2 {
  return event(
    '/webhooks/telnyx',
    { 'content-type': contentType, ...signTelnyx(toBuffer(body), timestamp, seedHex), ...headers },
    body,
  );
}

/** A Vonage request with a JWT signed by `secret` for exactly `body`. */
export function vonageRequest(
  body: Body,
  { secret = VONAGE_SECRETS[0] as string, headers = {} as Record<string, string | undefined> } = {},
): APIGatewayProxyEventV2 {
  return event(
    '/webhooks/vonage',
    { 'content-type': 'application/json', ...signVonage(toBuffer(body), secret), ...headers },
    body,
  );
}

/** A Bandwidth v2 callback with Basic credentials; `authorization: null` sends none (its first try). */
export function bandwidthV2Request(
  body: Body,
  {
    authorization,
    contentType = 'application/json',
  }: { authorization?: string | null; contentType?: string } = {},
): APIGatewayProxyEventV2 {
  const header = authorization === undefined ? basic(BANDWIDTH_V2_SECRETS[0]) : (authorization ?? undefined);
  return event('/webhooks/bandwidth-v2', { 'content-type': contentType, authorization: header }, body);
}

/** A stored delivery of a fixture (or any body) as the ingress would have identified it. */
export function storedDelivery(
  provider: string,
  body: string,
  identity: { eventType: string; callId: string | null },
  overrides: Partial<Delivery> = {},
): Delivery {
  return {
    deliveryId: `${provider}-${identity.eventType}`,
    provider,
    receivedAt: '2026-01-01T00:00:00.000Z',
    requestId: 'request-1',
    ...identity,
    body,
    ...overrides,
  };
}

/** The exact bytes of any fixture file, e.g. `telnyx`, `texml-completed.txt` (form bodies are not JSON). */
export const fixtureFile = (provider: string, file: string): string =>
  readFileSync(new URL(`../fixtures/${provider}/${file}`, import.meta.url), 'utf8');

/** Every order of `items` (n! of them: keep n small). */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** What is waiting in the stack's queue (no poller running): empty after a rejected request. */
export async function queuedMessages(stack: TestStack): Promise<string[]> {
  const { Messages = [] } = await stack.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.queueUrls.queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
    }),
  );
  return Messages.map((message) => message.Body ?? '');
}

/**
 * Sends `event` through receiveWebhook with an enqueue that always succeeds, and checks the HTTP
 * contract every response keeps: a status in `allowed` (never 5xx), a one-line JSON body, and a
 * 200 only with exactly the received bytes queued. Returns the status.
 */
export async function sendAndCheck(
  ingress: ProviderIngress,
  secrets: readonly string[],
  event: APIGatewayProxyEventV2,
  sentBody: Buffer,
  allowed: readonly number[] = [200, 400, 401, 413],
): Promise<number> {
  const queued: string[] = [];
  const response = await receiveWebhook(ingress, event, {
    secrets: staticSecrets(secrets),
    enqueue: async (message) => {
      queued.push(message);
    },
  });
  expect(allowed).toContain(response.statusCode);
  expect(response.body).not.toMatch(/[\r\n]/);
  const body = JSON.parse(response.body ?? 'null');
  if (response.statusCode === 200) {
    expect(body).toEqual({ received: true, id: expect.any(String) });
    expect(queued).toHaveLength(1);
    expect(Buffer.from(decodeEnvelope(queued[0] ?? '').body, 'utf8').equals(sentBody)).toBe(true);
  } else {
    expect(Object.keys(body)).toEqual(['error']);
    expect(queued).toEqual([]);
  }
  return response.statusCode as number;
}

/** Every path into a parsed fixture, e.g. ['data', 'payload', 'from']. */
export function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...pathsOf(child, [...prefix, key]),
  ]);
}

/**
 * `npm start` with the providers that sign the URL they called: real HTTP into startLocalStack,
 * each request signed for the URL the start-up banner printed (or for PUBLIC_BASE_URL), stored as a
 * record the `calls` CLI's code reads.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCall } from '../../lib/calls/query';
import { type LocalStack, startLocalStack } from '../../lib/local/stack';
import { plivoSignatureV3 } from '../../lib/providers/plivo/ingress';
import { normalizers } from '../../lib/providers/registry';
import { twilioSignature } from '../../lib/providers/twilio/ingress';
import { buildCallStore } from '../../lib/store';
import { PLIVO_NONCE, rawFormFixture } from '../support/signed-requests';

const TWILIO_TOKEN = 'local-twilio-token';
const PLIVO_TOKEN = 'local-plivo-token';
const TABLE = 'call-intake-local-calls';
const TWILIO_BODY = rawFormFixture('twilio', 'status-completed');
const PLIVO_BODY = rawFormFixture('plivo', 'hangup');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const running: LocalStack[] = [];
let logs: string[] = [];
async function start(env: NodeJS.ProcessEnv): Promise<LocalStack> {
  const stack = await startLocalStack({
    port: 0,
    sqsPort: 0,
    dynamoPort: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'call-intake-signed-')),
    env,
    log: (line) => logs.push(line),
  });
  running.push(stack);
  return stack;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.stop()));
  logs = [];
});

/** The URL the banner told the user to register for `provider`. */
function printedUrl(provider: string): string {
  const line = logs.find((entry) => new RegExp(`^\\s+${provider}\\s+POST `).test(entry));
  const url = line?.match(/POST (\S+)/)?.[1];
  if (!url) throw new Error(`no URL printed for ${provider}:\n${logs.join('\n')}`);
  return url;
}

const postTwilio = (stack: LocalStack, signedFor: string, token = TWILIO_TOKEN, query = '') =>
  fetch(`${stack.url}/webhooks/twilio${query}`, {
    method: 'POST',
    headers: {
      ...FORM,
      'x-twilio-signature': twilioSignature(token, signedFor, [...new URLSearchParams(TWILIO_BODY)]),
    },
    body: TWILIO_BODY,
  });

const postPlivo = (stack: LocalStack, signedFor: string) =>
  fetch(`${stack.url}/webhooks/plivo`, {
    method: 'POST',
    headers: {
      ...FORM,
      'x-plivo-signature-v3': plivoSignatureV3(
        PLIVO_TOKEN,
        signedFor,
        [...new URLSearchParams(PLIVO_BODY)],
        PLIVO_NONCE,
      ),
      'x-plivo-signature-v3-nonce': PLIVO_NONCE,
    },
    body: PLIVO_BODY,
  });

const reader = (stack: LocalStack) => ({ store: buildCallStore(stack.dynamo, TABLE), normalizers });

describe('npm start: Twilio and Plivo', () => {
  it('accepts callbacks signed for the printed URLs and stores them as records', async () => {
    // Prepare
    const stack = await start({ TWILIO_AUTH_TOKEN: TWILIO_TOKEN, PLIVO_AUTH_TOKEN: PLIVO_TOKEN });

    // Act
    const twilio = await postTwilio(stack, printedUrl('twilio'));
    const plivo = await postPlivo(stack, printedUrl('plivo'));
    await stack.drain();

    // Assess
    expect(printedUrl('twilio')).toBe(`${stack.url}/webhooks/twilio`);
    expect([twilio.status, plivo.status]).toEqual([200, 200]);
    expect(await getCall(reader(stack), 'twilio', 'CA1234567890ABCDEF1234567890ABCDEF')).toMatchObject({
      outcome: 'completed',
      endedAt: '2010-08-16T03:45:01.000Z',
    });
    expect(await getCall(reader(stack), 'plivo', '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36')).toMatchObject({
      outcome: 'completed',
      from: '+19792014278',
    });
  });

  it('checks against PUBLIC_BASE_URL when set, prints it, and takes two tokens from one variable', async () => {
    // Prepare
    const stack = await start({
      PUBLIC_BASE_URL: 'https://tunnel.example.test/',
      TWILIO_AUTH_TOKEN: `old-token\n${TWILIO_TOKEN}`,
      PLIVO_AUTH_TOKEN: PLIVO_TOKEN,
    });

    // Act
    const signedForTunnel = await postTwilio(stack, 'https://tunnel.example.test/webhooks/twilio');
    const signedWithOldToken = await postTwilio(
      stack,
      'https://tunnel.example.test/webhooks/twilio',
      'old-token',
    );
    const signedForLoopback = await postTwilio(stack, `${stack.url}/webhooks/twilio`);

    // Assess
    expect(printedUrl('twilio')).toBe('https://tunnel.example.test/webhooks/twilio');
    expect(printedUrl('plivo')).toBe('https://tunnel.example.test/webhooks/plivo');
    expect([signedForTunnel.status, signedWithOldToken.status, signedForLoopback.status]).toEqual([
      200, 200, 401,
    ]);
    expect(logs.join('\n')).not.toContain(TWILIO_TOKEN);
  });

  it('checks the query exactly as sent (`+`, `%2B` and order kept)', async () => {
    // Prepare
    const stack = await start({ TWILIO_AUTH_TOKEN: TWILIO_TOKEN, PLIVO_AUTH_TOKEN: PLIVO_TOKEN });
    const query = '?b=a+b&a=%2B1';

    // Act
    const asSent = await postTwilio(stack, `${printedUrl('twilio')}${query}`, TWILIO_TOKEN, query);
    const rebuilt = await postTwilio(stack, `${printedUrl('twilio')}?a=%2B1&b=a%20b`, TWILIO_TOKEN, query);

    // Assess
    expect([asSent.status, rebuilt.status]).toEqual([200, 401]);
  });

  it('prints the dev default tokens when the variables are unset', async () => {
    // Act
    await start({});

    // Assess
    expect(logs.join('\n')).toContain('TWILIO_AUTH_TOKEN');
    expect(logs.join('\n')).toContain('PLIVO_AUTH_TOKEN');
  });
});

/**
 * `npm start` with the Retell and Vapi routes: real HTTP into startLocalStack, requests signed as the
 * providers sign them and sent to the URLs the banner prints, read back through the `calls` CLI's code.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCall } from '../../lib/calls/query';
import { type LocalStack, LocalStackError, startLocalStack } from '../../lib/local/stack';
import { normalizers } from '../../lib/providers/registry';
import { buildCallStore } from '../../lib/store';
import { rawFixture } from '../fixtures';
import { retellSignature, vapiHmacHeaders } from '../support/agents';

const TABLE = 'call-intake-local-calls';
const ENV = {
  RETELL_API_KEY: 'key_local_current\nkey_local_next',
  VAPI_WEBHOOK_SECRET: 'vapi-local-secret',
};

const running: LocalStack[] = [];
const logs: string[] = [];
async function start(env: NodeJS.ProcessEnv): Promise<LocalStack> {
  const stack = await startLocalStack({
    port: 0,
    sqsPort: 0,
    dynamoPort: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'call-intake-agents-')),
    env,
    log: (line) => logs.push(line),
  });
  running.push(stack);
  return stack;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.stop()));
  logs.length = 0;
});

/** The URL the banner tells the user to register for `provider`. */
const printedUrl = (provider: string): string => {
  const line = logs.find(
    (l) => l.trimStart().startsWith(`${provider} `) && l.includes(`/webhooks/${provider}`),
  );
  const url = line?.match(/POST (\S+)/)?.[1];
  if (url === undefined) throw new Error(`no URL printed for ${provider}`);
  return url;
};

const readerOf = (stack: LocalStack) => ({ store: buildCallStore(stack.dynamo, TABLE), normalizers });

describe('npm start: Retell and Vapi', () => {
  it('takes a signed Retell call_ended and a Vapi end-of-call-report at the printed URLs as records', async () => {
    // Prepare
    const stack = await start(ENV);
    const retellBody = rawFixture('retell', 'call-ended');
    const vapiBody = rawFixture('vapi', 'end-of-call-report');

    // Act
    const retell = await fetch(printedUrl('retell'), {
      method: 'POST',
      headers: { 'x-retell-signature': retellSignature(retellBody, 'key_local_next') },
      body: retellBody,
    });
    const vapi = await fetch(printedUrl('vapi'), {
      method: 'POST',
      headers: vapiHmacHeaders(vapiBody, 'vapi-local-secret'),
      body: vapiBody,
    });
    await stack.drain();

    // Assess
    expect([retell.status, vapi.status]).toEqual([200, 200]);
    const reader = readerOf(stack);
    expect(await getCall(reader, 'retell', 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6')).toMatchObject({
      provider: 'retell',
      outcome: 'completed',
      durationSeconds: 15.791,
    });
    expect(await getCall(reader, 'vapi', '0a8a3f2c-5b1e-4c7d-9f3a-2e6b8d4c1a90')).toMatchObject({
      provider: 'vapi',
      outcome: 'completed',
      durationSeconds: 65,
    });
  });

  it('reads the Vapi auth mode from the environment', async () => {
    // Prepare
    const stack = await start({ ...ENV, VAPI_AUTH_MODE: 'bearer' });
    const body = rawFixture('vapi', 'end-of-call-report');

    // Act
    const hmac = await fetch(printedUrl('vapi'), {
      method: 'POST',
      headers: vapiHmacHeaders(body, 'vapi-local-secret'),
      body,
    });
    const bearer = await fetch(printedUrl('vapi'), {
      method: 'POST',
      headers: { authorization: 'Bearer vapi-local-secret' },
      body,
    });

    // Assess
    expect([hmac.status, bearer.status]).toEqual([401, 200]);
    expect(stack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('prints the dev defaults it uses when RETELL_API_KEY and VAPI_WEBHOOK_SECRET are unset', async () => {
    // Act
    await start({});

    // Assess
    const defaults = logs.find((l) => l.startsWith('dev default secrets in use'));
    expect(defaults).toContain('RETELL_API_KEY');
    expect(defaults).toContain('VAPI_WEBHOOK_SECRET');
  });

  it('refuses to start with a bad Vapi setting, in one line naming the variable', async () => {
    // Act
    const error = await startLocalStack({
      port: 0,
      sqsPort: 0,
      dynamoPort: 0,
      env: { VAPI_HMAC_ALGORITHM: 'md5' },
    }).then(
      (stack) => {
        running.push(stack);
        throw new Error('expected the stack not to start');
      },
      (failure: Error) => failure,
    );

    // Assess
    expect(error).toBeInstanceOf(LocalStackError);
    expect(error.message).toBe('VAPI_HMAC_ALGORITHM must be one of sha256, sha512, sha1 (got "md5")');
  });
});

/**
 * `npm start` with the Telnyx, Vonage and Bandwidth v2 routes: real HTTP into startLocalStack,
 * requests signed as each provider signs them (Telnyx with the documented dev key pair), read back
 * as records through the `calls` CLI's code.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCall } from '../../lib/calls/query';
import { type LocalStack, startLocalStack } from '../../lib/local/stack';
import { normalizers } from '../../lib/providers/registry';
import { signTelnyx } from '../../lib/providers/telnyx/sign';
import { signVonage } from '../../lib/providers/vonage/sign';
import { buildCallStore } from '../../lib/store';
import { rawFixture } from '../fixtures';
import { fixtureFile } from '../support/carriers';
import { basic } from '../support/requests';

const TABLE = 'call-intake-local-calls';
const ENV = {
  VONAGE_SIGNATURE_SECRET: 'local-vonage-secret',
  BANDWIDTH_V2_WEBHOOK_USERNAME: 'bw2-local',
  BANDWIDTH_V2_WEBHOOK_PASSWORD: 'bw2-pass',
};

const running: LocalStack[] = [];
const logs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.stop()));
  logs.length = 0;
});

async function start(): Promise<LocalStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'call-intake-carriers-'));
  const stack = await startLocalStack({
    port: 0,
    sqsPort: 0,
    dynamoPort: 0,
    dataDir,
    env: ENV,
    log: (line) => logs.push(line),
  });
  running.push(stack);
  return stack;
}

const post = (stack: LocalStack, path: string, body: string, headers: Record<string, string>) =>
  fetch(`${stack.url}${path}`, { method: 'POST', headers, body });

describe('npm start: Telnyx, Vonage and Bandwidth v2', () => {
  it('prints their URLs and takes signed requests from each as records', async () => {
    // Prepare
    const stack = await start();
    const now = String(Math.floor(Date.now() / 1000));
    const telnyxHangup = rawFixture('telnyx', 'call-hangup');
    const texml = fixtureFile('telnyx', 'texml-completed.txt');
    const vonageCompleted = rawFixture('vonage', 'completed');
    const disconnect = rawFixture('bandwidth-v2', 'disconnect');
    const json = { 'content-type': 'application/json' };

    // Act
    const responses = await Promise.all([
      post(stack, '/webhooks/telnyx', telnyxHangup, { ...json, ...signTelnyx(telnyxHangup, now) }),
      post(stack, '/webhooks/telnyx', texml, {
        'content-type': 'application/x-www-form-urlencoded',
        ...signTelnyx(texml, now),
      }),
      post(stack, '/webhooks/vonage', vonageCompleted, {
        ...json,
        ...signVonage(vonageCompleted, ENV.VONAGE_SIGNATURE_SECRET),
      }),
      post(stack, '/webhooks/bandwidth-v2', disconnect, json),
      post(stack, '/webhooks/bandwidth-v2', disconnect, {
        ...json,
        authorization: basic('bw2-local:bw2-pass'),
      }),
      post(stack, '/webhooks/vonage', vonageCompleted, {
        ...json,
        ...signVonage(vonageCompleted, 'dev-signature-secret'),
      }),
    ]);
    await stack.drain();

    // Assess
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 401, 200, 401]);
    expect(responses[3]?.headers.get('www-authenticate')).toMatch(/^Basic /);
    const reader = { store: buildCallStore(stack.dynamo, TABLE), normalizers };
    expect(await getCall(reader, 'telnyx', '428c31b6-7af4-4bcb-b7f5-5013ef9657c1')).toMatchObject({
      outcome: 'canceled',
      hangupCause: 'normal_clearing',
    });
    expect(await getCall(reader, 'telnyx', '2f1f5a3e-b3b8-11ee-8f0c-02420a0d7f68')).toMatchObject({
      outcome: 'completed',
      durationSeconds: 55,
    });
    expect(await getCall(reader, 'vonage', 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab')).toMatchObject({
      from: '+442079460000',
      outcome: 'completed',
    });
    expect(
      await getCall(reader, 'bandwidth-v2', 'c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d'),
    ).toMatchObject({
      outcome: 'busy',
    });
    const banner = logs.join('\n');
    expect(banner).toMatch(
      /telnyx +POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/telnyx +\(signed with TELNYX_PUBLIC_KEY: [^)]+\)\n/,
    );
    expect(banner).toMatch(
      /vonage +POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/vonage +\(signed with VONAGE_SIGNATURE_SECRET: [^)]+\)\n/,
    );
    expect(banner).toMatch(
      /bandwidth-v2 +POST http:\/\/bw2-local:\*\*\*@127\.0\.0\.1:\d+\/webhooks\/bandwidth-v2/,
    );
    expect(banner).toContain('TELNYX_PUBLIC_KEY');
  });
});

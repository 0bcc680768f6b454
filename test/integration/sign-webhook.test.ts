/**
 * `npm run -s sign -- <provider> <file> | sh` end to end: the script runs as a child process against
 * a real local stack (env {}: every dev default), its printed curl line runs through `sh -c` as a
 * newcomer's pipe would, and the call's record must come out of DynamoDB, for all nine providers.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseQuery } from 'node:querystring';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getExpectedTwilioSignature, getSignatureAlgorithm } from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { getCall } from '../../lib/calls/query';
import { type LocalStack, startLocalStack } from '../../lib/local/stack';
import { PROVIDER_NAMES } from '../../lib/providers/list';
import { normalizers } from '../../lib/providers/registry';
import { twilioIngress } from '../../lib/providers/twilio/ingress';
import type { WebhookRequest } from '../../lib/providers/types';
import { vapiIngress } from '../../lib/providers/vapi/ingress';
import { buildCallStore } from '../../lib/store';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const TABLE = 'call-intake-local-calls';
// Nothing of the developer's environment (secrets, PUBLIC_BASE_URL) may leak into the script.
const BARE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** One end-of-call fixture per provider (Telnyx twice: Call Control JSON and a TeXML form) and its call id. */
const CASES = [
  { provider: 'bandwidth', file: 'bandwidth/hangup.json', callId: '{callId}' },
  { provider: 'callkaro', file: 'callkaro/call-ended.json', callId: '2303fa770b666a64ab1694c1e' },
  { provider: 'twilio', file: 'twilio/status-completed.txt', callId: 'CA1234567890ABCDEF1234567890ABCDEF' },
  { provider: 'plivo', file: 'plivo/hangup.txt', callId: '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36' },
  { provider: 'telnyx', file: 'telnyx/call-hangup.json', callId: '428c31b6-7af4-4bcb-b7f5-5013ef9657c1' },
  {
    provider: 'telnyx',
    file: 'telnyx/texml-completed.txt',
    callId: '2f1f5a3e-b3b8-11ee-8f0c-02420a0d7f68',
  },
  { provider: 'vonage', file: 'vonage/completed.json', callId: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab' },
  {
    provider: 'bandwidth-v2',
    file: 'bandwidth-v2/disconnect.json',
    callId: 'c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d',
  },
  { provider: 'retell', file: 'retell/call-ended.json', callId: 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6' },
  { provider: 'vapi', file: 'vapi/end-of-call-report.json', callId: '0a8a3f2c-5b1e-4c7d-9f3a-2e6b8d4c1a90' },
] as const;

const fixturePath = (file: string) => join('test/fixtures', file);

/** The script as `npm run -s sign -- …` runs it, from the project root. */
const sign = (args: readonly string[], env: Record<string, string> = {}) =>
  run(TSX, ['scripts/sign-webhook.ts', ...args], { cwd: ROOT, env: { ...BARE_ENV, ...env } });

/** The words of a printed curl line as sh splits them (sh's own quoting rules, not a re-implementation). */
async function shellWords(command: string): Promise<string[]> {
  if (!command.startsWith('curl ')) throw new Error(`not a curl command: ${command}`);
  const { stdout } = await run('sh', ['-c', `printf '%s\\0' ${command.slice('curl '.length)}`], {
    env: BARE_ENV,
  });
  return stdout.split('\0').slice(0, -1);
}

/** The request a printed curl line sends, as the webhook sees it: lower-case headers, raw body, URL. */
async function requestOf(command: string): Promise<WebhookRequest> {
  const words = await shellWords(command);
  const headers: Record<string, string> = {};
  let body = Buffer.alloc(0);
  for (const [i, word] of words.entries()) {
    const next = words[i + 1] ?? '';
    if (word === '-H') {
      const colon = next.indexOf(':');
      headers[next.slice(0, colon).toLowerCase()] = next.slice(colon + 1).trim();
    }
    if (word === '--data-binary') body = readFileSync(join(ROOT, next.replace(/^@/, '')));
  }
  return {
    method: 'POST',
    headers,
    pathParameters: {},
    rawBody: body,
    rawQueryString: '',
    url: words.at(-1) ?? '',
  };
}

let stack: LocalStack;
const dataDir = mkdtempSync(join(tmpdir(), 'call-intake-sign-'));
beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    sqsPort: 0,
    dynamoPort: 0,
    dataDir,
    env: {},
    log: () => {},
  });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

// Concurrent: each case is mostly a tsx start-up; the stack and its queue are shared safely (drain
// waits for the queue to be empty, so for this case's delivery too).
describe.concurrent('npm run sign: a correctly signed request for the local stack, per provider', () => {
  it('covers every provider of the list', ({ expect }) => {
    expect(new Set(CASES.map((c) => c.provider))).toEqual(new Set(PROVIDER_NAMES));
  });

  it.for(CASES)('$provider: $file is accepted (200) and becomes its call record', async (c, { expect }) => {
    // Prepare
    const { stdout: command, stderr } = await sign([c.provider, fixturePath(c.file)], {
      PORT: String(stack.port),
    });
    expect(stderr).toBe('');
    expect(command.trim().split('\n')).toHaveLength(1);

    // Act: exactly what `| sh` does with the line.
    const { stdout: response } = await run('sh', ['-c', command], { cwd: ROOT, env: BARE_ENV });
    await stack.drain();

    // Assess
    expect(response.trim().split('\n').at(-1)).toBe('HTTP 200');
    expect(response).toContain('"received":true');
    const reader = { store: buildCallStore(stack.dynamo, TABLE), normalizers };
    const record = await getCall(reader, c.provider, c.callId);
    expect(record).toMatchObject({ provider: c.provider, callId: c.callId });
  });

  it.for([
    ['secret', { VAPI_AUTH_MODE: 'secret' }],
    [
      'a custom HMAC plan',
      {
        VAPI_HMAC_ALGORITHM: 'sha512',
        VAPI_HMAC_ENCODING: 'base64',
        VAPI_HMAC_SIGNATURE_PREFIX: "sha512='",
        VAPI_HMAC_SIGNATURE_HEADER: 'X-Custom-Sig',
        VAPI_HMAC_TIMESTAMP_HEADER: 'X-Custom-Ts',
        VAPI_HMAC_PAYLOAD_FORMAT: '{body}:{timestamp}',
      },
    ],
  ] as const)(
    'vapi: follows the VAPI_* auth settings (%s) the stack would check with',
    async ([, settings], { expect }) => {
      // Act
      const { stdout } = await sign(['vapi', fixturePath('vapi/end-of-call-report.json')], settings);

      // Assess: the webhook's own check, under the same settings and the dev default secret.
      const request = await requestOf(stdout.trim());
      expect(request.url).toBe('http://127.0.0.1:3000/webhooks/vapi');
      expect(() =>
        vapiIngress.authenticate(request, ['dev-vapi-secret'], { now: new Date(), settings }),
      ).not.toThrow();
      // …and not under the defaults: the settings are what made it pass.
      expect(() =>
        vapiIngress.authenticate(request, ['dev-vapi-secret'], { now: new Date(), settings: {} }),
      ).toThrow();
    },
  );

  it('signs the PUBLIC_BASE_URL route when set, as the stack checks Twilio against it', async ({
    expect,
  }) => {
    const { stdout } = await sign(['twilio', fixturePath('twilio/status-completed.txt')], {
      PUBLIC_BASE_URL: 'https://abc.example.ngrok.app/',
      TWILIO_AUTH_TOKEN: 'my-token',
    });
    const request = await requestOf(stdout.trim());
    expect(request.url).toBe('https://abc.example.ngrok.app/webhooks/twilio');
    const context = { now: new Date(), settings: {} };
    expect(() => twilioIngress.authenticate(request, ['my-token'], context)).not.toThrow();
  });

  it('signs as a Twilio SharedKey with --algorithm HMAC_SHA256, as twilio-node computes it', async ({
    expect,
  }) => {
    const file = fixturePath('twilio/status-completed.txt');
    const { stdout } = await sign(['twilio', '--algorithm', 'HMAC_SHA256', file], {
      TWILIO_AUTH_TOKEN: 'my-shared-key-secret\nmy-auth-token',
    });
    const request = await requestOf(stdout.trim());
    const settings = request.headers['x-twilio-webhooks-signature-settings'] ?? '';
    expect(getSignatureAlgorithm(settings)).toBe('HMAC_SHA256');
    const params = parseQuery(request.rawBody.toString('utf8')) as Record<string, string>;
    expect(request.headers['x-twilio-signature']).toBe(
      getExpectedTwilioSignature('my-shared-key-secret', request.url, params, 'HMAC_SHA256'),
    );
    const context = { now: new Date(), settings: {} };
    expect(() =>
      twilioIngress.authenticate(request, ['my-shared-key-secret', 'my-auth-token'], context),
    ).not.toThrow();
    // Without the settings header the same signature is read as HMAC-SHA1 and fails.
    const { 'x-twilio-webhooks-signature-settings': _, ...sha1Headers } = request.headers;
    expect(() =>
      twilioIngress.authenticate({ ...request, headers: sha1Headers }, ['my-shared-key-secret'], context),
    ).toThrow();
  });

  it.for([
    [
      'an unknown provider',
      ['twillio', fixturePath('vapi/end-of-call-report.json')],
      /^error: unknown provider "twillio" \(did you mean twilio\?\); known: bandwidth, .*; see npm run -s sign -- --help\n$/,
    ],
    [
      'a missing file',
      ['twilio', 'test/fixtures/twilio/no-such-file.txt'],
      /^error: cannot read test\/fixtures\/twilio\/no-such-file\.txt \(ENOENT\); see npm run -s sign -- --help\n$/,
    ],
    ['no file', ['twilio'], /^error: expected <provider> <body file>; see npm run -s sign -- --help\n$/],
    [
      'an unsupported --algorithm',
      ['twilio', '--algorithm', 'HMAC_SHA512', fixturePath('twilio/status-completed.txt')],
      /^error: unsupported --algorithm "HMAC_SHA512" \(HMAC_SHA1 or HMAC_SHA256\); see npm run -s sign -- --help\n$/,
    ],
    [
      '--algorithm for another provider',
      ['plivo', '--algorithm', 'HMAC_SHA256', fixturePath('plivo/hangup.txt')],
      /^error: .*--algorithm.*; see npm run -s sign -- --help\n$/,
    ],
  ] as const)('says what is wrong in one line and exits 2 for %s', async ([, args, message], { expect }) => {
    const failure = await sign(args).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    // For `| sh`: the pipe fails with sign's status instead of running nothing and exiting 0.
    expect(failure?.stdout).toBe('exit 2\n');
    expect(failure?.stderr).toMatch(message);
  });

  it('--help prints the usage on stdout, TELNYX_PRIVATE_SEED_HEX included, exit 0', async ({ expect }) => {
    const { stdout, stderr } = await sign(['--help']);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^usage: npm run -s sign -- <provider> <body file> \| sh\n/);
    expect(stdout).toContain('TELNYX_PRIVATE_SEED_HEX');
  });

  /** `<sign …> | sh` as a shell runs the pipe: the exit status is sh's. */
  const pipeToSh = (args: readonly string[], env: Record<string, string>) =>
    run('sh', ['-c', `"$0" scripts/sign-webhook.ts "$@" | sh`, TSX, ...args], {
      cwd: ROOT,
      env: { ...BARE_ENV, ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('| sh exits non-zero when the stack refuses the request (401) or sign fails', async ({ expect }) => {
    // Act
    const refused = await pipeToSh(['twilio', fixturePath('twilio/status-completed.txt')], {
      PORT: String(stack.port),
      TWILIO_AUTH_TOKEN: 'not-the-stack-token',
    });
    const halfCredentials = await pipeToSh(['bandwidth', fixturePath('bandwidth/hangup.json')], {
      PORT: String(stack.port),
      BANDWIDTH_WEBHOOK_USERNAME: 'me',
    });
    const accepted = await pipeToSh(['twilio', fixturePath('twilio/status-completed.txt')], {
      PORT: String(stack.port),
    });

    // Assess
    expect(refused.code).toBe(22);
    expect(refused.stdout.trim().split('\n').at(-1)).toBe('HTTP 401');
    expect(halfCredentials.code).toBe(1);
    expect(halfCredentials.stdout).toBe('');
    expect(halfCredentials.stderr).toBe(
      'error: BANDWIDTH_WEBHOOK_USERNAME is set but BANDWIDTH_WEBHOOK_PASSWORD is not: set both (or neither, for the dev defaults)\n',
    );
    expect(accepted.code).toBe(0);
    expect(accepted.stdout.trim().split('\n').at(-1)).toBe('HTTP 200');
  });
});

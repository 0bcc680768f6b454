/**
 * `npm start` end to end: real HTTP into startLocalStack (serverless.yml's routes, the real
 * handlers, embedded fauxqs + dynalite on free ports), read back through the `calls` CLI's code,
 * restarts on the same data folder, and the user-facing failures of scripts/start.ts.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { getCall, getRawDeliveries, listCalls } from '../../lib/calls/query';
import { localDynamoClient, startDynamo, startSqs } from '../../lib/local/emulators';
import { stageNames } from '../../lib/local/names';
import { providerRouteDefinitions, routeMatcher } from '../../lib/local/routes';
import { type LocalStack, LocalStackError, startLocalStack } from '../../lib/local/stack';
import { PROVIDERS } from '../../lib/providers/list';
import { normalizers } from '../../lib/providers/registry';
import { buildCallStore } from '../../lib/store';
import { bandwidthHangup, callkaroCallEnded, rawFixture } from '../fixtures';
import { anyReceivedAt, bandwidthSeedRecord, callkaroSeedRecord } from '../support/records';
import { basic } from '../support/requests';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const SECRETS = {
  BANDWIDTH_WEBHOOK_USERNAME: 'bw-user',
  BANDWIDTH_WEBHOOK_PASSWORD: 'bw-pass',
  CALLKARO_WEBHOOK_TOKEN: 'ck token/+',
};
const TABLE = 'call-intake-local-calls';

const tempDir = () => mkdtempSync(join(tmpdir(), 'call-intake-local-'));

const running: LocalStack[] = [];
const logs: string[] = [];
async function start(dataDir: string, env: NodeJS.ProcessEnv = SECRETS, port = 0): Promise<LocalStack> {
  const stack = await startLocalStack({
    port,
    sqsPort: 0,
    dynamoPort: 0,
    dataDir,
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
/** The consumer's log lines for messages it could not process. */
const failures = () => logs.filter((line) => /^consumer: message \S+ failed \(/.test(line));

const receiveAll = async (stack: LocalStack, queueUrl: string) => {
  const { Messages = [] } = await stack.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return Messages.map((m) => m.Body);
};

const canConnect = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

const postBandwidth = (stack: LocalStack, body: string, credentials = 'bw-user:bw-pass') =>
  fetch(`${stack.url}/webhooks/bandwidth`, {
    method: 'POST',
    headers: { authorization: basic(credentials), 'content-type': 'application/json' },
    body,
  });
const postCallkaro = (stack: LocalStack, body: string, token = SECRETS.CALLKARO_WEBHOOK_TOKEN) =>
  fetch(`${stack.url}/webhooks/callkaro/${encodeURIComponent(token)}`, { method: 'POST', body });

const readerOf = (stack: LocalStack) => ({ store: buildCallStore(stack.dynamo, TABLE), normalizers });

// Records the consumer stored say how the call became known (spec §7).
const BANDWIDTH_RECORD = { ...bandwidthSeedRecord(anyReceivedAt()), sources: ['webhook'] };
const CALLKARO_RECORD = { ...callkaroSeedRecord(anyReceivedAt()), sources: ['webhook'] };

const failureOf = (started: Promise<LocalStack>): Promise<Error> =>
  started.then(
    () => {
      throw new Error('expected the stack not to start');
    },
    (error: Error) => error,
  );

async function dynamoPortOf(stack: LocalStack): Promise<number> {
  const endpoint = await stack.dynamo.config.endpoint?.();
  return Number(endpoint?.port);
}

describe('npm start: the local stack', () => {
  it('takes both seed payloads over HTTP and stores them as normalized records the CLI reads', async () => {
    // Prepare
    const stack = await start(tempDir());
    const bandwidthBody = rawFixture('bandwidth', 'hangup');
    const callkaroBody = rawFixture('callkaro', 'call-ended');

    // Act
    const [bandwidth, callkaro] = await Promise.all([
      postBandwidth(stack, bandwidthBody),
      postCallkaro(stack, callkaroBody),
    ]);
    await stack.drain();

    // Assess
    expect(bandwidth.status).toBe(200);
    expect(callkaro.status).toBe(200);
    const bandwidthAck = (await bandwidth.json()) as { id: string };
    expect(bandwidthAck).toEqual({ received: true, id: expect.any(String) });
    expect(await callkaro.json()).toEqual({ received: true, id: expect.any(String) });
    const reader = readerOf(stack);
    expect(await getCall(reader, 'bandwidth', '{callId}')).toEqual(BANDWIDTH_RECORD);
    expect(await getCall(reader, 'callkaro', '2303fa770b666a64ab1694c1e')).toEqual(CALLKARO_RECORD);
    expect(await listCalls(reader, { number: '+918765432109', limit: 100 })).toEqual([CALLKARO_RECORD]);
    expect(await getRawDeliveries(reader, 'bandwidth', '{callId}')).toEqual([
      {
        deliveryId: bandwidthAck.id,
        receivedAt: expect.any(String),
        eventType: 'hangup',
        body: bandwidthBody,
      },
    ]);
  });

  it('answers the calls script, run as npm run calls would, from its DynamoDB port', async () => {
    // Prepare
    const stack = await start(tempDir());
    expect((await postBandwidth(stack, rawFixture('bandwidth', 'hangup'))).status).toBe(200);
    await stack.drain();
    const env: NodeJS.ProcessEnv = { ...process.env, DYNAMODB_PORT: String(await dynamoPortOf(stack)) };
    delete env.AWS_ENDPOINT_URL_DYNAMODB;

    // Act
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'scripts/calls.ts', 'list', '--json', '--number', '+13233326955'],
      { cwd: ROOT, env },
    );

    // Assess
    expect(JSON.parse(stdout)).toEqual([BANDWIDTH_RECORD]);
  });

  it('keeps records, dead letters and unprocessed deliveries on disk across a restart', async () => {
    // Prepare
    const dataDir = tempDir();
    const first = await start(dataDir);
    expect((await postCallkaro(first, rawFixture('callkaro', 'call-ended'))).status).toBe(200);
    await first.drain();
    const { queueUrl, deadLetterQueueUrl } = first.pipeline.queueUrls;
    await first.sqs.send(new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: 'parked' }));
    await first.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not an envelope' }));
    await expect.poll(() => failures().length, { timeout: 10_000 }).toBe(1);

    // Act
    const stopped = Date.now();
    await first.stop();
    const stopMs = Date.now() - stopped;
    const second = await start(dataDir);
    await expect.poll(() => failures().length, { timeout: 10_000 }).toBe(2);

    // Assess
    expect(stopMs).toBeLessThan(3_000);
    expect(existsSync(join(dataDir, 'sqs', 'fauxqs.db'))).toBe(true);
    expect(await getCall(readerOf(second), 'callkaro', '2303fa770b666a64ab1694c1e')).toEqual(CALLKARO_RECORD);
    expect(await receiveAll(second, second.pipeline.queueUrls.deadLetterQueueUrl)).toEqual(['parked']);
    // In flight when the first stack stopped: received again at once, not after 180 s.
    expect(logs).toContain('1 delivery was in flight when the stack last stopped: queued again');
  }, 30_000);

  it('parks a delivery the consumer keeps failing in the DLQ after 5 receives, counted across restarts', async () => {
    // Prepare
    const dataDir = tempDir();
    const first = await start(dataDir);
    await first.sqs.send(
      new SendMessageCommand({ QueueUrl: first.pipeline.queueUrls.queueUrl, MessageBody: 'not an envelope' }),
    );
    let stack = first;

    // Act
    for (let receives = 1; receives <= 5; receives += 1) {
      await expect.poll(() => failures().length, { timeout: 10_000 }).toBe(receives);
      await stack.stop();
      stack = await start(dataDir);
    }
    const { queueUrl, deadLetterQueueUrl } = stack.pipeline.queueUrls;
    await expect
      .poll(() => receiveAll(stack, deadLetterQueueUrl), { timeout: 10_000 })
      .toEqual(['not an envelope']);

    // Assess
    expect(failures()).toHaveLength(5);
    expect(await receiveAll(stack, queueUrl)).toEqual([]);
    // One line for the dead letter, on its fifth failed receive.
    expect(logs.filter((line) => line.includes('dead-lettered'))).toEqual([
      expect.stringMatching(
        /^consumer: message \S+ failed 5 times: dead-lettered to call-intake-local-deliveries-dlq; fix the cause, then npm run -s redrive$/,
      ),
    ]);
  }, 60_000);

  it('queues once what an earlier version saved in pending.json and dlq.json, then removes them', async () => {
    // Prepare
    const dataDir = tempDir();
    const saved = (body: string) =>
      JSON.stringify({ version: 1, queue: 'q', savedAt: '', messages: [{ body, sentTimestamp: 1 }] });
    writeFileSync(join(dataDir, 'pending.json'), saved('undrained'));
    writeFileSync(join(dataDir, 'dlq.json'), saved('parked'));

    // Act
    const stack = await start(dataDir);

    // Assess
    // Not an envelope: the consumer receives it and fails it, so it was queued.
    await expect.poll(() => failures().length, { timeout: 10_000 }).toBe(1);
    expect(await receiveAll(stack, stack.pipeline.queueUrls.deadLetterQueueUrl)).toEqual(['parked']);
    expect(existsSync(join(dataDir, 'pending.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'dlq.json'))).toBe(false);
    expect(logs).toContain(
      `queued 1 dead-letter messages saved by an earlier version in ${join(dataDir, 'dlq.json')} (file removed)`,
    );
  });

  it('carries emoji and characters above U+FFFF byte for byte, as SQS does', async () => {
    // Prepare
    const stack = await start(tempDir());
    const astral = 'Ji 🙏 — 📞 𝄞 𠜎 👩🏽‍💻 done';
    const callkaro = callkaroCallEnded();
    callkaro.data.transcription = astral;
    const callkaroBody = JSON.stringify(callkaro);
    const bandwidth = { ...bandwidthHangup(), callId: 'astral-call', callState: `active ${astral}` };
    const bandwidthBody = JSON.stringify(bandwidth);

    // Act
    const responses = await Promise.all([
      postCallkaro(stack, callkaroBody),
      postBandwidth(stack, bandwidthBody),
    ]);
    await stack.drain();

    // Assess
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    const reader = readerOf(stack);
    const callkaroRecord = await getCall(reader, 'callkaro', '2303fa770b666a64ab1694c1e');
    expect(callkaroRecord?.details.transcription).toBe(astral);
    const [callkaroRaw] = await getRawDeliveries(reader, 'callkaro', '2303fa770b666a64ab1694c1e');
    expect(Buffer.from(callkaroRaw?.body ?? '')).toEqual(Buffer.from(callkaroBody));
    expect((await getCall(reader, 'bandwidth', 'astral-call'))?.details.callState).toBe(`active ${astral}`);
    const [bandwidthRaw] = await getRawDeliveries(reader, 'bandwidth', 'astral-call');
    expect(Buffer.from(bandwidthRaw?.body ?? '')).toEqual(Buffer.from(bandwidthBody));
  });

  it('answers 400 to a JSON body with an invalid UTF-8 byte, whatever its Content-Type, and stores nothing', async () => {
    // Prepare
    const stack = await start(tempDir());
    const body = Buffer.concat([
      Buffer.from('{"event":"call_ended","data":{"callSid":"bad-byte","transcription":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}}'),
    ]);

    // Act
    const response = await fetch(
      `${stack.url}/webhooks/callkaro/${encodeURIComponent(SECRETS.CALLKARO_WEBHOOK_TOKEN)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
      },
    );
    await stack.drain();

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'body is not valid UTF-8' });
    const reader = readerOf(stack);
    expect(await getCall(reader, 'callkaro', 'bad-byte')).toBeNull();
    expect(await getRawDeliveries(reader, 'callkaro', 'bad-byte')).toEqual([]);
  });

  it('listens on 127.0.0.1 only: HTTP, SQS and DynamoDB ports are closed on every other address', async () => {
    // Prepare
    const stack = await start(tempDir());
    const ports = {
      http: stack.port,
      sqs: Number((await stack.sqs.config.endpoint?.())?.port),
      dynamodb: await dynamoPortOf(stack),
    };
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && !address.address.startsWith('fe80:'))
      .map((address) => address?.address as string);

    // Act
    const reachable: string[] = [];
    for (const [name, port] of Object.entries(ports)) {
      if (await canConnect('127.0.0.1', port)) reachable.push(`${name} 127.0.0.1`);
      for (const host of others) if (await canConnect(host, port)) reachable.push(`${name} ${host}`);
    }

    // Assess
    expect(reachable).toEqual(['http 127.0.0.1', 'sqs 127.0.0.1', 'dynamodb 127.0.0.1']);
    if (others.length === 0) {
      // No other address to try from: read the bound addresses instead (Linux).
      const listening = readFileSync('/proc/net/tcp', 'utf8');
      for (const port of Object.values(ports)) {
        const hex = port.toString(16).toUpperCase().padStart(4, '0');
        expect(listening).toMatch(new RegExp(`0100007F:${hex} 00000000:0000 0A`));
        expect(listening).not.toMatch(new RegExp(`00000000:${hex} 00000000:0000 0A`));
      }
    }
  });

  it('uses the SQS and DynamoDB that AWS_ENDPOINT_URL_* name, creating its queues and table there', async () => {
    // Prepare
    const [sqs, dynamo] = await Promise.all([startSqs(), startDynamo()]);
    const dataDir = tempDir();
    try {
      const stack = await start(dataDir, {
        ...SECRETS,
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      });

      // Act
      expect((await postCallkaro(stack, rawFixture('callkaro', 'call-ended'))).status).toBe(200);
      await stack.drain();
      await stack.stop();

      // Assess
      const client = localDynamoClient(dynamo.endpoint);
      const reader = { store: buildCallStore(client, TABLE), normalizers };
      expect(await getCall(reader, 'callkaro', '2303fa770b666a64ab1694c1e')).toEqual(CALLKARO_RECORD);
      expect(stack.pipeline.queueUrls.queueUrl).toContain(String(sqs.port));
      expect(logs).toContain(`DynamoDB  ${dynamo.endpoint} (AWS_ENDPOINT_URL_DYNAMODB), table ${TABLE}`);
      expect(existsSync(join(dataDir, 'dynamodb'))).toBe(false);
      client.destroy();
    } finally {
      await Promise.all([sqs.stop(), dynamo.stop()]);
    }
  });

  it('prints the URLs to register, a curl line per provider and the ready line last', async () => {
    // Act
    const stack = await start(tempDir(), {});
    const defaults = [...logs];
    logs.length = 0;
    const custom = await start(tempDir());

    // Assess: URL lines are padded to the longest provider name, so runs of spaces are squeezed.
    const squeezed = (lines: readonly string[]) => lines.map((line) => line.replace(/ {2,}/g, ' '));
    const variables = PROVIDERS.flatMap((provider) => provider.localEnv).join(', ');
    expect(defaults).toContain(`dev default secrets in use; set ${variables} to choose your own`);
    expect(squeezed(defaults)).toContain(
      ` bandwidth POST http://bandwidth:dev-password@127.0.0.1:${stack.port}/webhooks/bandwidth`,
    );
    expect(squeezed(defaults)).toContain(` callkaro POST ${stack.url}/webhooks/callkaro/dev-token`);
    expect(defaults.join('\n')).toContain(
      `curl -sS -H 'content-type: application/json' --data-binary @test/fixtures/callkaro/call-ended.json '${stack.url}/webhooks/callkaro/dev-token'`,
    );
    // Signing providers: where the secret comes from, its dev value, and a line that signs a sample.
    expect(squeezed(defaults)).toContain(
      ` twilio POST ${stack.url}/webhooks/twilio (signed with TWILIO_AUTH_TOKEN: dev-twilio-auth-token)`,
    );
    expect(defaults.join('\n')).toContain(
      `  PORT=${stack.port} npm run -s sign -- twilio test/fixtures/twilio/status-completed.txt | sh`,
    );
    expect(defaults.at(-1)).toBe(`ready: call intake listening on ${stack.url}`);
    // Secrets the user chose are not printed.
    expect(squeezed(logs)).toContain(
      ` bandwidth POST http://bw-user:***@127.0.0.1:${custom.port}/webhooks/bandwidth`,
    );
    expect(squeezed(logs)).toContain(` callkaro POST ${custom.url}/webhooks/callkaro/***`);
    expect(logs.join('\n')).not.toContain('bw-pass');
  });

  it('authenticates like the deployed API: 401 for wrong credentials, decoded path tokens accepted', async () => {
    // Prepare
    const stack = await start(tempDir());
    const body = rawFixture('callkaro', 'call-ended');

    // Act
    const wrongBasic = await postBandwidth(stack, rawFixture('bandwidth', 'hangup'), 'bw-user:wrong');
    const noBasic = await fetch(`${stack.url}/webhooks/bandwidth`, { method: 'POST', body: '{}' });
    const wrongToken = await postCallkaro(stack, body, 'ck-wrong');
    const encodedToken = await fetch(`${stack.url}/webhooks/callkaro/ck%20token%2F%2B`, {
      method: 'POST',
      body,
    });

    // Assess
    expect(wrongBasic.status).toBe(401);
    expect(wrongBasic.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await wrongBasic.json()).toEqual({ error: 'missing or invalid credentials' });
    expect(noBasic.status).toBe(401);
    expect(wrongToken.status).toBe(401);
    expect(encodedToken.status).toBe(200);
    expect(logs.join('\n')).not.toContain('ck-wrong');
  });

  it('answers 404 for unknown routes, 405 for a wrong method, 413 past 6 MiB', async () => {
    // Prepare
    const stack = await start(tempDir());

    // Act
    const unknown = await fetch(`${stack.url}/webhooks/no-such-provider`, { method: 'POST', body: '{}' });
    const noToken = await fetch(`${stack.url}/webhooks/callkaro`, { method: 'POST', body: '{}' });
    const get = await fetch(`${stack.url}/webhooks/bandwidth`);
    const huge = await postBandwidth(stack, 'x'.repeat(6 * 1024 * 1024 + 1)).catch((error: Error) => error);

    // Assess
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ message: 'Not Found' });
    expect(noToken.status).toBe(404);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(huge).toBeInstanceOf(Response);
    expect((huge as Response).status).toBe(413);
  });
});

describe('npm start: problems the user can fix', () => {
  let blocker: Server | undefined;
  afterEach(() => {
    blocker?.close();
  });
  const occupyPort = async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', resolve));
    return (blocker.address() as { port: number }).port;
  };

  it('says which port is in use, and frees everything it had started', async () => {
    // Prepare
    const dataDir = tempDir();
    const port = await occupyPort();

    // Act
    const failure = await failureOf(start(dataDir, SECRETS, port));
    const retry = await start(dataDir);

    // Assess
    expect(failure).toBeInstanceOf(LocalStackError);
    expect(failure.message).toBe(
      `port ${port} is in use (another npm start?): stop what uses it or set PORT=<free port>`,
    );
    expect(retry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('names AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS when the service they point to is not there', async () => {
    // Prepare
    const closed = await occupyPort();
    blocker?.close();
    const nowhere = `http://127.0.0.1:${closed}`;

    // Act
    const dynamo = await failureOf(start(tempDir(), { ...SECRETS, AWS_ENDPOINT_URL_DYNAMODB: nowhere }));
    const sqs = await failureOf(start(tempDir(), { ...SECRETS, AWS_ENDPOINT_URL_SQS: nowhere }));

    // Assess
    expect(dynamo).toBeInstanceOf(LocalStackError);
    expect(dynamo.message).toBe(
      `cannot use DynamoDB at ${nowhere} (AWS_ENDPOINT_URL_DYNAMODB): connect ECONNREFUSED 127.0.0.1:${closed}; start it there, or unset AWS_ENDPOINT_URL_DYNAMODB to use the embedded one`,
    );
    expect(sqs.message).toBe(
      `cannot use SQS at ${nowhere} (AWS_ENDPOINT_URL_SQS): connect ECONNREFUSED 127.0.0.1:${closed}; start it there, or unset AWS_ENDPOINT_URL_SQS to use the embedded one`,
    );
  }, 30_000);

  it('refuses a data folder another stack is using, or one it cannot open', async () => {
    // Prepare
    const dataDir = tempDir();
    await start(dataDir);
    const notAFolder = join(tempDir(), 'file');
    writeFileSync(notAFolder, '');
    const broken = tempDir();
    writeFileSync(join(broken, 'dynamodb'), 'not leveldb');
    const brokenQueue = tempDir();
    mkdirSync(join(brokenQueue, 'sqs'));
    writeFileSync(join(brokenQueue, 'sqs', 'fauxqs.db'), 'not sqlite'.repeat(100));

    // Act
    const locked = await failureOf(start(dataDir));
    const file = await failureOf(start(notAFolder));
    const unreadable = await failureOf(start(broken));
    const unreadableQueue = await failureOf(start(brokenQueue));

    // Assess
    expect(locked).toBeInstanceOf(LocalStackError);
    expect(locked.message).toMatch(
      /dynamodb is in use by another process \(another npm start\?\): stop it first$/,
    );
    expect(file).toBeInstanceOf(LocalStackError);
    expect(file.message).toMatch(/^cannot use .*file for local data \(.*\): fix or remove it$/);
    expect(unreadable).toBeInstanceOf(LocalStackError);
    expect(unreadable.message).toMatch(
      /^cannot open .*dynamodb \(.*\): fix it or delete it \(its calls are lost\)$/,
    );
    expect(unreadableQueue).toBeInstanceOf(LocalStackError);
    expect(unreadableQueue.message).toMatch(
      /^cannot open .*sqs\/fauxqs\.db \(.*\): fix it or delete it \(its queued deliveries are lost\)$/,
    );
  });

  const startScript = (cwd: string, env: NodeJS.ProcessEnv): ChildProcess =>
    spawn(process.execPath, ['--import', TSX_LOADER, join(ROOT, 'scripts/start.ts')], {
      cwd,
      env: { ...process.env, SQS_PORT: '0', DYNAMODB_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const collect = (child: ChildProcess) => {
    const output = { stdout: '', stderr: '' };
    child.stdout?.on('data', (chunk) => {
      output.stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output.stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { output, exited };
  };

  it('scripts/start.ts exits 1 with one line when the port is taken', async () => {
    // Prepare
    const port = await occupyPort();

    // Act
    const { output, exited } = collect(startScript(tempDir(), { PORT: String(port) }));
    const code = await exited;

    // Assess
    expect(code).toBe(1);
    expect(output.stderr.trim().split('\n').at(-1)).toBe(
      `error: port ${port} is in use (another npm start?): stop what uses it or set PORT=<free port>`,
    );
    expect(output.stderr).not.toMatch(/\n\s+at /);
  });

  it('scripts/start.ts stops cleanly on SIGTERM with exit status 0, data kept under .local', async () => {
    // Prepare
    const cwd = tempDir();
    const child = startScript(cwd, { PORT: '0' });
    const { output, exited } = collect(child);
    await expect.poll(() => output.stdout, { timeout: 15_000, interval: 100 }).toMatch(/ready: call intake/);

    // Act
    child.kill('SIGTERM');
    const code = await exited;

    // Assess
    expect(code).toBe(0);
    expect(output.stdout).toMatch(/^SIGTERM: stopping…$/m);
    expect(output.stdout.trim().split('\n').at(-1)).toBe('stopped');
    expect(existsSync(join(cwd, '.local', 'dynamodb'))).toBe(true);
  }, 25_000);
});

describe('routes from the provider list', () => {
  const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');

  it('include the two webhook routes of the spec, with their handler modules', () => {
    // Act
    const routes = providerRouteDefinitions();

    // Assess
    expect(routes.slice(0, 2)).toEqual([
      {
        method: 'POST',
        path: '/webhooks/bandwidth',
        functionName: 'bandwidthWebhook',
        module: 'functions/bandwidth-webhook',
      },
      {
        method: 'POST',
        path: '/webhooks/callkaro/{token}',
        functionName: 'callkaroWebhook',
        module: 'functions/callkaro-webhook',
      },
    ]);
  });

  it('match paths as API Gateway does: one segment per parameter, decoded', () => {
    // Prepare
    const matcher = routeMatcher(providerRouteDefinitions());

    // Act & Assess
    expect(matcher.match('POST', '/webhooks/callkaro/a%2Fb%20c')).toEqual({
      route: expect.objectContaining({ path: '/webhooks/callkaro/{token}' }),
      pathParameters: { token: 'a/b c' },
    });
    expect(matcher.match('POST', '/webhooks/bandwidth')).toEqual({
      route: expect.objectContaining({ path: '/webhooks/bandwidth' }),
      pathParameters: undefined,
    });
    expect(matcher.match('POST', '/webhooks/callkaro/a/b')).toBeNull();
    expect(matcher.match('POST', '/webhooks/bandwidth/')).toBeNull();
    expect(matcher.match('PUT', '/webhooks/bandwidth')).toBe('method-not-allowed');
  });

  it('use the names serverless.yml gives the table and queues', () => {
    // Act
    const names = stageNames('dev');

    // Assess
    expect(yml).toMatch(/^service: call-intake$/m);
    expect(yml).toMatch(/tableName: \$\{self:service\}-\$\{sls:stage\}-calls$/m);
    expect(yml).toMatch(/queueName: \$\{self:service\}-\$\{sls:stage\}-deliveries$/m);
    expect(yml).toMatch(/dlqName: \$\{self:service\}-\$\{sls:stage\}-deliveries-dlq$/m);
    expect(names).toEqual({
      table: 'call-intake-dev-calls',
      queue: 'call-intake-dev-deliveries',
      deadLetterQueue: 'call-intake-dev-deliveries-dlq',
    });
  });
});

/**
 * Hostile values through the real handlers on the emulator stack (issue 10): identifiers that are
 * not well-formed Unicode are refused before anything is queued; every accepted identifier —
 * control characters, astral characters, 200 of them — round-trips exactly into the table and
 * `calls --json`; no text output (calls list/get/raw, the local stack's log, replay, redrive) lets
 * a provider value write a raw control character or a line of its own; durations that are not a
 * usable number derive nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCalls } from '../../lib/calls/run';
import { encodeEnvelope } from '../../lib/envelope';
import type { QueuePoller } from '../../lib/local/poller';
import { startLocalStack } from '../../lib/local/stack';
import { redriveCommand, replayCommand } from '../../lib/ops/commands';
import { callkaroCallEnded } from '../fixtures';
import { receiveAny, scanAll } from '../support/faults';
import { runOpsCommand } from '../support/ops';
import { bandwidthRequest, basic, callkaroRequest, jsonBody } from '../support/requests';
import { startTestStack, type TestStack } from '../support/stack';

/** What a terminal must never receive from a provider value: C0 (but the line feeds we print), DEL, C1, line/paragraph separators, bidi controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

const FAKE_READY = 'x\nready: call intake listening on http://evil.example';
const TITLE = '\u001b]0;pwned\u0007';
const MIXED = 'c1\u009b31m|rlo\u202egnp.exe|ls\u2028ps\u2029|del\u007f|tab\t|cr\r|fsi\u2068|end';
/** 200 characters, every C0 control (NUL included): 6 bytes each once JSON-escaped. */
const CONTROL_200 = Array.from({ length: 200 }, (_, i) => String.fromCharCode(i % 32)).join('');
const ASTRAL_200 = '\u{1F4DE}'.repeat(100);
const HOSTILE_IDS = [FAKE_READY, TITLE, MIXED, CONTROL_200, ASTRAL_200];

/** JSON with everything outside ASCII escaped: valid JSON any SQS (and SQS emulator) carries as is. */
const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

const hangup = (callId: string, extra: Record<string, unknown> = {}) => ({
  eventType: 'hangup',
  callId,
  cause: 'NORMAL_CLEARING',
  time: '2024-03-01T10:00:00Z',
  from: '+13233326955',
  to: '+13233326956',
  ...extra,
});
const callEnded = (data: Record<string, unknown>) => {
  const body = callkaroCallEnded();
  return { ...body, data: { ...body.data, ...data } };
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
});

let poller: QueuePoller | undefined;
/** Sends each request in turn, then waits until the consumer processed them (one poller, started on first use). */
async function deliverAll(requests: (() => Promise<{ statusCode?: number; body?: string }>)[]) {
  poller ??= await stack.startPoller();
  const responses = [];
  for (const send of requests) responses.push(await send());
  await poller.drain();
  return responses;
}

const calls = async (...argv: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const env = { DYNAMODB_PORT: String(stack.dynamoEmulator.port) };
  const code = await runCalls([...argv, '--table', stack.tableName], {
    env,
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, out: out.join(''), err: err.join('') };
};

describe('identifiers that are not well-formed Unicode', () => {
  // JSON escapes of lone surrogates are valid UTF-8 and valid JSON: only the decoded value is broken.
  const cases = [
    {
      name: 'Bandwidth callId with a lone high surrogate',
      send: () =>
        stack.bandwidth(
          bandwidthRequest('{"eventType":"hangup","callId":"bw-lone\\ud800","cause":"USER_BUSY"}'),
        ),
    },
    {
      name: 'Bandwidth callId with a lone low surrogate',
      send: () =>
        stack.bandwidth(
          bandwidthRequest('{"eventType":"hangup","callId":"bw-lone\\udfff","cause":"CALL_REJECTED"}'),
        ),
    },
    {
      name: 'Bandwidth callId with a reversed pair',
      send: () => stack.bandwidth(bandwidthRequest('{"eventType":"hangup","callId":"bw-\\udc00\\ud83d"}')),
    },
    {
      name: 'Bandwidth eventType with a lone surrogate',
      send: () => stack.bandwidth(bandwidthRequest('{"eventType":"hang\\ud800","callId":"bw-ok"}')),
    },
    {
      name: 'CallKaro callSid with a lone surrogate',
      send: () => stack.callkaro(callkaroRequest('{"event":"call_ended","data":{"callSid":"ck-\\udbff"}}')),
    },
    {
      name: 'CallKaro event with a lone surrogate',
      send: () => stack.callkaro(callkaroRequest('{"event":"call_\\udc01","data":{"callSid":"ck-ok"}}')),
    },
    {
      name: 'CallKaro unknown event whose callSid has a lone surrogate',
      send: () => stack.callkaro(callkaroRequest('{"event":"call_queued","data":{"callSid":"q-\\ud801"}}')),
    },
  ];

  it.each(cases)('$name → 400, one line, nothing queued or stored', async ({ send }) => {
    // Act
    const response = await send();

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body).not.toMatch(/[\r\n]/);
    expect(jsonBody(response).error).toMatch(/is not well-formed Unicode/);
    expect((await receiveAny(stack.sqs, stack.queueUrls.queueUrl)).length).toBe(0);
    expect((await scanAll(stack.dynamo, stack.tableName)).length).toBe(0);
  });

  it('never lets two calls that differ only in a lone surrogate share a record', async () => {
    // Act
    const [busy, rejected] = await deliverAll([
      () =>
        stack.bandwidth(
          bandwidthRequest('{"eventType":"hangup","callId":"bw-lone\\ud800","cause":"USER_BUSY"}'),
        ),
      () =>
        stack.bandwidth(
          bandwidthRequest('{"eventType":"hangup","callId":"bw-lone\\udfff","cause":"CALL_REJECTED"}'),
        ),
    ]);

    // Assess
    expect([busy?.statusCode, rejected?.statusCode]).toEqual([400, 400]);
    expect(await stack.store.getRecord('bandwidth', 'bw-lone\ufffd')).toBeNull();
  });
});

describe('identifier limits, in characters', () => {
  it.each([
    { name: '200 control characters as a Bandwidth callId', callId: CONTROL_200 },
    { name: '150 × U+0001 as a Bandwidth callId', callId: '\u0001'.repeat(150) },
    { name: '100 astral characters (200 UTF-16 units) as a Bandwidth callId', callId: ASTRAL_200 },
  ])('$name → 200, and `calls get --json` returns it exactly', async ({ callId }) => {
    // Act
    const [response] = await deliverAll([() => stack.bandwidth(bandwidthRequest(asciiJson(hangup(callId))))]);
    const got = await calls('get', 'bandwidth', callId, '--json');

    // Assess
    expect(response?.statusCode).toBe(200);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out).callId === callId).toBe(true);
  });

  it('accepts a CallKaro callSid of 200 control characters', async () => {
    // Act
    const [response] = await deliverAll([
      () => stack.callkaro(callkaroRequest(callEnded({ callSid: CONTROL_200 }))),
    ]);

    // Assess
    expect(response?.statusCode).toBe(200);
    expect((await stack.store.getRecord('callkaro', CONTROL_200))?.record.callId === CONTROL_200).toBe(true);
  });

  it('keeps an event type of 64 control characters exactly, and refuses 65 characters', async () => {
    // Prepare
    const eventType = '\u0002'.repeat(64);

    // Act
    const [kept, tooLong] = await deliverAll([
      () => stack.bandwidth(bandwidthRequest({ eventType, callId: 'evt-64' })),
      () => stack.bandwidth(bandwidthRequest({ eventType: `${eventType}x`, callId: 'evt-65' })),
    ]);

    // Assess
    expect(kept?.statusCode).toBe(200);
    const [delivery] = await stack.store.loadDeliveries('bandwidth', 'evt-64');
    expect(delivery?.eventType === eventType).toBe(true);
    expect(tooLong?.statusCode).toBe(400);
    expect(jsonBody(tooLong as { body?: string }).error).toBe('eventType is longer than 64 characters');
    expect(await stack.store.loadDeliveries('bandwidth', 'evt-65')).toEqual([]);
  });
});

describe('text output never carries a provider control character', () => {
  beforeAll(async () => {
    await deliverAll([
      ...HOSTILE_IDS.map(
        (callId) => () => stack.bandwidth(bandwidthRequest(hangup(callId, { callState: TITLE }))),
      ),
      () =>
        stack.callkaro(
          callkaroRequest(callEnded({ callSid: TITLE, hangup_reason: MIXED, agent: FAKE_READY })),
        ),
    ]);
  });

  it('calls list: one line per call, control characters escaped', async () => {
    // Act
    const { code, out } = await calls('list', '--since', new Date(Date.now() - 86_400_000).toISOString());

    // Assess
    expect(code).toBe(0);
    expect(out).not.toMatch(RAW_CONTROL);
    const lines = out.trimEnd().split('\n');
    const count = Number(/^(\d+) calls?, newest arrival first$/.exec(lines.at(-1) ?? '')?.[1]);
    expect(lines.length).toBe(count + 2);
    expect(lines.filter((line) => line.startsWith('ready:'))).toEqual([]);
    expect(out).toContain('\\u001b]0;pwned\\u0007');
  });

  it.each(HOSTILE_IDS.map((callId) => ({ callId, shown: JSON.stringify(callId).slice(0, 24) })))(
    'calls get/raw of $shown: escaped text, exact --json',
    async ({ callId }) => {
      // Act
      const text = await calls('get', 'bandwidth', callId);
      const raw = await calls('raw', 'bandwidth', callId);
      const json = await calls('get', 'bandwidth', callId, '--json');
      const rawJson = await calls('raw', 'bandwidth', callId, '--json');

      // Assess
      for (const output of [text, raw, json, rawJson]) expect(output.code).toBe(0);
      expect(text.out).not.toMatch(RAW_CONTROL);
      expect(raw.out).not.toMatch(RAW_CONTROL);
      expect(`${text.out}${raw.out}`.split('\n').some((line) => line.startsWith('ready:'))).toBe(false);
      expect(JSON.parse(json.out).callId === callId).toBe(true);
      expect(JSON.parse(JSON.parse(rawJson.out)[0].body).callId === callId).toBe(true);
    },
  );

  it('calls get of a CallKaro record with hostile details and hangup cause', async () => {
    // Act
    const text = await calls('get', 'callkaro', TITLE);
    const json = await calls('get', 'callkaro', TITLE, '--json');

    // Assess
    expect(text.out).not.toMatch(RAW_CONTROL);
    expect(text.out.split('\n').some((line) => line.startsWith('ready:'))).toBe(false);
    expect(JSON.parse(json.out).hangupCause === MIXED).toBe(true);
    expect(JSON.parse(json.out).details.agentId === FAKE_READY).toBe(true);
  });

  it('replay --dry-run prints calls and field changes escaped', async () => {
    // Prepare: deliveries with no record yet, so a dry run lists every field it would create.
    for (const [i, callId] of [FAKE_READY, TITLE, MIXED].entries()) {
      await stack.store.putDelivery({
        deliveryId: `replay-${i}`,
        provider: 'bandwidth',
        receivedAt: '2024-03-01T10:00:01.000Z',
        requestId: '',
        eventType: 'hangup',
        callId: `${callId}-replay`,
        body: JSON.stringify(hangup(`${callId}-replay`, { callState: MIXED })),
      });
    }
    const callArgs = [FAKE_READY, TITLE, MIXED].flatMap((id) => ['--call', `bandwidth:${id}-replay`]);

    // Act
    const result = await runOps(replayCommand, [...callArgs, '--table', stack.tableName, '--dry-run']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/would be created/);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stdout.split('\n').some((line) => line.startsWith('ready:'))).toBe(false);
  });

  it('redrive prints no provider value, hostile dead letters included', async () => {
    // Prepare
    const message = encodeEnvelope({
      deliveryId: 'dead-1',
      provider: 'bandwidth',
      receivedAt: '2024-03-01T10:00:01.000Z',
      requestId: '',
      eventType: FAKE_READY,
      callId: TITLE,
      body: JSON.stringify(hangup(TITLE)),
    });
    await stack.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queueUrls.deadLetterQueueUrl, MessageBody: message }),
    );
    const queueName = (url: string) => url.slice(url.lastIndexOf('/') + 1);
    const queues = [
      '--queue',
      queueName(stack.queueUrls.queueUrl),
      '--dlq',
      queueName(stack.queueUrls.deadLetterQueueUrl),
    ];

    // Act
    const dryRun = await runOps(redriveCommand, [...queues, '--dry-run']);
    const moved = await runOps(redriveCommand, queues);

    // Assess
    expect(moved.stdout).toMatch(/^moved 1 message/);
    for (const output of [dryRun, moved]) {
      expect(output.stdout).not.toMatch(RAW_CONTROL);
      expect(output.stderr).not.toMatch(RAW_CONTROL);
    }
  });
});

const runOps = (command: typeof replayCommand, args: string[]) => runOpsCommand(command, stack, args);

describe("the local stack's log lines", () => {
  it('show hostile call ids and event types escaped: no fake ready line, no raw control character', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'call-intake-hostile-'));
    const logs: string[] = [];
    const local = await startLocalStack({
      port: 0,
      sqsPort: 0,
      dynamoPort: 0,
      dataDir,
      env: { BANDWIDTH_WEBHOOK_USERNAME: 'u', BANDWIDTH_WEBHOOK_PASSWORD: 'p', CALLKARO_WEBHOOK_TOKEN: 't' },
      log: (line) => logs.push(line),
    });
    const post = (body: unknown) =>
      fetch(`${local.url}/webhooks/bandwidth`, {
        method: 'POST',
        headers: { authorization: basic('u:p'), 'content-type': 'application/json' },
        body: asciiJson(body),
      });

    try {
      // Act
      const statuses = [];
      for (const callId of HOSTILE_IDS) statuses.push((await post(hangup(callId))).status);
      statuses.push((await post({ eventType: FAKE_READY, callId: TITLE })).status);
      statuses.push((await post({ eventType: TITLE, callId: FAKE_READY })).status);
      await local.drain();

      // Assess
      expect(statuses.every((status) => status === 200)).toBe(true);
      const lines = logs.flatMap((entry) => entry.split('\n'));
      expect(lines.filter((line) => line.startsWith('ready:'))).toHaveLength(1);
      for (const line of lines) expect(line).not.toMatch(RAW_CONTROL);
      expect(lines.some((line) => line.includes('\\u001b]0;pwned\\u0007'))).toBe(true);
    } finally {
      await local.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('durations that are not a usable number', () => {
  const durations: { name: string; value: unknown }[] = [
    { name: '1e308', value: 1e308 },
    { name: 'a negative number', value: -5 },
    { name: '"NaN"', value: 'NaN' },
    { name: '"Infinity"', value: 'Infinity' },
    { name: '"1e308"', value: '1e308' },
    { name: 'a word', value: 'two minutes' },
    { name: 'beyond Date (1e16 s)', value: 1e16 },
    { name: 'more than the 7-day sanity bound', value: 7 * 86_400 + 1 },
    { name: 'an object', value: { seconds: 120 } },
  ];

  it.each(durations)(
    'CallKaro call_duration $name → durationSeconds and endedAt null',
    async ({ name, value }) => {
      // Prepare
      const callSid = `duration-${name}`;

      // Act
      const [response] = await deliverAll([
        () => stack.callkaro(callkaroRequest(callEnded({ callSid, call_duration: value }))),
      ]);
      const record = (await stack.store.getRecord('callkaro', callSid))?.record;

      // Assess
      expect(response?.statusCode).toBe(200);
      expect(record?.startedAt).not.toBeNull();
      expect(record?.durationSeconds).toBeNull();
      expect(record?.endedAt).toBeNull();
    },
  );

  it('still derives endedAt from a plausible duration', async () => {
    // Act
    await deliverAll([
      () => stack.callkaro(callkaroRequest(callEnded({ callSid: 'duration-ok', call_duration: '90' }))),
    ]);
    const record = (await stack.store.getRecord('callkaro', 'duration-ok'))?.record;

    // Assess
    expect(record?.durationSeconds).toBe(90);
    expect(Date.parse(record?.endedAt ?? '') - Date.parse(record?.startedAt ?? '')).toBe(90_000);
  });

  it('gives a Bandwidth call answered in year 1 and hung up in 9999 no duration', async () => {
    // Act
    await deliverAll([
      () =>
        stack.bandwidth(
          bandwidthRequest({ eventType: 'answer', callId: 'bw-eons', time: '0001-01-01T00:00:00Z' }),
        ),
      () => stack.bandwidth(bandwidthRequest(hangup('bw-eons', { time: '9999-12-31T23:59:59Z' }))),
    ]);
    const record = (await stack.store.getRecord('bandwidth', 'bw-eons'))?.record;

    // Assess
    expect(record?.endedAt).toBe('9999-12-31T23:59:59.000Z');
    expect(record?.durationSeconds).toBeNull();
  });
});

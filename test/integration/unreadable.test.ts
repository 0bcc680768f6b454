/**
 * Issue 18, item 5, against the emulators with the real CLI code: `calls … --json` escapes every
 * character a terminal acts on (JSON escaping leaves C1, U+2028/2029 and bidi controls raw); one
 * unreadable record does not break a whole `calls list`; a delivery with a missing part is named in
 * one line by `calls raw` and `replay`, never a TypeError.
 */
import { randomBytes } from 'node:crypto';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCalls } from '../../lib/calls/run';
import { replayCommand } from '../../lib/ops/commands';
import type { CallRecord } from '../../lib/record';
import { recordToItem } from '../../lib/table';
import { callkaroCallEnded } from '../fixtures';
import { delivery } from '../support/deliveries';
import { scanAll } from '../support/faults';
import { runOpsCommand } from '../support/ops';
import { startTestStack, type TestStack } from '../support/stack';

/** What a terminal acts on: C0 (but line feeds), DEL, C1, U+2028/2029 and the bidi controls. */
const RAW_CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const HOSTILE =
  'csi\u009b31m|nel\u0085|ls\u2028ps\u2029|rlo\u202e|lri\u2066|pdi\u2069|lrm\u200e|alm\u061c|end';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack.stop();
});

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

const record = (callId: string, changes: Partial<CallRecord> = {}): CallRecord => ({
  provider: 'callkaro',
  callId,
  from: '+15550100',
  to: '+15550101',
  direction: 'outbound',
  startedAt: null,
  answeredAt: null,
  endedAt: null,
  durationSeconds: null,
  outcome: 'completed',
  answered: true,
  hangupCause: 'completed',
  receivedAt: new Date().toISOString(),
  details: {},
  ...changes,
});

describe('calls --json', () => {
  it('escapes C1, U+2028/2029 and bidi controls as \\u escapes in get, raw and list, and parses back exactly', async () => {
    // Prepare
    const callId = 'json-controls';
    await stack.store.putRecord(record(callId, { hangupCause: HOSTILE, details: { note: HOSTILE } }), 0);
    await stack.store.putDelivery(delivery({ note: HOSTILE }, { callId, deliveryId: 'json-controls-1' }));

    // Act
    const outputs = [
      await calls('get', 'callkaro', callId, '--json'),
      await calls('raw', 'callkaro', callId, '--json'),
      await calls('list', '--json'),
    ];

    // Assess
    for (const { code, out } of outputs) {
      expect(code).toBe(0);
      expect(out).not.toMatch(RAW_CONTROL);
      expect(out).toContain('\\u009b');
      expect(out).toContain('\\u2028');
    }
    const [get, raw, list] = outputs.map(({ out }) => JSON.parse(out));
    expect(get.hangupCause).toBe(HOSTILE);
    expect(get.details.note).toBe(HOSTILE);
    expect(JSON.parse(raw[0].body).note).toBe(HOSTILE);
    expect(list.find((r: CallRecord) => r.callId === callId)?.hangupCause).toBe(HOSTILE);
  });
});

describe('an unreadable item', () => {
  it('calls list skips a record with corrupt compressed details, warns in one line on stderr, and exits 0', async () => {
    // Prepare: two readable records around one whose detailsBrotli is garbage.
    const at = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    await stack.store.putRecord(record('readable-1', { receivedAt: at(30) }), 0);
    await stack.store.putRecord(record('readable-2', { receivedAt: at(10) }), 0);
    const broken = recordToItem(record('corrupt-details', { receivedAt: at(20) }), 1);
    broken.detailsBrotli = { B: randomBytes(64) };
    await stack.dynamo.send(new PutItemCommand({ TableName: stack.tableName, Item: broken }));

    // Act
    const text = await calls('list');
    const json = await calls('list', '--json');

    // Assess
    for (const { code, err } of [text, json]) {
      expect(code).toBe(0);
      expect(err.trimEnd().split('\n')).toEqual([expect.stringContaining('CALL#callkaro#corrupt-details')]);
      expect(err).toMatch(/^warning: /);
    }
    expect(text.out).toContain('readable-1');
    expect(text.out).toContain('readable-2');
    expect(text.out).not.toContain('corrupt-details');
    const ids = JSON.parse(json.out).map((r: CallRecord) => r.callId);
    expect(ids).toEqual(expect.arrayContaining(['readable-1', 'readable-2']));
    expect(ids).not.toContain('corrupt-details');
  });

  it('calls raw and replay name a delivery with a missing part in one line, never a TypeError', async () => {
    // Prepare: a large incompressible body stored in parts, then one part lost.
    const callId = 'missing-part';
    const body = callkaroCallEnded();
    body.data.callSid = callId;
    body.data.transcription = randomBytes(600_000).toString('base64');
    await stack.store.putDeliveries([{ delivery: delivery(body, { callId, deliveryId: 'parted-1' }) }]);
    const part = (await scanAll(stack.dynamo, stack.tableName)).find((i) =>
      i.sk?.S?.startsWith('PART#parted-1#'),
    );
    if (!part?.pk || !part.sk) throw new Error('the body was not stored in parts');
    await stack.dynamo.send(
      new DeleteItemCommand({ TableName: stack.tableName, Key: { pk: part.pk, sk: part.sk } }),
    );

    // Act
    const raw = await calls('raw', 'callkaro', callId);
    const replay = await runOpsCommand(replayCommand, stack, [
      '--call',
      `callkaro:${callId}`,
      '--table',
      stack.tableName,
    ]);

    // Assess
    expect(raw.code).toBe(1);
    expect(raw.err.trimEnd().split('\n')).toHaveLength(1);
    expect(raw.err).toContain('parted-1');
    expect(raw.err).toMatch(/part/);
    const replayText = `${replay.stdout}${replay.stderr}`;
    expect(replayText.split('\n').filter((line) => line.includes('parted-1'))).toHaveLength(1);
    expect(replayText).toContain('parted-1');
    expect(`${raw.err}${replayText}`).not.toMatch(/TypeError|ERR_INVALID_ARG_TYPE|at .*\.ts:\d+/);
  });
});

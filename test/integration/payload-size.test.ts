/**
 * Nothing accepted is lost because of its size: bodies up to the documented limit travel ingress →
 * SQS → consumer → DynamoDB, the raw body comes back byte for byte from store.loadDeliveries (what
 * `calls raw` prints), and a record too large for one item still exists, its full details rebuilt
 * from the deliveries.
 */
import { randomBytes } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../lib/envelope';
import type { QueuePoller } from '../../lib/local/poller';
import { normalizers } from '../../lib/providers/registry';
import type { Item } from '../../lib/table';
import { callkaroCallEnded } from '../fixtures';
import { receiveAny, scanAll } from '../support/faults';
import { bandwidthRequest, callkaroRequest, jsonBody } from '../support/requests';
import { startTestStack, type TestStack } from '../support/stack';

/** DynamoDB's documented item size limit. */
const ITEM_LIMIT = 400 * 1024;

/** DynamoDB's item size: attribute names plus values (binary by length, the rest as JSON text). */
const itemBytes = (item: Item) =>
  Object.entries(item).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + (value.B ? value.B.length : Buffer.byteLength(JSON.stringify(value))),
    0,
  );

/** A call_ended whose transcription is `fill` repeated, plus ASCII dots up to exactly `bytes`. */
function callEndedOfSize(callSid: string, fill: string, bytes: number) {
  const body = callkaroCallEnded();
  const shell = Buffer.byteLength(
    JSON.stringify({ ...body, data: { ...body.data, callSid, transcription: '' } }),
  );
  let transcription = fill.repeat(Math.floor((bytes - shell) / Buffer.byteLength(fill)));
  transcription += '.'.repeat(bytes - shell - Buffer.byteLength(transcription));
  const raw = JSON.stringify({ ...body, data: { ...body.data, callSid, transcription } });
  if (Buffer.byteLength(raw) !== bytes) throw new Error('size arithmetic is off');
  return { raw, transcription };
}

const HINDI = 'नमस्ते, मैं कॉलकारो से बोल रही हूँ। क्या आपके पास दो मिनट हैं? हमारी नई योजना के बारे में बताना चाहती हूँ। ';

let stack: TestStack;
let poller: QueuePoller;
beforeAll(async () => {
  stack = await startTestStack();
  poller = await stack.startPoller();
});
afterAll(async () => {
  await stack.stop();
});

describe('bodies near the size limit, end to end', () => {
  it.each([
    {
      name: 'a compressible ~1 MB Hindi transcription, exactly MAX_BODY_BYTES',
      ...callEndedOfSize('hindi-1mb', HINDI, MAX_BODY_BYTES),
      callId: 'hindi-1mb',
      // Compressed, the transcript fits the record item: kept whole (detailsBrotli).
      fitsCompressed: true,
    },
    {
      name: 'an incompressible ~1,000,000-byte random base64 transcription',
      ...(() => {
        const transcription = randomBytes(750_000).toString('base64');
        const body = callkaroCallEnded();
        const raw = JSON.stringify({ ...body, data: { ...body.data, callSid: 'random-1mb', transcription } });
        return { raw, transcription };
      })(),
      callId: 'random-1mb',
      fitsCompressed: false,
    },
  ])('keeps $name', async ({ raw, transcription, callId, fitsCompressed }) => {
    // Prepare
    expect(Buffer.byteLength(raw)).toBeGreaterThan(1_000_000);
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MAX_BODY_BYTES);

    // Act
    const response = await stack.callkaro(callkaroRequest(raw));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    const deliveries = await stack.store.loadDeliveries('callkaro', callId);
    expect(deliveries.map((d) => d.deliveryId)).toEqual([jsonBody(response).id]);
    // Booleans and lengths, not the strings: a failure must not print a megabyte of transcript.
    expect(Buffer.from(deliveries[0]?.body ?? '').equals(Buffer.from(raw))).toBe(true);

    const stored = await stack.store.getRecord('callkaro', callId);
    expect(stored?.record).toMatchObject({ callId, outcome: 'completed', durationSeconds: 120 });
    expect(stored?.detailsTruncated).toBe(!fitsCompressed);
    expect(stored?.record.details.transcription === transcription).toBe(fitsCompressed);
    expect(stored?.record.details.agentId).toBe('6803fa770b666a64ab1694c1e');

    const rebuilt = normalizers.callkaro?.toCallRecord(deliveries);
    const full = rebuilt?.details.transcription as string | undefined;
    expect(full?.length).toBe(transcription.length);
    expect(full === transcription).toBe(true);

    const items = (await scanAll(stack.dynamo, stack.tableName)).filter(
      (i) => i.pk?.S === `CALL#callkaro#${callId}`,
    );
    for (const item of items) expect(itemBytes(item)).toBeLessThan(ITEM_LIMIT);
    expect((await receiveAny(stack.sqs, stack.queueUrls.deadLetterQueueUrl)).length).toBe(0);
  });

  it('keeps an incompressible Bandwidth body of ~1,000,000 bytes in parts, each under the item limit', async () => {
    // Prepare
    const raw = JSON.stringify({
      eventType: 'hangup',
      callId: 'bw-random',
      cause: 'NORMAL_CLEARING',
      time: '2024-03-01T10:00:00Z',
      recordingBlob: randomBytes(750_000).toString('base64'),
    });

    // Act
    const response = await stack.bandwidth(bandwidthRequest(raw));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    const deliveries = await stack.store.loadDeliveries('bandwidth', 'bw-random');
    expect(deliveries).toHaveLength(1);
    expect(Buffer.from(deliveries[0]?.body ?? '').equals(Buffer.from(raw))).toBe(true);
    const items = (await scanAll(stack.dynamo, stack.tableName)).filter(
      (i) => i.pk?.S === 'CALL#bandwidth#bw-random',
    );
    expect(items.filter((i) => i.sk?.S?.startsWith('PART#')).length).toBeGreaterThanOrEqual(2);
    for (const item of items) expect(itemBytes(item)).toBeLessThan(ITEM_LIMIT);
    expect(await stack.store.getRecord('bandwidth', 'bw-random')).toMatchObject({ detailsTruncated: false });
  });

  it('keeps a record when the provider strings outside details are huge too', async () => {
    // Prepare
    const body = callkaroCallEnded();
    const raw = JSON.stringify({
      ...body,
      data: {
        ...body.data,
        callSid: 'huge-strings',
        from: '9'.repeat(300_000),
        hangup_reason: 'X'.repeat(300_000),
        transcription: HINDI.repeat(1_000),
      },
    });

    // Act
    const response = await stack.callkaro(callkaroRequest(raw));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    const stored = await stack.store.getRecord('callkaro', 'huge-strings');
    expect(stored?.detailsTruncated).toBe(true);
    const deliveries = await stack.store.loadDeliveries('callkaro', 'huge-strings');
    expect(deliveries[0]?.body === raw).toBe(true);
    expect(normalizers.callkaro?.toCallRecord(deliveries)?.hangupCause.length).toBe(300_000);
  });
});

describe('details that are small as JSON text but large as a DynamoDB item', () => {
  it.each([
    ['170,000 small numbers', () => Array.from({ length: 170_000 }, () => 1)],
    ['110,000 empty maps', () => Array.from({ length: 110_000 }, () => ({}))],
  ])('keeps a record whose call_metadata holds %s', async (_name, metadata) => {
    // Prepare
    const callSid = `dense-${_name.split(' ')[0]}`;
    const body = callkaroCallEnded();
    const raw = JSON.stringify({ ...body, data: { ...body.data, callSid, call_metadata: metadata() } });
    expect(Buffer.byteLength(raw)).toBeLessThan(MAX_BODY_BYTES);

    // Act
    const response = await stack.callkaro(callkaroRequest(raw));
    await poller.drain();

    // Assess
    expect(response.statusCode).toBe(200);
    const stored = await stack.store.getRecord('callkaro', callSid);
    expect(stored?.record).toMatchObject({ callId: callSid, outcome: 'completed' });
    const items = (await scanAll(stack.dynamo, stack.tableName)).filter(
      (i) => i.pk?.S === `CALL#callkaro#${callSid}`,
    );
    for (const item of items) expect(itemBytes(item)).toBeLessThan(ITEM_LIMIT);
    const deliveries = await stack.store.loadDeliveries('callkaro', callSid);
    expect(deliveries[0]?.body === raw).toBe(true);
  });
});

describe('the emulator', () => {
  it('enforces the 400 KB item limit, as DynamoDB does', async () => {
    // Prepare
    const item = (bytes: number): Item => ({
      pk: { S: 'LIMIT' },
      sk: { S: String(bytes) },
      blob: { B: new Uint8Array(bytes) },
    });
    const overhead = itemBytes(item(0));

    // Act
    const fits = await stack.dynamo
      .send(new PutItemCommand({ TableName: stack.tableName, Item: item(ITEM_LIMIT - overhead - 16) }))
      .then(() => 'stored');
    const tooBig = await stack.dynamo
      .send(new PutItemCommand({ TableName: stack.tableName, Item: item(ITEM_LIMIT + 1) }))
      .then(
        () => 'stored',
        (error: Error) => error.message,
      );

    // Assess
    expect(fits).toBe('stored');
    expect(tooBig).toMatch(/Item size has exceeded the maximum allowed size/);
  });
});

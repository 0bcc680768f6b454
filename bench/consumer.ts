/**
 * Consumer overhead: our consumer handler (SQS batch event → envelope → raw delivery stored →
 * record rebuilt under a version check) against a bare baseline that PutItems the same items —
 * each call's raw delivery item(s) and its record item, built beforehand by the same table code —
 * into the same table with the same client. Same batch size, same number of batches in flight,
 * distinct calls, variants alternated.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { type Delivery, encodeEnvelope } from '../lib/envelope';
import { LOCAL_ACCOUNT_ARN_PREFIX, toSqsRecord } from '../lib/local/sqs-event';
import type { LocalStack } from '../lib/local/stack';
import { normalizers } from '../lib/providers/registry';
import { deliveryToItems, type Item, recordToItem } from '../lib/table';
import { attachCapacityMeter } from './capacity';
import { bandwidthHangup, callkaroCallEnded, median, newCallId, round } from './support';

function deliveryOf(i: number, tag: string): Delivery {
  const callId = newCallId(`consumer-${tag}`);
  const bandwidth = i % 2 === 0;
  return {
    deliveryId: newCallId('delivery'),
    provider: bandwidth ? 'bandwidth' : 'callkaro',
    receivedAt: new Date().toISOString(),
    requestId: newCallId('request'),
    eventType: bandwidth ? 'hangup' : 'call_ended',
    callId,
    body: bandwidth ? bandwidthHangup(callId) : callkaroCallEnded(callId),
  };
}

const sqsRecord = (delivery: Delivery, i: number): SQSRecord =>
  toSqsRecord(
    { MessageId: `${delivery.deliveryId}-${i}`, ReceiptHandle: 'bench', Body: encodeEnvelope(delivery) },
    `${LOCAL_ACCOUNT_ARN_PREFIX}bench`,
  );

/** The items our consumer ends up writing for one delivery of a new call: raw delivery (+ parts), record. */
function itemsOf(delivery: Delivery): Item[] {
  const normalizer = normalizers[delivery.provider];
  const record = normalizer?.toCallRecord([delivery]);
  if (!record) throw new Error(`no record for ${delivery.provider}`);
  return [...deliveryToItems(delivery), recordToItem(record, 1)];
}

/** Runs `work` over `batches` with at most `concurrency` in flight. */
async function inFlight<T>(batches: T[], concurrency: number, work: (batch: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) await work(batches[next++] as T);
    }),
  );
}

export interface ConsumerResult {
  messagesPerRun: number;
  batchSize: number;
  batchesInFlight: number;
  repeats: number;
  oursRecordsPerSecond: number;
  baselineRecordsPerSecond: number;
  throughputRatio: number;
  /** DynamoDB requests per message, counted: ours (writes and the reads of the rebuild) vs the baseline's PutItems. */
  requestsPerMessage: { ours: number; baseline: number };
}

export async function benchConsumer({
  stack,
  messagesPerRun = 400,
  batchSize = 10,
  batchesInFlight = 4,
  repeats = 3,
  log = () => {},
}: {
  stack: LocalStack;
  messagesPerRun?: number;
  batchSize?: number;
  batchesInFlight?: number;
  repeats?: number;
  log?: (line: string) => void;
}): Promise<ConsumerResult> {
  const tableName = stack.pipeline.tableName;
  const chunk = <T>(items: T[]) =>
    Array.from({ length: Math.ceil(items.length / batchSize) }, (_, i) =>
      items.slice(i * batchSize, (i + 1) * batchSize),
    );

  const runOurs = async (count: number, tag: string) => {
    const events: SQSEvent[] = chunk(Array.from({ length: count }, (_, i) => deliveryOf(i, tag))).map(
      (batch) => ({
        Records: batch.map(sqsRecord),
      }),
    );
    const started = performance.now();
    let failures = 0;
    await inFlight(events, batchesInFlight, async (event) => {
      failures += (await stack.pipeline.consumer(event)).batchItemFailures.length;
    });
    const elapsed = performance.now() - started;
    if (failures > 0) throw new Error(`consumer failed ${failures} of ${count} messages`);
    return (count / elapsed) * 1000;
  };

  const runBaseline = async (count: number, tag: string) => {
    const batches = chunk(Array.from({ length: count }, (_, i) => itemsOf(deliveryOf(i, tag))));
    const started = performance.now();
    await inFlight(batches, batchesInFlight, async (batch) => {
      await Promise.all(
        batch.map(async (items) => {
          for (const item of items)
            await stack.dynamo.send(new PutItemCommand({ TableName: tableName, Item: item }));
        }),
      );
    });
    return (count / (performance.now() - started)) * 1000;
  };

  // Warm-up: both paths, untimed, with their DynamoDB requests counted.
  const warmCount = batchSize * batchesInFlight * 2;
  const meter = attachCapacityMeter(stack.dynamo);
  const requestsPerMessage = { ours: 0, baseline: 0 };
  const countRequests = () => Object.values(meter.totals().requests).reduce((a, b) => a + b, 0) / warmCount;
  try {
    await runOurs(warmCount, 'warm');
    requestsPerMessage.ours = countRequests();
    meter.reset();
    await runBaseline(warmCount, 'warm');
    requestsPerMessage.baseline = countRequests();
  } finally {
    meter.detach();
  }
  const ours: number[] = [];
  const base: number[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    if (rep % 2 === 0) {
      ours.push(await runOurs(messagesPerRun, `o${rep}`));
      base.push(await runBaseline(messagesPerRun, `b${rep}`));
    } else {
      base.push(await runBaseline(messagesPerRun, `b${rep}`));
      ours.push(await runOurs(messagesPerRun, `o${rep}`));
    }
    log(`consumer: repeat ${rep + 1}/${repeats}`);
  }
  return {
    messagesPerRun,
    batchSize,
    batchesInFlight,
    repeats,
    oursRecordsPerSecond: round(median(ours), 1),
    baselineRecordsPerSecond: round(median(base), 1),
    throughputRatio: round(median(ours.map((o, i) => o / (base[i] ?? Number.NaN))), 3),
    requestsPerMessage,
  };
}

/**
 * Consumer overhead: our consumer handler (SQS batch event → envelopes → raw deliveries stored →
 * each call's record rebuilt once) against a bare baseline that PutItems the same items —
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
import { bandwidthAnswer, bandwidthHangup, callkaroCallEnded, median, newCallId, round } from './support';

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
  /** Lowest and highest ours ÷ baseline over the repeats (each pair measured back to back). */
  throughputRatioSpread: [number, number];
  /** DynamoDB requests per message, counted: ours (writes and the reads of the rebuild) vs the baseline's PutItems. */
  requestsPerMessage: { ours: number; baseline: number };
  /**
   * Time per event of one call with `manyEvents` answer events ÷ time per event of as many calls
   * with one answer event each (same batches, same concurrency): 1 is linear in a call's events.
   */
  manyEventsRatio: number;
  manyEventsRatioSpread: [number, number];
  manyEvents: number;
}

export async function benchConsumer({
  stack,
  messagesPerRun = 400,
  batchSize = 10,
  batchesInFlight = 4,
  repeats = 3,
  manyEvents = 600,
  log = () => {},
}: {
  stack: LocalStack;
  manyEvents?: number;
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

  /** Seconds per event: `manyEvents` answer events of one call, or of as many calls. */
  const runEvents = async (oneCall: boolean, tag: string) => {
    const shared = newCallId(`many-${tag}`);
    const deliveries = Array.from({ length: manyEvents }, (_, i): Delivery => {
      const callId = oneCall ? shared : newCallId(`many-${tag}`);
      const time = new Date(Date.UTC(2026, 0, 1, 10, 0, i % 60, i)).toISOString();
      return {
        deliveryId: newCallId('delivery'),
        provider: 'bandwidth',
        receivedAt: new Date().toISOString(),
        requestId: newCallId('request'),
        eventType: 'answer',
        callId,
        body: bandwidthAnswer(callId, time),
      };
    });
    const events: SQSEvent[] = chunk(deliveries).map((batch) => ({ Records: batch.map(sqsRecord) }));
    const started = performance.now();
    let failures = 0;
    await inFlight(events, batchesInFlight, async (event) => {
      failures += (await stack.pipeline.consumer(event)).batchItemFailures.length;
    });
    if (failures > 0) throw new Error(`consumer failed ${failures} of ${manyEvents} events`);
    return (performance.now() - started) / 1000 / manyEvents;
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
  const many: number[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    const [first, second] = rep % 2 === 0 ? [true, false] : [false, true];
    const a = await runEvents(first, `m${rep}a`);
    const b = await runEvents(second, `m${rep}b`);
    many.push(first ? a / b : b / a);
    log(`consumer: ${manyEvents} events of one call vs ${manyEvents} calls, repeat ${rep + 1}/${repeats}`);
  }
  const ratios = ours.map((o, i) => o / (base[i] ?? Number.NaN));
  const spread = (values: number[]): [number, number] => [
    round(Math.min(...values), 3),
    round(Math.max(...values), 3),
  ];
  return {
    messagesPerRun,
    batchSize,
    batchesInFlight,
    repeats,
    oursRecordsPerSecond: round(median(ours), 1),
    baselineRecordsPerSecond: round(median(base), 1),
    throughputRatio: round(median(ratios), 3),
    throughputRatioSpread: spread(ratios),
    requestsPerMessage: {
      ours: round(requestsPerMessage.ours, 3),
      baseline: round(requestsPerMessage.baseline, 3),
    },
    manyEventsRatio: round(median(many), 3),
    manyEventsRatioSpread: spread(many),
    manyEvents,
  };
}

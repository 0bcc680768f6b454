/**
 * Cost model: USD per million calls on AWS list prices (bench/prices.ts), from figures measured
 * here — request and queue-message sizes from the real ingress, DynamoDB items, index entries and
 * reads metered on the real consumer's requests, handler times of the real handlers (against the
 * local emulators), memory from serverless.yml and log bytes from the production bundles.
 */

import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { localDynamoClient, localSqsClient, startDynamo, startSqs } from '../lib/local/emulators';
import { createLocalPipeline } from '../lib/local/pipeline';
import { LOCAL_ACCOUNT_ARN_PREFIX, toSqsRecord } from '../lib/local/sqs-event';
import { bandwidthIngress } from '../lib/providers/bandwidth/ingress';
import { callkaroIngress } from '../lib/providers/callkaro/ingress';
import type { ProviderIngress } from '../lib/providers/types';
import { functionInfos, readServerlessConfig } from './bundles';
import { attachCapacityMeter, type CapacityTotals } from './capacity';
import { prices } from './prices';
import {
  BENCH_SECRETS,
  bandwidthAnswer,
  bandwidthEvent,
  bandwidthHangup,
  callkaroCallEnded,
  callkaroEvent,
  median,
  newCallId,
  round,
} from './support';

export const TRANSCRIPT_50K = 50 * 1024;

interface Delivery {
  provider: ProviderIngress;
  body: string;
}

interface Scenario {
  name: string;
  description: string;
  /** The webhook deliveries of one call. */
  deliveries: (callId: string) => Delivery[];
}

const bandwidthSeed = (callId: string) => [{ provider: bandwidthIngress, body: bandwidthHangup(callId) }];
const callkaroSeed = (callId: string, transcriptBytes?: number) => [
  { provider: callkaroIngress, body: callkaroCallEnded(callId, transcriptBytes) },
];

/** The headline scenarios are one delivery per call; the `*AsDelivered` ones add the providers' duplicates. */
export const SCENARIOS: Scenario[] = [
  { name: 'bandwidth', description: 'Bandwidth seed hangup', deliveries: bandwidthSeed },
  { name: 'callkaro', description: 'CallKaro seed call_ended', deliveries: (id) => callkaroSeed(id) },
  {
    name: 'callkaro50k',
    description: 'CallKaro call_ended, 50 KB transcript',
    deliveries: (id) => callkaroSeed(id, TRANSCRIPT_50K),
  },
  {
    name: 'bandwidthAsDelivered',
    description: 'Bandwidth answer + hangup',
    deliveries: (id) => [{ provider: bandwidthIngress, body: bandwidthAnswer(id) }, ...bandwidthSeed(id)],
  },
  {
    name: 'callkaroAsDelivered',
    description: 'CallKaro seed, sent twice (account + agent webhook)',
    deliveries: (id) => [...callkaroSeed(id), ...callkaroSeed(id)],
  },
  {
    name: 'callkaro50kAsDelivered',
    description: 'CallKaro 50 KB transcript, sent twice',
    deliveries: (id) => [...callkaroSeed(id, TRANSCRIPT_50K), ...callkaroSeed(id, TRANSCRIPT_50K)],
  },
];

export interface ScenarioMeasurement {
  calls: number;
  deliveriesPerCall: number;
  /** Request body bytes of each delivery of a call. */
  bodyBytes: number[];
  /** Queue message bytes (envelope) of each delivery of a call. */
  messageBytes: number[];
  /** Median warm webhook handler time per delivery, against fauxqs. */
  webhookMs: number;
  /** Median consumer time for a batch of `batchSize` messages, against dynalite. */
  consumerBatchMs: number;
  batchSize: number;
  dynamo: CapacityTotals;
}

export interface CostInputs {
  scenarios: Record<string, ScenarioMeasurement>;
}

const CALLS_PER_SCENARIO = 60;
const WARMUP_CALLS = 10;

/** Runs every scenario through the real handlers on fresh emulators and meters what they do. */
export async function measureCostInputs({
  log = () => {},
}: {
  log?: (line: string) => void;
} = {}): Promise<CostInputs> {
  const config = readServerlessConfig();
  const batchSize = ((config.functions.consumer?.events?.[0] as { sqs?: { batchSize?: number } } | undefined)
    ?.sqs?.batchSize ?? 10) as number;
  const [sqsEmulator, dynamoEmulator] = await Promise.all([startSqs(), startDynamo()]);
  const sqs = localSqsClient(sqsEmulator.endpoint);
  const dynamo = localDynamoClient(dynamoEmulator.endpoint);
  let sentBytes: number[] = [];
  const pipeline = await createLocalPipeline({
    sqs,
    dynamo,
    tableName: 'calls-cost',
    queueNames: { queue: 'cost', deadLetterQueue: 'cost-dlq' },
    ingressDeps: (deps) => ({
      ...deps,
      enqueue: async (message) => {
        await deps.enqueue(message);
        sentBytes.push(Buffer.byteLength(message));
      },
    }),
  });
  const handlers = new Map([
    [
      bandwidthIngress,
      pipeline.webhookHandler(bandwidthIngress, [
        `${BENCH_SECRETS.bandwidthUser}:${BENCH_SECRETS.bandwidthPassword}`,
      ]),
    ],
    [callkaroIngress, pipeline.webhookHandler(callkaroIngress, [BENCH_SECRETS.callkaroToken])],
  ]);
  const meter = attachCapacityMeter(dynamo);

  const consumeAll = async (): Promise<number[]> => {
    const batchMs: number[] = [];
    for (let guard = 0; guard < 1_000; guard++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.queueUrls.queueUrl,
          MaxNumberOfMessages: batchSize,
          WaitTimeSeconds: 0,
        }),
      );
      if (Messages.length === 0) break;
      const event: SQSEvent = {
        Records: Messages.map((m) => toSqsRecord(m, `${LOCAL_ACCOUNT_ARN_PREFIX}cost`)),
      };
      const started = performance.now();
      const response = await pipeline.consumer(event);
      if (Messages.length === batchSize) batchMs.push(performance.now() - started);
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const done = Messages.filter((m) => !failed.has(m.MessageId ?? ''));
      if (done.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: pipeline.queueUrls.queueUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
      }
    }
    return batchMs;
  };

  const scenarios: Record<string, ScenarioMeasurement> = {};
  try {
    for (const scenario of SCENARIOS) {
      const send = async (callId: string) => {
        const times: number[] = [];
        for (const delivery of scenario.deliveries(callId)) {
          const handler = handlers.get(delivery.provider);
          if (!handler) throw new Error(`no handler for ${delivery.provider.name}`);
          const event =
            delivery.provider === bandwidthIngress
              ? bandwidthEvent(delivery.body)
              : callkaroEvent(delivery.body);
          const started = performance.now();
          const response = await handler(event);
          times.push(performance.now() - started);
          if (response.statusCode !== 200)
            throw new Error(`${scenario.name}: webhook answered ${response.statusCode}`);
        }
        return times;
      };
      // Warm-up calls go through the consumer too, unmetered, so the timed ones find warm paths.
      for (let i = 0; i < WARMUP_CALLS; i++) await send(newCallId(`warm-${scenario.name}`));
      await consumeAll();
      meter.reset();
      sentBytes = [];
      const webhookMs: number[] = [];
      for (let i = 0; i < CALLS_PER_SCENARIO; i++) webhookMs.push(...(await send(newCallId(scenario.name))));
      const messageBytes = sentBytes.slice(0, scenario.deliveries('x').length);
      const batchMs = await consumeAll();
      const sample = scenario.deliveries(newCallId('size'));
      scenarios[scenario.name] = {
        calls: CALLS_PER_SCENARIO,
        deliveriesPerCall: sample.length,
        bodyBytes: sample.map((d) => Buffer.byteLength(d.body)),
        messageBytes,
        webhookMs: round(median(webhookMs), 3),
        consumerBatchMs: round(median(batchMs), 2),
        batchSize,
        dynamo: meter.totals(),
      };
      log(`cost: measured ${scenario.name}`);
    }
  } finally {
    meter.detach();
    sqs.destroy();
    dynamo.destroy();
    await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop()]);
  }
  return { scenarios };
}

export interface CostLine {
  item: string;
  usdPerMillionCalls: number;
  basis: string;
}

export interface ScenarioCost {
  description: string;
  usdPerMillionCalls: number;
  lines: CostLine[];
  /** DynamoDB storage a million calls add per month (not in the total: it recurs while kept). */
  storageUsdPerMonthPerMillionCalls: number;
  bytesStoredPerCall: number;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const GB = 2 ** 30;

/** Prices one scenario's measurements. `logBytes` are measured per invocation of the production bundles. */
export function priceScenario(
  name: string,
  m: ScenarioMeasurement,
  logBytes: { webhookPerDelivery: number; consumerPerMessage: number } | undefined,
): ScenarioCost {
  const memory = Object.fromEntries(functionInfos().map((fn) => [fn.name, fn.memoryMb / 1024]));
  const webhookGb = memory.bandwidthWebhook ?? 0.5;
  const consumerGb = memory.consumer ?? 1;
  const d = m.deliveriesPerCall;
  const perMillion = 1e6;
  const billedSeconds = (ms: number) =>
    (Math.ceil(ms / prices.lambda.billingGranularityMs) * prices.lambda.billingGranularityMs) / 1000;
  const { dynamodb, sqs, lambda, apiGatewayHttpApi, cloudwatchLogs } = prices;
  const apiRequests = sum(
    m.bodyBytes.map((b) => Math.max(1, Math.ceil(b / apiGatewayHttpApi.requestIncrementBytes))),
  );
  const sendChunks = sum(m.messageBytes.map((b) => Math.ceil(b / sqs.chunkBytes)));
  const receiveChunks = sum(
    m.messageBytes.map((b) => Math.ceil((b * m.batchSize) / sqs.chunkBytes) / m.batchSize),
  );
  const deleteRequests = d / m.batchSize;
  const wru = (m.dynamo.tableWriteUnits + m.dynamo.indexWriteUnits) / m.calls;
  const rru = m.dynamo.readUnits / m.calls;
  const webhookSeconds = billedSeconds(m.webhookMs);
  const consumerSecondsPerMessage = billedSeconds(m.consumerBatchMs) / m.batchSize;
  const failed = m.dynamo.failedConditionalWrites / m.calls;
  const average = (values: number[] = []) => (values.length ? Math.round(sum(values) / values.length) : 0);
  const itemSizes = Object.entries(m.dynamo.itemBytes)
    .map(([kind, sizes]) => `${kind} ${average(sizes)} B`)
    .join(', ');
  const requestsPerCall = Object.entries(m.dynamo.requests)
    .filter(([name]) => name !== 'PutItem' && name !== 'BatchWriteItem')
    .map(([name, n]) => `${name} ${round(n / m.calls, 2)}`)
    .join(' + ');
  const indexWritesPerCall = Object.fromEntries(
    Object.entries(m.dynamo.indexWrites).map(([index, n]) => [index, round(n / m.calls, 2)]),
  );
  const lines: CostLine[] = [
    {
      item: 'API Gateway HTTP API',
      usdPerMillionCalls: apiRequests * apiGatewayHttpApi.usdPerMillionRequests,
      basis: `${apiRequests} request(s) of ${m.bodyBytes.join(' + ')} B (512 KB units)`,
    },
    {
      item: 'Lambda webhook requests',
      usdPerMillionCalls: d * lambda.usdPerMillionRequests,
      basis: `${d} invocation(s)`,
    },
    {
      item: 'Lambda webhook duration',
      usdPerMillionCalls: d * webhookGb * webhookSeconds * lambda.usdPerGbSecond * perMillion,
      basis: `${d} × ${webhookGb * 1024} MB × ${m.webhookMs} ms (billed ${webhookSeconds * 1000} ms)`,
    },
    {
      item: 'SQS requests',
      usdPerMillionCalls: (sendChunks + receiveChunks + deleteRequests) * sqs.usdPerMillionRequests,
      basis: `send ${sendChunks} + receive ${round(receiveChunks, 2)} + delete ${round(deleteRequests, 2)} (64 KB chunks of ${m.messageBytes.join(' + ')} B, batches of ${m.batchSize})`,
    },
    {
      item: 'Lambda consumer requests',
      usdPerMillionCalls: (d / m.batchSize) * lambda.usdPerMillionRequests,
      basis: `${d} message(s) in batches of ${m.batchSize}`,
    },
    {
      item: 'Lambda consumer duration',
      usdPerMillionCalls: d * consumerGb * consumerSecondsPerMessage * lambda.usdPerGbSecond * perMillion,
      basis: `${d} × ${consumerGb * 1024} MB × ${m.consumerBatchMs} ms per batch of ${m.batchSize}`,
    },
    {
      item: 'DynamoDB writes',
      usdPerMillionCalls: wru * dynamodb.usdPerMillionWriteRequestUnits,
      basis:
        `${round(wru, 2)} WRU: table ${round(m.dynamo.tableWriteUnits / m.calls, 2)} + indexes ` +
        `${round(m.dynamo.indexWriteUnits / m.calls, 2)} ${JSON.stringify(indexWritesPerCall)}; items ${itemSizes}` +
        (failed > 0 ? `; ${round(failed, 2)} failed conditional record write(s), billed` : ''),
    },
    {
      item: 'DynamoDB reads',
      usdPerMillionCalls: rru * dynamodb.usdPerMillionReadRequestUnits,
      basis: `${round(rru, 2)} RRU: ${requestsPerCall} per call, strongly consistent`,
    },
  ];
  if (logBytes) {
    const bytes = d * (logBytes.webhookPerDelivery + logBytes.consumerPerMessage);
    lines.push({
      item: 'CloudWatch Logs ingestion',
      usdPerMillionCalls: (bytes / GB) * cloudwatchLogs.usdPerGbIngested * perMillion,
      basis: `${bytes} B of application logs at the prod log level, measured (platform START/END/REPORT lines not counted)`,
    });
  }
  const recordBytes = sum(m.dynamo.itemBytes.RECORD ?? []);
  const records = (m.dynamo.itemBytes.RECORD ?? []).length;
  const lastRecordBytes = records > 0 ? recordBytes / records : 0;
  const deliveryBytes = sum(m.dynamo.itemBytes.DELIVERY ?? []) + sum(m.dynamo.itemBytes.PART ?? []);
  // Records may be written more than once per call; storage keeps one record per call.
  const bytesStoredPerCall =
    lastRecordBytes + deliveryBytes / m.calls + m.dynamo.indexEntryBytes / m.calls + 100 * (1 + d);
  return {
    description: SCENARIOS.find((s) => s.name === name)?.description ?? name,
    usdPerMillionCalls: round(sum(lines.map((l) => l.usdPerMillionCalls)), 3),
    lines: lines.map((l) => ({ ...l, usdPerMillionCalls: round(l.usdPerMillionCalls, 4) })),
    storageUsdPerMonthPerMillionCalls: round(
      ((bytesStoredPerCall * perMillion) / GB) * dynamodb.usdPerGbMonth,
      3,
    ),
    bytesStoredPerCall: Math.round(bytesStoredPerCall),
  };
}

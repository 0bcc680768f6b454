/**
 * What the re-split guard (issue 18: one signature vouches for one body) costs per million calls,
 * measured: the same signed Twilio status callbacks through the real ingress and the real consumer
 * on the emulators, once with the envelope's signature digest (the guard's conditional PutItem of a
 * SIG# item) and once without it, DynamoDB metered by bench/capacity.ts and priced by
 * bench/prices.ts. The consumer's extra time is the median per-batch difference in the same run.
 *
 *   node --import tsx bench/signature-guard.ts [calls]
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { decodeEnvelope, encodeEnvelope } from '../lib/envelope';
import { toHttpApiEvent } from '../lib/local/api-gateway';
import { localDynamoClient, localSqsClient, startDynamo, startSqs } from '../lib/local/emulators';
import { createLocalPipeline } from '../lib/local/pipeline';
import { LOCAL_ACCOUNT_ARN_PREFIX, toSqsRecord } from '../lib/local/sqs-event';
import { twilioIngress, twilioSignature } from '../lib/providers/twilio/ingress';
import { functionInfos } from './bundles';
import { attachCapacityMeter } from './capacity';
import { prices } from './prices';
import { median, round } from './support';

const CALLS = Number(process.argv[2] ?? 300);
const BATCH = 10;
const TOKEN = 'bench-twilio-token';
const BASE = 'https://calls.example.com';

const callbackBody = (i: number) =>
  new URLSearchParams({
    AccountSid: `AC${'0'.repeat(32)}`,
    CallSid: `CA${i.toString(16).padStart(32, '0')}`,
    CallStatus: 'completed',
    CallDuration: '37',
    Direction: 'outbound-api',
    From: '+14158675309',
    To: '+18005551212',
    Timestamp: 'Mon, 16 Aug 2010 03:45:01 +0000',
  }).toString();

async function run(guard: boolean) {
  const [sqsEmulator, dynamoEmulator] = await Promise.all([startSqs(), startDynamo()]);
  const sqs = localSqsClient(sqsEmulator.endpoint);
  const dynamo = localDynamoClient(dynamoEmulator.endpoint);
  try {
    const pipeline = await createLocalPipeline({
      sqs,
      dynamo,
      tableName: 'guard-bench',
      queueNames: { queue: 'guard-bench', deadLetterQueue: 'guard-bench-dlq' },
    });
    const webhook = pipeline.webhookHandler(twilioIngress, [TOKEN], { publicBaseUrl: () => BASE });
    for (let i = 0; i < CALLS; i++) {
      const body = callbackBody(i);
      const signature = twilioSignature(TOKEN, `${BASE}/webhooks/twilio`, [...new URLSearchParams(body)]);
      const event = toHttpApiEvent({
        method: 'POST',
        path: '/webhooks/twilio',
        route: '/webhooks/twilio',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: Buffer.from(body),
      });
      const response = await webhook(event);
      if (response.statusCode !== 200) throw new Error(`ingress answered ${response.statusCode}`);
    }
    const messages: string[] = [];
    while (messages.length < CALLS) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: pipeline.queueUrls.queueUrl, MaxNumberOfMessages: 10 }),
      );
      messages.push(...Messages.map((m) => m.Body ?? ''));
    }
    const bodies = messages.map((message) => {
      if (guard) return message;
      const { signature: _signature, ...delivery } = decodeEnvelope(message);
      return encodeEnvelope(delivery);
    });
    const meter = attachCapacityMeter(dynamo);
    const times: number[] = [];
    for (let i = 0; i < bodies.length; i += BATCH) {
      const Records = bodies
        .slice(i, i + BATCH)
        .map((Body, j) =>
          toSqsRecord(
            { MessageId: `m-${i + j}`, ReceiptHandle: `r-${i + j}`, Body },
            `${LOCAL_ACCOUNT_ARN_PREFIX}q`,
          ),
        );
      const started = performance.now();
      const result = await pipeline.consumer({ Records });
      times.push(performance.now() - started);
      if (result.batchItemFailures.length > 0) throw new Error('the consumer failed a message');
    }
    const totals = meter.totals();
    meter.detach();
    return {
      wru: (totals.tableWriteUnits + totals.indexWriteUnits) / CALLS,
      rru: totals.readUnits / CALLS,
      sigBytes: (totals.itemBytes.SIG ?? []).reduce((a, b) => a + b, 0) / CALLS,
      requests: Object.fromEntries(Object.entries(totals.requests).map(([k, v]) => [k, round(v / CALLS, 2)])),
      batchMs: median(times),
    };
  } finally {
    sqs.destroy();
    dynamo.destroy();
    await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop()]);
  }
}

// A first run warms the JIT and the emulators; then the two variants, each twice, interleaved.
await run(true);
const [a, b, c, d] = [await run(false), await run(true), await run(false), await run(true)];
const without = { ...c, batchMs: median([a.batchMs, c.batchMs]) };
const withGuard = { ...d, batchMs: median([b.batchMs, d.batchMs]) };
const { dynamodb, lambda } = prices;
const consumerGb = (functionInfos().find((fn) => fn.name === 'consumer')?.memoryMb ?? 1024) / 1024;
const million = 1_000_000;
const extraWru = withGuard.wru - without.wru;
const extraMsPerCall = Math.max(0, (withGuard.batchMs - without.batchMs) / BATCH);
// DynamoDB adds 100 bytes of overhead to every item's stored size.
const storedBytes = withGuard.sigBytes + 100;
const report = {
  calls: CALLS,
  deliveriesPerCall: 1,
  withoutGuard: without,
  withGuard,
  perMillionCalls: {
    writesUsd: round(extraWru * million * (dynamodb.usdPerMillionWriteRequestUnits / million), 3),
    consumerMsPerCall: round((withGuard.batchMs - without.batchMs) / BATCH, 2),
    consumerTimeUsd: round((extraMsPerCall / 1000) * consumerGb * lambda.usdPerGbSecond * million, 3),
    storageUsdPerMonth: round(((storedBytes * million) / 1024 ** 3) * dynamodb.usdPerGbMonth, 4),
  },
};
console.log(JSON.stringify(report, null, 2));

/**
 * `npm run bench:backfill`: backfill of N calls (default 10,000) from the fake Twilio API
 * (test/fakes/twilio-api.ts, real HTTP) into an in-process local stack (fauxqs + dynalite, the real
 * consumer): calls/s until every record is stored, API requests, DynamoDB requests per call (the
 * existence checks and the consumer's), and a second run that must enqueue 0. Then the reconciler's
 * cost per run and per month at 15-minute runs with no missing calls, for 10k and 1M calls a month,
 * from bench/prices.ts. Not part of npm test.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient, localSqsClient, startDynamo, startSqs } from '../lib/local/emulators';
import { createLocalPipeline } from '../lib/local/pipeline';
import { startQueuePoller } from '../lib/local/poller';
import { createApiClient } from '../lib/providers/api';
import { twilioApi } from '../lib/providers/twilio/api';
import { buildEnqueue } from '../lib/queue';
import { reconcileWindow } from '../lib/reconcile';
import { buildCallStore } from '../lib/store';
import { seedTwilioCalls, startTwilioFake, TWILIO_FAKE_CREDENTIALS } from '../test/fakes/twilio-api';
import { prices } from './prices';

const N = Number(process.env.BACKFILL_CALLS ?? 10_000);

/** Counts every DynamoDB request the client sends, by command. */
function countRequests(client: DynamoDBClient) {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName ?? '?', (counts.get(context.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return {
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
  };
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

async function main() {
  const [sqsEmulator, dynamoEmulator] = await Promise.all([startSqs(), startDynamo()]);
  const sqs = localSqsClient(sqsEmulator.endpoint);
  const consumerDynamo = localDynamoClient(dynamoEmulator.endpoint);
  const backfillDynamo = localDynamoClient(dynamoEmulator.endpoint);
  const consumerRequests = countRequests(consumerDynamo);
  const backfillRequests = countRequests(backfillDynamo);
  const pipeline = await createLocalPipeline({
    sqs,
    dynamo: consumerDynamo,
    tableName: 'calls-bench',
    queueNames: { queue: 'deliveries-bench', deadLetterQueue: 'deliveries-bench-dlq' },
  });
  const poller = await startQueuePoller({
    sqs,
    queueUrl: pipeline.queueUrls.queueUrl,
    consumer: pipeline.consumer,
    batchSize: 10,
    waitSeconds: 0,
    onError: (error) => console.error(`consumer: ${(error as Error).message}`),
  });
  const until = new Date(Date.now() - 5 * 60_000);
  const since = new Date(until.getTime() - 24 * 3_600_000);
  const fake = await startTwilioFake(seedTwilioCalls(N, since, until));
  const credentials = twilioApi.parseCredentials(TWILIO_FAKE_CREDENTIALS, 'bench');
  const store = buildCallStore(backfillDynamo, 'calls-bench');
  const enqueue = buildEnqueue(sqs, pipeline.queueUrls.queueUrl, 10_000);

  const run = async (dryRun = false, window = { since: new Date(since.getTime() - 60_000), until }) => {
    const client = createApiClient({
      provider: 'twilio',
      baseUrl: fake.url,
      authorization: twilioApi.authorization(credentials),
      credentialSource: 'bench',
    });
    const started = performance.now();
    const counts = await reconcileWindow(
      {
        api: twilioApi,
        client,
        credentials,
        recorded: (provider, ids) => store.recordedCallIds(provider, ids),
        enqueue,
        origin: 'backfill',
        dryRun,
      },
      window,
    );
    return { counts, listMs: performance.now() - started, apiRequests: client.stats.requests, started };
  };

  // Warm-up of the emulators and the consumer (one call), not counted.
  await poller.drain();
  consumerRequests.reset();
  backfillRequests.reset();

  const first = await run();
  await poller.drain(600_000);
  const totalMs = performance.now() - first.started;
  const stored = await store.recordedCallIds(
    'twilio',
    fake.calls.map((c) => c.sid),
  );
  const firstRun = {
    calls: N,
    ...first.counts,
    recordsStored: stored.size,
    listAndEnqueueSeconds: round(first.listMs / 1000),
    untilAllStoredSeconds: round(totalMs / 1000),
    callsPerSecond: round(N / (totalMs / 1000), 0),
    apiRequests: first.apiRequests,
    dynamoRequests: {
      existenceChecks: Object.fromEntries(backfillRequests.counts),
      consumer: Object.fromEntries(consumerRequests.counts),
      perCall: round((backfillRequests.total() - 1 + consumerRequests.total()) / N, 2),
    },
  };
  backfillRequests.reset();
  const second = await run();
  const secondRun = {
    ...second.counts,
    seconds: round(second.listMs / 1000),
    apiRequests: second.apiRequests,
    dynamoRequests: Object.fromEntries(backfillRequests.counts),
  };

  // One scheduled run with nothing missing: a 75-minute window (15 + 60 lookback) at 1M calls/month.
  const perDay1M = Math.round(1_000_000 / 30);
  fake.calls.splice(
    0,
    fake.calls.length,
    ...seedTwilioCalls(perDay1M, new Date(until.getTime() - 86_400_000), until),
  );
  backfillRequests.reset();
  const scheduled = await run(true, { since: new Date(until.getTime() - 75 * 60_000), until });

  await poller.stop();
  await fake.close();
  sqs.destroy();
  consumerDynamo.destroy();
  backfillDynamo.destroy();
  await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop()]);

  console.log(
    JSON.stringify({ firstRun, secondRun, scheduledRunAt1M: summarizeScheduled(scheduled) }, null, 2),
  );
  console.log(costTable(scheduled.listMs));
}

function summarizeScheduled(run: { counts: { listed: number }; listMs: number; apiRequests: number }) {
  return {
    listedInWindow: run.counts.listed,
    seconds: round(run.listMs / 1000),
    apiRequests: run.apiRequests,
  };
}

/**
 * Reconciler cost, 15-minute runs, no missing calls: per run one Lambda invocation (512 MB, its
 * duration measured above as an upper bound for both volumes), the list requests (free at Twilio),
 * and one existence check per listed call — BatchGetItem, eventually consistent: 0.5 RRU per record
 * of ≤ 4 KB. Each call ends in 5 consecutive windows (15 min + 60 min lookback), so it is checked 5
 * times; a call without an end time is found by its start over 4 h more (≈ 21 windows).
 */
function costTable(runMs: number): string {
  const runsPerMonth = (30 * 24 * 60) / 15;
  const lambda = (ms: number) =>
    prices.lambda.usdPerMillionRequests / 1e6 + (ms / 1000) * 0.5 * prices.lambda.usdPerGbSecond;
  const lines = ['calls/month | checks/month | DynamoDB $/month | Lambda $/month | total $/month | $/run'];
  for (const calls of [10_000, 1_000_000]) {
    const checks = calls * (0.7 * 5 + 0.3 * 21);
    const dynamo = (checks * 0.5 * prices.dynamodb.usdPerMillionReadRequestUnits) / 1e6;
    const lambdaMonth = runsPerMonth * lambda(runMs);
    const total = dynamo + lambdaMonth;
    lines.push(
      `${calls.toLocaleString('en-US')} | ${Math.round(checks).toLocaleString('en-US')} | ${dynamo.toFixed(4)} | ${lambdaMonth.toFixed(4)} | ${total.toFixed(4)} | ${(total / runsPerMonth).toFixed(6)}`,
    );
  }
  lines.push(
    'plus CloudWatch: the CallsRecovered metric ($0.30/month per provider) and its two alarms ($0.10 + $0.30)',
  );
  return lines.join('\n');
}

await main();

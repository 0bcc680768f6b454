/**
 * Cold start: each function's production zip (from `serverless package --stage bench`) loaded in a
 * fresh `node` process that answers one event against loopback fauxqs/dynalite (and a fake SSM for
 * the webhooks' secrets). Compared with `node -e 0` and with a bare bundle that only constructs an
 * SQS client and sends, built with the same esbuild options. Medians of interleaved repeats.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SQSEvent } from 'aws-lambda';
import { encodeEnvelope } from '../lib/envelope';
import {
  ensureQueues,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoClient,
  localSqsClient,
  startDynamo,
} from '../lib/local/emulators';
import { LOCAL_ACCOUNT_ARN_PREFIX, toSqsRecord } from '../lib/local/sqs-event';

import {
  buildBareSqsBundle,
  buildBundle,
  functionInfos,
  packageWithServerless,
  readServerlessConfig,
  unzip,
} from './bundles';
import {
  BENCH_SECRETS,
  bandwidthEvent,
  bandwidthHangup,
  callkaroCallEnded,
  callkaroEvent,
  median,
  newCallId,
  round,
  startFakeSsm,
} from './support';

/**
 * Loads the bundle and answers the first event of the file (the cold start), then the others (warm),
 * counting the bytes the function writes to stdout/stderr (what CloudWatch Logs would ingest);
 * reports on a marker line that is not counted, and exits.
 */
const RUNNER = `
const { performance } = require('node:perf_hooks');
// fauxqs names queues http://sqs.<region>.localhost:<port>/…; like real SQS's names they must
// resolve, here to loopback (nothing else is resolved differently).
const dns = require('node:dns');
const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  if (typeof hostname === 'string' && hostname.endsWith('.localhost')) {
    const done = typeof options === 'function' ? options : callback;
    const all = typeof options === 'object' && options !== null && options.all;
    return process.nextTick(() => (all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)));
  }
  return lookup.apply(this, arguments);
};
const { readFileSync } = require('node:fs');
const [bundle, eventFile] = process.argv.slice(2);
const events = JSON.parse(readFileSync(eventFile, 'utf8'));
let bytes = 0;
const stdoutWrite = process.stdout.write.bind(process.stdout);
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => { bytes += Buffer.byteLength(chunk); return write(chunk, ...rest); };
}
const context = {
  functionName: 'bench', functionVersion: '$LATEST', awsRequestId: 'bench', memoryLimitInMB: '512',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
  logGroupName: '/aws/lambda/bench', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30000, done() {}, fail() {}, succeed() {},
};
const report = (fields, code) => stdoutWrite('\\n@@bench ' + JSON.stringify(fields) + '\\n', () => process.exit(code));
const outcome = (result) => ({
  statusCode: result && result.statusCode,
  failures: result && result.batchItemFailures && result.batchItemFailures.length,
});
(async () => {
  const t0 = performance.now();
  const { handler } = require(bundle);
  const t1 = performance.now();
  const first = outcome(await handler(events[0], context));
  const t2 = performance.now();
  const coldLogBytes = bytes;
  bytes = 0;
  const warm = [];
  for (const event of events.slice(1)) {
    const started = performance.now();
    const result = outcome(await handler(event, context));
    warm.push({ ms: performance.now() - started, ...result });
  }
  report({
    requireMs: t1 - t0, firstEventMs: t2 - t1, sinceStartMs: t2, ...first, coldLogBytes,
    warmLogBytes: warm.length ? bytes / warm.length : 0,
    warmMs: warm.map((w) => w.ms),
    warmOk: warm.every((w) => w.statusCode === 200 || w.failures === 0),
  }, 0);
})().catch((error) => report({ error: String((error && error.message) || error) }, 1));
`;

/** The log levels serverless.yml sets for the default and the prod stage. */
function serverlessLogLevels(): { default: string; prod: string } {
  const params = (readServerlessConfig() as { params?: Record<string, { logLevel?: string }> }).params ?? {};
  const fallback = params.default?.logLevel ?? 'INFO';
  return { default: fallback, prod: params.prod?.logLevel ?? fallback };
}

/** Warm invocations after the first event, in the untimed round. */
const WARM_INVOCATIONS = 5;

interface RunResult {
  /** From spawning `node` to its exit: the process's whole cold start plus the first event. */
  wallMs: number;
  requireMs?: number;
  firstEventMs?: number;
  statusCode?: number;
  failures?: number;
  /** Bytes logged while loading and answering the first event. */
  coldLogBytes?: number;
  /** Bytes logged per warm invocation after it. */
  warmLogBytes?: number;
  warmMs?: number[];
  warmOk?: boolean;
}

function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      const marker = out.lastIndexOf('\n@@bench ');
      const fields = marker >= 0 ? JSON.parse(out.slice(marker + 9).trim()) : {};
      if (code !== 0 || fields.error) {
        reject(new Error(`node ${args[0]} exited ${code}: ${fields.error ?? err.slice(0, 500)}`));
        return;
      }
      resolve({ wallMs, ...fields });
    });
  });
}

export interface ColdStartFunctionResult {
  bytes: number;
  zipBytes: number;
  /** The same handler built by bench/bundles.ts (as the bundle-size test does): equal to `bytes`. */
  inProcessBuildBytes: number;
  medianWallMs: number;
  medianRequireMs: number;
  medianFirstEventMs: number;
  ratioVsNode: number;
  ratioVsBareSdk: number;
  /** Bytes the function logs on its cold invocation, and per warm invocation (application logs only). */
  coldLogBytes: number;
  warmLogBytesPerInvocation: number;
  /** Per warm invocation at the prod stage's log level (serverless.yml params.prod.logLevel). */
  warmLogBytesPerInvocationProd: number;
  /** Median warm invocation time of the production bundle against the emulators. */
  medianWarmMs: number;
}

export interface ColdStartResult {
  repeats: number;
  nodeMedianMs: number;
  bareSdk: { bytes: number; medianWallMs: number; medianRequireMs: number; ratioVsNode: number };
  functions: Record<string, ColdStartFunctionResult>;
}

const COLD_START_FUNCTIONS = ['bandwidthWebhook', 'callkaroWebhook', 'consumer'];

export async function benchColdStart({
  workDir,
  repeats = 7,
  log = () => {},
}: {
  workDir: string;
  repeats?: number;
  log?: (line: string) => void;
}): Promise<ColdStartResult> {
  log('cold start: packaging with serverless (stage bench)…');
  const zips = await packageWithServerless(join(workDir, 'sls'));
  // The two seed providers' webhooks and the consumer: every webhook bundle is built the same way
  // (the bundle-size test checks all nine), so two stand for the others' cold start.
  const functions = functionInfos().filter((fn) => COLD_START_FUNCTIONS.includes(fn.name));
  const bundles: Record<string, { path: string; bytes: number; zipBytes: number; inProcessBytes: number }> =
    {};
  for (const fn of functions) {
    const zip = readFileSync(zips[fn.name] as string);
    const dir = join(workDir, 'unzipped', fn.name);
    const files = unzip(zip);
    const main = files.find((file) => file.name === fn.entry.replace(/\.ts$/, '.js'));
    if (!main) throw new Error(`${fn.name}.zip has no ${fn.entry.replace(/\.ts$/, '.js')}`);
    for (const file of files) {
      mkdirSync(join(dir, file.name, '..'), { recursive: true });
      writeFileSync(join(dir, file.name), file.data);
    }
    // The bundle-size test builds in-process with the options read from serverless.yml: same bytes?
    const inProcess = await buildBundle(fn.entry, join(workDir, 'in-process', fn.name));
    bundles[fn.name] = {
      path: join(dir, main.name),
      bytes: main.data.length,
      zipBytes: zip.length,
      inProcessBytes: inProcess.bytes,
    };
  }
  const bare = await buildBareSqsBundle(join(workDir, 'bare'));
  const runner = join(workDir, 'runner.cjs');
  writeFileSync(runner, RUNNER);

  // fauxqs started with its default host, so queue URLs are http://sqs.us-east-1.localhost:<port>/…
  // and the bundles' endpoint is that same origin — as on AWS, where QueueUrl and endpoint agree.
  // (lib/local's `sqs.<region>.127.0.0.1` form is no valid URL: the SDK would warn on every send.)
  const { startFauxqs } = await import('fauxqs');
  const fauxqs = await startFauxqs({ port: 0, logger: false, defaultRegion: LOCAL_REGION });
  const sqsEmulator = {
    endpoint: `http://sqs.${LOCAL_REGION}.localhost:${fauxqs.port}`,
    stop: () => fauxqs.stop(),
  };
  const dynamoEmulator = await startDynamo();
  const sqs = localSqsClient(`http://127.0.0.1:${fauxqs.port}`);
  const dynamo = localDynamoClient(dynamoEmulator.endpoint);
  const tableName = 'calls-cold-start';
  await ensureTable(dynamo, tableName);
  const { queueUrl } = await ensureQueues(sqs, { queue: 'cold-start', deadLetterQueue: 'cold-start-dlq' });
  const parameters = {
    '/call-intake/bench/bandwidth/webhook-secrets': `${BENCH_SECRETS.bandwidthUser}:${BENCH_SECRETS.bandwidthPassword}`,
    '/call-intake/bench/callkaro/webhook-secrets': BENCH_SECRETS.callkaroToken,
  };
  const ssm = await startFakeSsm(parameters);

  const logLevels = serverlessLogLevels();
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: workDir,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SQS: sqsEmulator.endpoint,
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEmulator.endpoint,
    // As serverless.yml's provider.environment sets them, for the default stage.
    POWERTOOLS_SERVICE_NAME: 'call-intake',
    POWERTOOLS_LOG_LEVEL: logLevels.default,
    POWERTOOLS_METRICS_NAMESPACE: 'CallIntake',
    STAGE: 'bench',
    QUEUE_URL: queueUrl,
    TABLE_NAME: tableName,
    NODE_OPTIONS: '',
  };
  const envFor: Record<string, NodeJS.ProcessEnv> = {
    bandwidthWebhook: { ...baseEnv, WEBHOOK_SECRETS_PARAMETER: Object.keys(parameters)[0] },
    callkaroWebhook: { ...baseEnv, WEBHOOK_SECRETS_PARAMETER: Object.keys(parameters)[1] },
    consumer: baseEnv,
  };

  const eventFile = (name: string, events: unknown[]) => {
    const path = join(workDir, `${name}.events.json`);
    writeFileSync(path, JSON.stringify(events));
    return path;
  };
  const sqsEvent = (run: number): SQSEvent => ({
    Records: [
      toSqsRecord(
        {
          MessageId: `cold-${run}-${newCallId('message')}`,
          ReceiptHandle: 'cold',
          Body: encodeEnvelope({
            deliveryId: newCallId('delivery'),
            provider: 'callkaro',
            receivedAt: new Date().toISOString(),
            requestId: `cold-${run}`,
            eventType: 'call_ended',
            callId: newCallId('cold'),
            body: callkaroCallEnded(newCallId('unused')),
          }),
        },
        `${LOCAL_ACCOUNT_ARN_PREFIX}cold-start`,
      ),
    ],
  });
  /** The first event (timed) and `warm` more, each about a new call. */
  const eventsFor = (name: string, run: number, warm = 0): string => {
    const one = () => {
      if (name === 'bandwidthWebhook') return bandwidthEvent(bandwidthHangup(newCallId('cold')));
      if (name === 'callkaroWebhook') return callkaroEvent(callkaroCallEnded(newCallId('cold')));
      return sqsEvent(run);
    };
    return eventFile(name, Array.from({ length: 1 + warm }, one));
  };

  const samples: Record<string, RunResult[]> = { node: [], bare: [] };
  const warmup: Record<string, RunResult> = {};
  const warmupProd: Record<string, RunResult> = {};
  for (const fn of functions) samples[fn.name] = [];
  try {
    // One untimed round first (page cache and the emulators' first requests warm for all), with
    // warm invocations after the first event: what a warm function logs and how long it takes.
    await runNode(['-e', '0'], baseEnv);
    await runNode([runner, bare.path, eventsFor('bandwidthWebhook', -1)], baseEnv);
    for (const fn of functions) {
      const env = envFor[fn.name] ?? baseEnv;
      const result = await runNode(
        [runner, (bundles[fn.name] as { path: string }).path, eventsFor(fn.name, -1, WARM_INVOCATIONS)],
        env,
      );
      const ok = fn.isIngress ? result.statusCode === 200 : result.failures === 0;
      if (!ok || !result.warmOk) {
        throw new Error(`${fn.name} did not succeed on its events (${JSON.stringify(result)})`);
      }
      warmup[fn.name] = result;
      // What production logs: the same warm invocations at the prod stage's log level.
      const prod = await runNode(
        [runner, (bundles[fn.name] as { path: string }).path, eventsFor(fn.name, -1, WARM_INVOCATIONS)],
        { ...env, POWERTOOLS_LOG_LEVEL: logLevels.prod, STAGE: 'prod' },
      );
      warmupProd[fn.name] = prod;
    }
    for (let run = 0; run < repeats; run++) {
      // Interleaved, so drift in machine load hits every variant alike.
      samples.node?.push(await runNode(['-e', '0'], baseEnv));
      samples.bare?.push(await runNode([runner, bare.path, eventsFor('bandwidthWebhook', run)], baseEnv));
      for (const fn of functions) {
        const env = envFor[fn.name] ?? baseEnv;
        samples[fn.name]?.push(
          await runNode([runner, (bundles[fn.name] as { path: string }).path, eventsFor(fn.name, run)], env),
        );
      }
      log(`cold start: round ${run + 1}/${repeats}`);
    }
  } finally {
    sqs.destroy();
    dynamo.destroy();
    await Promise.all([sqsEmulator.stop(), dynamoEmulator.stop(), ssm.stop()]);
  }

  const wall = (name: string) => median((samples[name] ?? []).map((s) => s.wallMs));
  const field = (name: string, key: 'requireMs' | 'firstEventMs') =>
    median((samples[name] ?? []).map((s) => s[key] ?? Number.NaN));
  const nodeMs = wall('node');
  const bareMs = wall('bare');
  return {
    repeats,
    nodeMedianMs: round(nodeMs, 1),
    bareSdk: {
      bytes: bare.bytes,
      medianWallMs: round(bareMs, 1),
      medianRequireMs: round(field('bare', 'requireMs'), 1),
      ratioVsNode: round(bareMs / nodeMs),
    },
    functions: Object.fromEntries(
      functions.map((fn) => {
        const bundle = bundles[fn.name] as { bytes: number; zipBytes: number; inProcessBytes: number };
        const ms = wall(fn.name);
        return [
          fn.name,
          {
            bytes: bundle.bytes,
            zipBytes: bundle.zipBytes,
            inProcessBuildBytes: bundle.inProcessBytes,
            medianWallMs: round(ms, 1),
            medianRequireMs: round(field(fn.name, 'requireMs'), 1),
            medianFirstEventMs: round(field(fn.name, 'firstEventMs'), 1),
            ratioVsNode: round(ms / nodeMs),
            ratioVsBareSdk: round(ms / bareMs),
            coldLogBytes: warmup[fn.name]?.coldLogBytes ?? 0,
            warmLogBytesPerInvocation: warmup[fn.name]?.warmLogBytes ?? 0,
            warmLogBytesPerInvocationProd: warmupProd[fn.name]?.warmLogBytes ?? 0,
            medianWarmMs: round(median(warmup[fn.name]?.warmMs ?? []), 2),
          },
        ];
      }),
    ),
  };
}

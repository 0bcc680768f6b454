/**
 * `npm start`: the deployed pipeline on one machine. serverless.yml's routes served by node:http
 * (lib/local/server.ts) → the same webhook handlers → SQS → the consumer, polled as Lambda's event
 * source mapping would (batch 10, long polling) → DynamoDB. SQS and DynamoDB are embedded (fauxqs,
 * dynalite on `<dataDir>/dynamodb`) unless AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_DYNAMODB name
 * services to use instead. The HTTP port opens only once queue, table and consumer are ready.
 *
 * The embedded queue is durable as SQS is: fauxqs writes every message through to SQLite
 * (`<dataDir>/sqs/fauxqs.db`) before SendMessage returns, so a delivery answered 200 survives any
 * stop, kill -9 included; messages in flight when the last process died are visible again at
 * start, receive counts kept. stop() therefore need not drain anything: it lets the requests and
 * the consumer batch in progress finish, within bounds, and closes.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { apiBaseUrl, credentialsFromEnv } from '../api-credentials';
import type { ConsumerDeps } from '../consumer';
import { printable } from '../printable';
import { providerApis } from '../providers/api-registry';
import { PROVIDERS } from '../providers/list';
import type { LocalSecrets } from '../providers/types';
import { buildEnqueue } from '../queue';
import { summaryLine } from '../reconcile';
import {
  createReconcileJob,
  DEFAULT_LOOKBACK_MINUTES,
  DEFAULT_RECONCILE_MINUTES,
  minutesSetting,
  type ReconcileJob,
} from '../reconcile-job';
import { deadLetterLine } from './dead-letters';
import {
  type Emulator,
  ensureQueues,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoClient,
  localSqsClient,
  type SqsEmulator,
  sqsDatabaseFile,
  startDynamo,
  startSqs,
} from './emulators';
import { levelDbDamage } from './integrity';
import { DEFAULT_DYNAMODB_PORT, DEFAULT_HTTP_PORT, DEFAULT_SQS_PORT, LOCAL_STAGE, stageNames } from './names';
import { createLocalPipeline, type LocalPipeline } from './pipeline';
import { type QueuePoller, startQueuePoller } from './poller';
import { loadProviderRoutes, type ProviderRoute } from './routes';
import { close, createLocalServer, listen } from './server';
import { removeStackFile, writeStackFile } from './stack-file';

export interface LocalStackOptions {
  port?: number;
  sqsPort?: number;
  dynamoPort?: number;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** `npm start`: write `<dataDir>/stack.json` before `ready:` for the CLIs, remove it on stop. */
  stackFile?: boolean;
}

export interface LocalStack {
  url: string;
  port: number;
  /** Where its SQS and DynamoDB are (embedded or named by AWS_ENDPOINT_URL_*). */
  endpoints: { sqs: string; dynamo: string };
  pipeline: LocalPipeline;
  sqs: SQSClient;
  dynamo: DynamoDBClient;
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A problem the user can fix; its message is one line saying how. */
export class LocalStackError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalStackError';
  }
}

export const LOCAL_NAMES = stageNames(LOCAL_STAGE);
/** How long stop() lets the consumer finish its batch; an unfinished one is received again on start. */
const STOP_BATCH_MS = 3_000;
/** Long polling as the deployed queue (ReceiveMessageWaitTimeSeconds); stop() aborts the wait. */
const POLL_WAIT_SECONDS = 20;

function portOf(explicit: number | undefined, env: NodeJS.ProcessEnv, variable: string, fallback: number) {
  if (explicit !== undefined) return explicit;
  const text = env[variable];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LocalStackError(`${variable}=${text} is not a port number (0-65535)`);
  }
  return port;
}

async function onPort<T>(variable: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === 'EADDRINUSE') {
      throw new LocalStackError(
        `port ${port} is in use (another npm start?): stop what uses it or set ${variable}=<free port>`,
      );
    }
    if (code === 'EACCES') throw new LocalStackError(`port ${port} is not allowed: set ${variable}=<port>`);
    throw error;
  }
}

const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
};

/**
 * Opens (and closes) the LevelDB folder before dynalite does: dynalite reports a locked or broken
 * folder only later, as an unhandled stream error that kills the process.
 */
async function checkDataFolder(path: string): Promise<void> {
  const broken = (reason: string) =>
    new LocalStackError(`cannot open ${shown(path)} (${reason}): fix it or delete it (its calls are lost)`);
  // Issue 18: damage visible in the files, looked for before LevelDB opens the folder (without
  // CURRENT it would start an empty table and delete the old files).
  const damage = levelDbDamage(path);
  if (damage) throw broken(damage);
  const require = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const { Level } = require('level') as typeof import('level');
  const db = new Level(path);
  try {
    await db.open();
    // Every entry read once, so a damaged table file is refused here, not after `ready:`.
    try {
      for await (const _entry of db.iterator({ fillCache: false })) {
        // reading is the check
      }
    } catch (error) {
      await db.close();
      throw broken((error as Error).message.split('\n', 1)[0] ?? 'unreadable');
    }
    await db.close();
  } catch (error) {
    if (error instanceof LocalStackError) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new LocalStackError(
        `${shown(path)} is in use by another process (another npm start?): stop it first`,
      );
    }
    throw new LocalStackError(
      `cannot open ${shown(path)} (${cause?.message ?? (error as Error).message}): fix it or delete it (its calls are lost)`,
    );
  }
}

/**
 * Queues again what an earlier version saved on stop (`pending.json`, `dlq.json`), then removes the
 * file. A crash in between sends some twice, which the consumer absorbs; none is lost.
 */
async function importSavedQueue(sqs: SQSClient, queueUrl: string, file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let messages: { body: string }[];
  try {
    messages = (JSON.parse(text) as { messages: { body: string }[] }).messages;
    if (!Array.isArray(messages)) throw new Error('unknown format');
  } catch (error) {
    throw new LocalStackError(
      `${shown(file)} is not readable (${(error as Error).message}): fix or remove it`,
    );
  }
  for (const message of messages) {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.body }));
  }
  await rm(file);
  return messages.length;
}

/**
 * The URLs to paste into each provider's console (on PUBLIC_BASE_URL when set, e.g. a tunnel: the
 * URL Twilio and Plivo signatures are checked against), and a curl line per provider to try them.
 */
function printWebhookUrls(
  log: (line: string) => void,
  baseUrl: string,
  routes: readonly ProviderRoute[],
  secrets: ReadonlyMap<string, LocalSecrets>,
  /** What `npm run sign` needs to find this stack: `PORT=<port> ` off the default port. */
  signEnv: string,
) {
  const defaulted = [...secrets.values()].filter((s) => s.defaulted).flatMap((s) => s.variables);
  if (defaulted.length > 0) log(`dev default secrets in use; set ${defaulted.join(', ')} to choose your own`);
  log('webhook URLs to register:');
  const hints: string[] = [];
  const width = Math.max(...routes.map((route) => route.provider.name.length)) + 1;
  for (const { provider, method, path } of routes) {
    // Secrets the user set are shown as ***: the terminal may be shared or recorded.
    const secret = secrets.get(provider.name);
    const routeUrl = `${baseUrl}${path}`;
    const inUrl = provider.local?.webhookUrl?.(routeUrl, secret?.display ?? '');
    // A signing provider's secret is not in its URL: say where it comes from and its dev value.
    const signing =
      secret && !inUrl ? `   (signed with ${secret.variables.join(', ')}: ${secret.display})` : '';
    log(`  ${provider.name.padEnd(width)} ${method} ${inUrl ?? routeUrl}${signing}`);
    const sample = PROVIDERS.find((entry) => entry.name === provider.name)?.sample;
    if (!sample) continue;
    hints.push(
      inUrl
        ? `  curl -sS -H 'content-type: application/json' --data-binary @${sample} '${inUrl}'`
        : `  ${signEnv}npm run -s sign -- ${provider.name} ${sample} | sh`,
    );
  }
  if (hints.length > 0)
    log(['try (signed requests: npm run -s sign prints the curl, sh runs it):', ...hints].join('\n'));
  log('query: npm run -s calls -- list   (see npm run -s calls -- --help)');
}

/** One line per processed delivery; never its body, and its provider values escaped (lib/printable.ts). */
const consumerLog =
  (log: (line: string) => void): ConsumerDeps['observe'] =>
  ({ delivery, change, error, messageId }) => {
    const what = printable(
      delivery
        ? `${delivery.provider} ${delivery.eventType} ${delivery.callId ?? `(no call, delivery ${delivery.deliveryId})`}`
        : `message ${messageId}`,
    );
    if (error)
      log(`consumer: ${what} failed (${printable(String((error as Error)?.message))}); SQS will retry it`);
    else if (change === 'pending') log(`consumer: ${what} → stored, waiting for the call's end`);
    else log(`consumer: ${what} → record ${change}`);
  };

/** Creating the table or queues failed: names the variable that pointed there, if one did. */
function unusable(
  service: string,
  variable: string | undefined,
  endpoint: string | undefined,
  error: unknown,
) {
  const reason = (error as Error)?.message || (error as Error)?.name || String(error);
  return new LocalStackError(
    variable
      ? `cannot use ${service} at ${endpoint} (${variable}): ${reason}; start it there, or unset ${variable} to use the embedded one`
      : `cannot create the ${service === 'SQS' ? 'queues' : 'table'} in the embedded ${service}: ${reason}`,
  );
}

const hasAwsCredentials = (env: NodeJS.ProcessEnv) => Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE);

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const port = portOf(options.port, env, 'PORT', DEFAULT_HTTP_PORT);
  const sqsPort = portOf(options.sqsPort, env, 'SQS_PORT', DEFAULT_SQS_PORT);
  const dynamoPort = portOf(options.dynamoPort, env, 'DYNAMODB_PORT', DEFAULT_DYNAMODB_PORT);
  const dataDir = resolve(options.dataDir ?? '.local');
  const sqsEndpoint = env.AWS_ENDPOINT_URL_SQS;
  const dynamoEndpoint = env.AWS_ENDPOINT_URL_DYNAMODB;
  const remote = {
    region: env.AWS_REGION || LOCAL_REGION,
    // Credentials from the SDK's chain when the user has any; emulators accept the dummy ones.
    ...(!hasAwsCredentials(env) && { credentials: LOCAL_CREDENTIALS }),
  };

  const routes = await loadProviderRoutes();
  const secrets = new Map<string, LocalSecrets>();
  for (const { provider } of routes) {
    if (!provider.local) throw new LocalStackError(`provider ${provider.name} has no local setup`);
    try {
      secrets.set(provider.name, provider.local.secret(env));
    } catch (error) {
      throw new LocalStackError((error as Error).message);
    }
  }

  // Undone in reverse if starting fails half way.
  const undo: (() => Promise<unknown>)[] = [];
  try {
    try {
      await mkdir(dataDir, { recursive: true });
    } catch (error) {
      throw new LocalStackError(
        `cannot use ${shown(dataDir)} for local data (${(error as Error).message}): fix or remove it`,
      );
    }

    let dynamoEmulator: Emulator | undefined;
    let dynamo: DynamoDBClient;
    if (dynamoEndpoint) {
      dynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, maxAttempts: 5, ...remote });
    } else {
      const path = join(dataDir, 'dynamodb');
      await checkDataFolder(path);
      const started = await onPort('DYNAMODB_PORT', dynamoPort, () =>
        startDynamo({ port: dynamoPort, path }),
      );
      dynamoEmulator = started;
      undo.push(() => started.stop());
      dynamo = localDynamoClient(started.endpoint);
    }
    undo.push(async () => dynamo.destroy());

    let sqsEmulator: SqsEmulator | undefined;
    let sqs: SQSClient;
    const sqsData = join(dataDir, 'sqs');
    if (sqsEndpoint) {
      sqs = new SQSClient({ endpoint: sqsEndpoint, ...remote });
    } else {
      const started = await onPort('SQS_PORT', sqsPort, () =>
        startSqs({ port: sqsPort, dataDir: sqsData }),
      ).catch((error: unknown) => {
        if (error instanceof LocalStackError) throw error;
        throw new LocalStackError(
          `cannot open ${shown(sqsDatabaseFile(sqsData))} (${(error as Error)?.message}): fix it or delete it (its queued deliveries are lost)`,
        );
      });
      sqsEmulator = started;
      undo.push(() => started.stop());
      sqs = localSqsClient(started.endpoint);
      if (started.released > 0) {
        const what = started.released === 1 ? '1 delivery was' : `${started.released} deliveries were`;
        log(`${what} in flight when the stack last stopped: queued again`);
      }
    }
    undo.push(async () => sqs.destroy());

    // Each service on its own first, so a failure names the one to fix.
    await ensureTable(dynamo, LOCAL_NAMES.table).catch((error: unknown) => {
      throw unusable('DynamoDB', dynamoEndpoint && 'AWS_ENDPOINT_URL_DYNAMODB', dynamoEndpoint, error);
    });
    await ensureQueues(sqs, LOCAL_NAMES).catch((error: unknown) => {
      throw unusable('SQS', sqsEndpoint && 'AWS_ENDPOINT_URL_SQS', sqsEndpoint, error);
    });
    const pipeline = await createLocalPipeline({
      sqs,
      dynamo,
      tableName: LOCAL_NAMES.table,
      queueNames: { queue: LOCAL_NAMES.queue, deadLetterQueue: LOCAL_NAMES.deadLetterQueue },
      consumerDeps: (deps) => ({ ...deps, observe: consumerLog(log) }),
    }).catch((error: unknown) => {
      throw new LocalStackError(`cannot create the table and queues: ${(error as Error).message}`);
    });
    if (sqsEmulator) {
      const { queueUrl, deadLetterQueueUrl } = pipeline.queueUrls;
      for (const [file, url, what] of [
        [join(dataDir, 'pending.json'), queueUrl, 'undrained deliveries'],
        [join(dataDir, 'dlq.json'), deadLetterQueueUrl, 'dead-letter messages'],
      ] as const) {
        const count = await importSavedQueue(sqs, url, file);
        if (count > 0)
          log(`queued ${count} ${what} saved by an earlier version in ${shown(file)} (file removed)`);
      }
    }

    const poller: QueuePoller = await startQueuePoller({
      sqs,
      queueUrl: pipeline.queueUrls.queueUrl,
      consumer: pipeline.consumer,
      batchSize: 10,
      waitSeconds: POLL_WAIT_SECONDS,
      onError: (error) =>
        log(`consumer: polling failed (${printable(String((error as Error)?.message))}); retrying`),
      onDeadLetter: (record, receives) => log(deadLetterLine(record, receives, LOCAL_NAMES.deadLetterQueue)),
    });
    undo.push(() => poller.stop());

    // Reconciliation (issue 20): only for providers whose API credential is in the environment.
    const reconcilers = startLocalReconcilers(env, pipeline, sqs, log);
    undo.push(() => reconcilers.stop());

    // Known once the port is: the URL Twilio and Plivo signed (spec §6), unless PUBLIC_BASE_URL says.
    let publicBaseUrl: string | undefined;
    const server = createLocalServer({
      log,
      routes: routes.map((route) => ({
        method: route.method,
        path: route.path,
        handler: pipeline.webhookHandler(route.provider, secrets.get(route.provider.name)?.secrets ?? [], {
          publicBaseUrl: () => publicBaseUrl,
          settings: env,
        }),
      })),
    });
    const actualPort = await onPort('PORT', port, () => listen(server, port));
    const url = `http://127.0.0.1:${actualPort}`;
    publicBaseUrl = (env.PUBLIC_BASE_URL || url).replace(/\/+$/, '');

    const dynamoWhere = dynamoEndpoint
      ? `${dynamoEndpoint} (AWS_ENDPOINT_URL_DYNAMODB)`
      : `${dynamoEmulator?.endpoint} (embedded dynalite, data in ${shown(join(dataDir, 'dynamodb'))})`;
    const sqsWhere = sqsEndpoint
      ? `${sqsEndpoint} (AWS_ENDPOINT_URL_SQS)`
      : `${sqsEmulator?.endpoint} (embedded fauxqs, data in ${shown(sqsData)})`;
    log(`DynamoDB  ${dynamoWhere}, table ${LOCAL_NAMES.table}`);
    log(`SQS       ${sqsWhere}, queue ${LOCAL_NAMES.queue} (+ -dlq)`);
    if (env.PUBLIC_BASE_URL)
      log(`PUBLIC_BASE_URL ${publicBaseUrl}: signed URLs (Twilio, Plivo) are checked against it`);
    const signEnv = env.PUBLIC_BASE_URL || actualPort === DEFAULT_HTTP_PORT ? '' : `PORT=${actualPort} `;
    printWebhookUrls(log, publicBaseUrl, routes, secrets, signEnv);
    const endpoints = {
      sqs: sqsEndpoint || sqsEmulator?.endpoint || '',
      dynamo: dynamoEndpoint || dynamoEmulator?.endpoint || '',
    };
    if (options.stackFile) writeStackFile(dataDir, { pid: process.pid, url, ...endpoints });
    log(reconcilers.banner);
    log(`ready: call intake listening on ${url}`);

    let stopping: Promise<void> | undefined;
    return {
      url,
      port: actualPort,
      endpoints,
      pipeline,
      sqs,
      dynamo,
      drain: (timeoutMs) => poller.drain(timeoutMs),
      stop() {
        stopping ??= (async () => {
          if (options.stackFile) removeStackFile(dataDir);
          // Requests in progress get their answer; nothing new is accepted.
          await close(server);
          // Whatever is still queued is on disk (or in the SQS named), so no drain: the batch in
          // progress may finish, and an unfinished one is received again on the next start.
          await reconcilers.stop();
          await poller.stop(STOP_BATCH_MS);
          sqs.destroy();
          dynamo.destroy();
          await Promise.all([sqsEmulator?.stop(), dynamoEmulator?.stop()]);
        })();
        return stopping;
      },
    };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => {});
    throw error;
  }
}

/**
 * `npm start`'s reconcilers: one per provider with `<PROVIDER>_API_CREDENTIALS` set, run at start
 * and every RECONCILE_MINUTES (default 15) over RECONCILE_LOOKBACK_MINUTES (default 60), as the
 * deployed function does. None without credentials; the banner says which providers can be
 * backfilled.
 */
function startLocalReconcilers(
  env: NodeJS.ProcessEnv,
  pipeline: LocalPipeline,
  sqs: SQSClient,
  log: (line: string) => void,
): { banner: string; stop(): Promise<void> } {
  const configured: { name: string; job: ReconcileJob }[] = [];
  const missing: string[] = [];
  let minutes: number;
  let lookback: number;
  try {
    minutes = minutesSetting(env, 'RECONCILE_MINUTES', DEFAULT_RECONCILE_MINUTES);
    lookback = minutesSetting(env, 'RECONCILE_LOOKBACK_MINUTES', DEFAULT_LOOKBACK_MINUTES);
    for (const api of Object.values(providerApis)) {
      const found = credentialsFromEnv(api, env);
      if (found === null) {
        missing.push(api.name);
        continue;
      }
      const job = createReconcileJob({
        api,
        store: pipeline.store,
        enqueue: buildEnqueue(sqs, pipeline.queueUrls.queueUrl, 10_000),
        credentials: async () => found,
        baseUrl: apiBaseUrl(api, env),
        lookbackMinutes: lookback,
      });
      configured.push({ name: api.name, job });
    }
  } catch (error) {
    throw new LocalStackError((error as Error).message);
  }
  const running = new Set<Promise<unknown>>();
  const runAll = () => {
    for (const { name, job } of configured) {
      const run = job().then(
        (result) =>
          log(
            `reconcile: ${summaryLine(result.counts)}${result.error ? ` — ${printable(result.error.message)}` : ''}${result.advanced ? '' : '; window kept for the next run'}`,
          ),
        (error: unknown) =>
          log(`reconcile: ${name} failed: ${printable((error as Error)?.message ?? String(error))}`),
      );
      running.add(run);
      run.finally(() => running.delete(run));
    }
  };
  const timer = configured.length > 0 ? setInterval(runAll, minutes * 60_000) : undefined;
  timer?.unref();
  if (configured.length > 0) setImmediate(runAll);
  const variable = (name: string) => `${name.toUpperCase().replace(/-/g, '_')}_API_CREDENTIALS`;
  const banner = [
    configured.length > 0
      ? `backfill/reconcile: ${configured.map((c) => c.name).join(', ')} (every ${minutes} min over the last ${lookback} min; npm run -s backfill -- --provider <name> --since <date>)`
      : 'backfill/reconcile: no provider API credentials set, no reconciler runs',
    ...(missing.length > 0
      ? [`  to backfill ${missing.join(', ')}: set ${missing.map(variable).join(', ')}`]
      : []),
  ].join('\n');
  return {
    banner,
    async stop() {
      if (timer) clearInterval(timer);
      // A run in progress may finish within a bound; its window is simply listed again next start.
      await Promise.race([
        Promise.allSettled([...running]),
        new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
      ]);
    },
  };
}

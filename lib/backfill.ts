/**
 * `npm run backfill` (spec §7): list a provider's calls that ended in [--since, --until), and store
 * each that has no record yet through the queue as an API delivery (lib/reconcile.ts). Against the
 * local stack by default, a deployed stage with `--stage` (credentials from SSM there). One summary
 * line per provider; exit 0 only when nothing failed. Re-running it is harmless: a call stored by
 * the first run has a record by the second.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  apiBaseUrl,
  credentialsFromEnv,
  credentialsFromSsm,
  type ResolvedCredentials,
} from './api-credentials';
import { didYouMean, parseCommandLine, USAGE_EXIT, usageLine, wantsHelp } from './cli/args';
import { SERVICE } from './local/names';
import { queueUrlOf } from './ops/redrive';
import { type OpsTarget, resolveTarget } from './ops/target';
import { parseTime } from './ops/terminal';
import { printable } from './printable';
import { type ApiClient, ApiCredentialsError, createApiClient, type ProviderApi } from './providers/api';
import { API_PROVIDER_NAMES, credentialsVariable, providerApis } from './providers/api-registry';
import { PROVIDER_NAMES } from './providers/list';
import { buildEnqueue } from './queue';
import { type ReconcileCounts, reconcileWindow, summaryLine } from './reconcile';
import { buildCallStore } from './store';

export interface BackfillIo {
  stdout: Pick<NodeJS.WriteStream, 'write'>;
  stderr: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** Tests: the API client's fetch (default: global fetch). */
  fetch?: typeof fetch;
  /** Tests: how long a 429 waits at most (default 30 s). */
  maxDelayMs?: number;
  /** Tests and the benchmark: told about each provider's API client once it is made. */
  onClient?: (client: ApiClient) => void;
  /** Tests: another table / queue of the local target. */
  target?: { table?: string; queue?: string };
}

export const BACKFILL_USAGE = `usage: npm run -s backfill -- --provider <name> --since <date|ISO instant> [--until <…>]
                              [--dry-run] [--json] [--stage <stage>]

Lists the provider's calls that ended in the window and stores each that has no record yet (through
the queue, like a webhook delivery). Providers with a list API: ${API_PROVIDER_NAMES.join(', ')}.
  --provider <name>  repeatable
  --since, --until   ISO instant or YYYY-MM-DD (UTC); --until defaults to now
  --dry-run          list and check only; nothing is enqueued
  --json             one JSON array of { provider, listed, alreadyRecorded, enqueued, failed }
                     (+ unmatched where a provider's API ids may not match its webhooks': telnyx)
  --stage <stage>    a deployed stage: its table and queue, credentials from SSM
                     /${SERVICE}/<stage>/<provider>-api (without it: the local stack, credentials
                     from <PROVIDER>_API_CREDENTIALS, e.g. TWILIO_API_CREDENTIALS)
Environment: <PROVIDER>_API_BASE_URL points the client at another server (a fake, a regional host).
`;

const line = (stream: Pick<NodeJS.WriteStream, 'write'>, text: string) =>
  stream.write(`${printable(text)}\n`);

function parse(argv: readonly string[]) {
  const { values } = parseCommandLine(argv, {
    provider: { type: 'string', multiple: true },
    since: { type: 'string' },
    until: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    stage: { type: 'string' },
    region: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  return values;
}

async function resolveCredentials(
  api: ProviderApi<unknown>,
  stage: string | undefined,
  region: string | undefined,
  env: BackfillIo['env'],
): Promise<ResolvedCredentials<unknown>> {
  if (stage === undefined) {
    const found = credentialsFromEnv(api, env);
    if (found === null)
      throw new ApiCredentialsError(
        `${credentialsVariable(api.name)} is not set: set it to ${api.name}'s API credential JSON (docs/reconcile.md)`,
      );
    return found;
  }
  const ssm = new SSMClient(region ? { region } : {});
  try {
    return await credentialsFromSsm(api, ssm, `/${SERVICE}/${stage}`);
  } finally {
    ssm.destroy();
  }
}

export async function backfillCommand(argv: readonly string[], io: BackfillIo): Promise<number> {
  let values: ReturnType<typeof parse>;
  let since: Date;
  let until: Date;
  if (wantsHelp(argv)) {
    io.stdout.write(BACKFILL_USAGE);
    return 0;
  }
  try {
    values = parse(argv);
    if (!values.provider?.length) throw new Error('--provider is required');
    for (const name of values.provider) {
      if (!providerApis[name])
        throw new Error(
          PROVIDER_NAMES.includes(name)
            ? `${name} has no list-calls API this product can use (providers with one: ${API_PROVIDER_NAMES.join(', ')})`
            : `unknown provider ${name}${didYouMean(name, API_PROVIDER_NAMES)} (providers with a list API: ${API_PROVIDER_NAMES.join(', ')})`,
        );
    }
    if (values.since === undefined) throw new Error('--since is required');
    since = parseTime(values.since, '--since');
    until = values.until === undefined ? new Date() : parseTime(values.until, '--until');
    if (since >= until) throw new Error('--since is not before --until');
  } catch (error) {
    io.stderr.write(usageLine('npm run -s backfill --', (error as Error).message));
    return USAGE_EXIT;
  }

  const target: OpsTarget = resolveTarget(
    { stage: values.stage, region: values.region, ...io.target },
    io.env,
  );
  const dynamo = target.dynamo();
  const sqs = target.sqs();
  const results: ReconcileCounts[] = [];
  let exitCode = 0;
  try {
    const store = buildCallStore(dynamo, target.names.table);
    let enqueue: ReturnType<typeof buildEnqueue> | undefined;
    for (const name of values.provider) {
      const api = providerApis[name] as ProviderApi<unknown>;
      const counts: ReconcileCounts = {
        provider: name,
        listed: 0,
        alreadyRecorded: 0,
        enqueued: 0,
        failed: 0,
        ...(api.reportsUnmatched && { unmatched: 0 }),
      };
      try {
        const { credentials, source } = await resolveCredentials(api, values.stage, values.region, io.env);
        const client = createApiClient({
          provider: name,
          baseUrl: apiBaseUrl(api, io.env),
          authorization: api.authorization(credentials),
          credentialSource: source,
          fetch: io.fetch,
          maxDelayMs: io.maxDelayMs,
        });
        io.onClient?.(client);
        if (!values['dry-run'] && enqueue === undefined)
          enqueue = buildEnqueue(sqs, await queueUrlOf(sqs, target.names.queue), 10_000);
        const progress = io.stderr.isTTY && !values.json;
        const result = await reconcileWindow(
          {
            api,
            client,
            credentials,
            recorded: (provider, ids) => store.recordedCallIds(provider, ids),
            enqueue: enqueue ?? (async () => undefined),
            origin: 'backfill',
            dryRun: values['dry-run'],
            onProgress: (c) => {
              Object.assign(counts, c);
              if (progress) io.stderr.write(`\r${summaryLine(c)}`);
            },
            onFailure: (callId, reason) => line(io.stderr, `${name} ${callId}: not enqueued (${reason})`),
          },
          { since, until },
        );
        if (progress) io.stderr.write('\n');
        Object.assign(counts, result);
      } catch (error) {
        if (io.stderr.isTTY && !values.json) io.stderr.write('\n');
        // One line: what failed and where its credential or endpoint came from; never a secret.
        line(io.stderr, `error: ${describeFailure(error, target)}`);
        exitCode = 1;
      }
      results.push(counts);
      if (!values.json)
        line(io.stdout, summaryLine(counts) + (values['dry-run'] ? ' (dry run: nothing enqueued)' : ''));
      if (counts.failed > 0) exitCode = 1;
    }
  } finally {
    dynamo.destroy();
    sqs.destroy();
  }
  if (values.json) io.stdout.write(`${JSON.stringify(results)}\n`);
  return exitCode;
}

function describeFailure(error: unknown, target: OpsTarget): string {
  const e = error as Error & { code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? e?.name;
  if (code === 'ECONNREFUSED')
    return `cannot reach ${target.local ? 'the local stack' : 'AWS'} (${target.describe('SQS')}, ${target.describe('DynamoDB')}): ${target.local ? 'is npm start running?' : code}`;
  if (code === 'QueueDoesNotExist' || code === 'AWS.SimpleQueueService.NonExistentQueue')
    return `queue ${target.names.queue} does not exist (${target.describe('SQS')})`;
  if (code === 'ResourceNotFoundException')
    return `table ${target.names.table} does not exist (${target.describe('DynamoDB')})`;
  return e?.message ?? String(error);
}

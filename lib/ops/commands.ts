/**
 * `npm run redrive` and `npm run replay`: argument parsing, target resolution and output around
 * lib/ops/redrive.ts and lib/ops/replay.ts. Each returns the process exit code; scripts/ only call
 * them, so tests run the very same commands in-process.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { didYouMean, parseCommandLine, USAGE_EXIT, UsageError, usageLine, wantsHelp } from '../cli/args';
import { npmHeaderNote } from '../cli/npm';
import { printable } from '../printable';
import { normalizers } from '../providers/registry';
import { buildCallStore } from '../store';
import { ZONE_SETTINGS } from './preflight';
import { queueUrlOf, redrive } from './redrive';
import { type CallKey, findCalls, replayCalls } from './replay';
import { type OpsTarget, resolveTarget } from './target';
import { parseTime, progressBar, showValue } from './terminal';

export interface CommandIo {
  stdout: Pick<NodeJS.WriteStream, 'write'>;
  stderr: NodeJS.WriteStream;
  env: Readonly<Record<string, string | undefined>>;
}

const processIo = (): CommandIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** Writes one line of text output; whatever it quotes (call ids, queue names, errors) is escaped. */
const writeLine = (stream: Pick<NodeJS.WriteStream, 'write'>, text: string) =>
  stream.write(`${printable(text)}\n`);

const TARGET_OPTIONS = {
  stage: { type: 'string' },
  region: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const REDRIVE_USAGE = `Usage: npm run -s redrive -- [--stage <stage>] [--dry-run] [--max <n>] [--json]

Moves dead-lettered deliveries back to the deliveries queue (receive → send → delete, 10 at a time).
  --stage <stage>   deployed stage: queues call-intake-<stage>-deliveries(-dlq), AWS credentials as usual
                    (without it: the running npm start's queues, found in .local/stack.json;
                    SQS_PORT or AWS_ENDPOINT_URL_SQS to name others; default :9324)
  --region <region> AWS region for --stage
  --dry-run         only count the dead-lettered messages
  --max <n>         stop after n messages (default 10000)
  --queue, --dlq    other queue names
  --json            the result as one JSON object on stdout
  -h, --help        this text

Progress goes to stderr when it is a terminal. Exit status: 0 ok, 1 failed, 2 bad arguments.
`;

const REPLAY_USAGE = `Usage: npm run -s replay -- [--stage <stage>] [--provider <p>] [--since <t>] [--until <t>]
                            [--call <provider>:<callId> ...] [--dry-run] [--json]

Rebuilds call records from their stored raw deliveries with the current normalizers (idempotent).
  --stage <stage>    deployed stage: table call-intake-<stage>-calls, AWS credentials as usual
                     (without it: the running npm start's table, found in .local/stack.json;
                     DYNAMODB_PORT or AWS_ENDPOINT_URL_DYNAMODB to name another; default :8000)
  --region <region>  AWS region for --stage
  --provider <p>     only this provider's calls
  --since, --until   arrival time range (when the call's first delivery was received), ISO time or
                     YYYY-MM-DD; default: from the day before the table was created until tomorrow,
                     which is every call in it
  --call <p>:<id>    just this call (repeatable)
  --dry-run          show what would change (field: old → new) and write nothing
  --table <name>     another table name
  --json             the result as one JSON object on stdout
  -h, --help         this text

Zone-less provider times are read in the zone of ${ZONE_SETTINGS.map((z) => z.variable).join(', ')}
(as deployed: export the same values). Progress goes to stderr when it is a terminal.
Exit status: 0 ok, 1 a call failed or the table is unreachable, 2 bad arguments.
`;

const codeOf = (error: unknown): string | undefined => {
  const e = error as { code?: string; cause?: unknown; errors?: unknown[] };
  return e?.code ?? (e?.cause ? codeOf(e.cause) : undefined) ?? e?.errors?.map(codeOf).find(Boolean);
};

const VARIABLES = {
  SQS: ['SQS_PORT', 'AWS_ENDPOINT_URL_SQS'],
  DynamoDB: ['DYNAMODB_PORT', 'AWS_ENDPOINT_URL_DYNAMODB'],
} as const;

/** One line: what failed where, and when the service is unreachable, what to set. */
export function describeOpsFailure(
  action: string,
  target: OpsTarget,
  service: 'SQS' | 'DynamoDB',
  error: unknown,
): string {
  const code = codeOf(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'EHOSTUNREACH') {
    const [port, endpoint] = VARIABLES[service];
    return `${action} failed: cannot reach ${target.describe(service)} (${code})${
      target.local
        ? `: is npm start running? Set ${port} to its ${service} port (or ${endpoint}), or use --stage`
        : ''
    }`;
  }
  return `${action} on ${target.describe(service)} failed: ${(error as Error)?.message ?? String(error)}`;
}

/** A bad argument: one line saying what is wrong and where the usage is, exit 2. */
const fail = (io: CommandIo, message: string, command: 'redrive' | 'replay'): number => {
  io.stderr.write(usageLine(`npm run -s ${command} --`, message));
  return USAGE_EXIT;
};

/** With --json under `npm run` without -s: say why stdout is not JSON alone. */
const noteNpmHeader = (io: CommandIo, json: boolean, script: string) => {
  const note = json ? npmHeaderNote(io.env, script) : null;
  if (note) io.stderr.write(note);
};

/** The zone settings that apply to the providers replayed (all of them when none is named). */
export function zoneLines(
  providers: readonly string[] | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  return ZONE_SETTINGS.filter(({ provider }) => !providers || providers.includes(provider)).map(
    ({ provider, variable, default: fallback }) =>
      `${provider} times read in ${env[variable] || fallback} (${variable}; use the deployed value)`,
  );
}

export async function redriveCommand(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout.write(REDRIVE_USAGE);
    return 0;
  }
  let values: ReturnType<typeof parseRedrive>['values'];
  try {
    ({ values } = parseRedrive(argv));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return fail(io, error.message, 'redrive');
  }
  const maxMessages = values.max === undefined ? undefined : Number(values.max);
  if (maxMessages !== undefined && !(Number.isInteger(maxMessages) && maxMessages > 0))
    return fail(io, `--max ${values.max}: a positive whole number`, 'redrive');
  noteNpmHeader(io, values.json, 'redrive');
  const target = resolveTarget(
    { stage: values.stage, region: values.region, queue: values.queue, deadLetterQueue: values.dlq },
    io.env,
  );
  const { queue, deadLetterQueue } = target.names;
  const sqs = target.sqs();
  try {
    const [deadLetterQueueUrl, queueUrl] = await Promise.all([
      queueUrlOf(sqs, deadLetterQueue),
      queueUrlOf(sqs, queue),
    ]);
    writeLine(io.stderr, `${target.describe('SQS')}: ${deadLetterQueue} → ${queue}`);
    const bar = progressBar('redriving', io.stderr);
    const result = await redrive({
      sqs,
      deadLetterQueueUrl,
      queueUrl,
      dryRun: values['dry-run'],
      maxMessages,
      onProgress: (p) => {
        const done = p.moved + p.failed + p.skipped;
        bar.update(done, Math.max(done, p.expected));
      },
    });
    bar.finish();
    if (values.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.dryRun) {
      writeLine(
        io.stdout,
        `${deadLetterQueue}: ${result.before.visible} message(s) would be moved to ${queue}` +
          (result.before.inFlight > 0 ? ` (+${result.before.inFlight} in flight, not counted)` : ''),
      );
    } else {
      writeLine(
        io.stdout,
        `moved ${result.moved} message(s) from ${deadLetterQueue} to ${queue}` +
          `; ${result.failed} failed to send, ${result.skipped} dead-lettered again during this run` +
          (result.notDeleted > 0
            ? `, ${result.notDeleted} sent but still in the DLQ (rerun is harmless)`
            : ''),
      );
    }
    return result.failed > 0 ? 1 : 0;
  } catch (error) {
    writeLine(io.stderr, `error: ${describeOpsFailure('redrive', target, 'SQS', error)}`);
    return 1;
  } finally {
    sqs.destroy();
  }
}

const parseRedrive = (argv: readonly string[]) =>
  parseCommandLine(argv, {
    ...TARGET_OPTIONS,
    max: { type: 'string' },
    queue: { type: 'string' },
    dlq: { type: 'string' },
  });

const parseReplay = (argv: readonly string[]) =>
  parseCommandLine(argv, {
    ...TARGET_OPTIONS,
    table: { type: 'string' },
    provider: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    call: { type: 'string', multiple: true },
  });

const DAY_MS = 86_400_000;
/** Records are indexed by arrival, so none is older than its table (a day's margin for clock skew). */
const ALL_CALLS_MARGIN_DAYS = 1;

export async function replayCommand(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  let values: ReturnType<typeof parseReplay>['values'];
  let calls: CallKey[] | undefined;
  let since: Date | undefined;
  let until: Date;
  if (wantsHelp(argv)) {
    io.stdout.write(REPLAY_USAGE);
    return 0;
  }
  try {
    ({ values } = parseReplay(argv));
    if (values.call && (values.provider || values.since || values.until))
      throw new Error('--call selects calls by key; it cannot be combined with --provider/--since/--until');
    calls = values.call?.map((text) => {
      const colon = text.indexOf(':');
      if (colon <= 0 || colon === text.length - 1)
        throw new Error(`--call ${JSON.stringify(text)} is not <provider>:<callId>`);
      return { provider: text.slice(0, colon), callId: text.slice(colon + 1) };
    });
    for (const provider of [values.provider, ...(calls ?? []).map((c) => c.provider)]) {
      if (provider !== undefined && !Object.hasOwn(normalizers, provider)) {
        const known = Object.keys(normalizers);
        throw new Error(
          `unknown provider ${provider}${didYouMean(provider, known)}; known: ${known.join(', ')}`,
        );
      }
    }
    since = values.since === undefined ? undefined : parseTime(values.since, '--since');
    until =
      values.until === undefined
        ? new Date(Date.now() + DAY_MS)
        : parseTime(values.until, '--until', { endOfDay: true });
    if (since && since > until) throw new Error('--since is after --until');
  } catch (error) {
    return fail(io, (error as Error).message, 'replay');
  }
  noteNpmHeader(io, values.json, 'replay');
  const replayedProviders = calls
    ? [...new Set(calls.map((call) => call.provider))]
    : values.provider === undefined
      ? undefined
      : [values.provider];

  const target = resolveTarget({ stage: values.stage, region: values.region, table: values.table }, io.env);
  const dynamo = target.dynamo();
  const store = buildCallStore(dynamo, target.names.table);
  const dryRun = values['dry-run'];
  try {
    if (!calls) {
      if (!since) {
        // "All" is still Queries, one per day and shard, from the day before the table existed.
        const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: target.names.table }));
        const created = Table?.CreationDateTime ?? new Date();
        since = new Date(created.getTime() - ALL_CALLS_MARGIN_DAYS * DAY_MS);
      }
      writeLine(
        io.stderr,
        `${target.describe('DynamoDB')}: table ${target.names.table}, ` +
          `${values.provider ?? 'all providers'}, arrival times ${since.toISOString()} … ${until.toISOString()}`,
      );
      for (const line of zoneLines(replayedProviders)) writeLine(io.stderr, line);
      const finding = progressBar('finding calls', io.stderr);
      calls = await findCalls(
        store,
        { since, until },
        { provider: values.provider, onProgress: finding.update },
      );
      finding.finish();
    } else {
      writeLine(io.stderr, `${target.describe('DynamoDB')}: table ${target.names.table}`);
      for (const line of zoneLines(replayedProviders)) writeLine(io.stderr, line);
    }

    const replaying = progressBar(dryRun ? 'checking' : 'replaying', io.stderr);
    const result = await replayCalls({ store, normalizers, calls, dryRun, onProgress: replaying.update });
    replaying.finish();

    if (values.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const verb = (change: string) => (dryRun ? `would be ${change}` : change);
      for (const call of result.calls) {
        if (call.change === 'failed')
          writeLine(io.stdout, `${call.provider}:${call.callId} failed: ${call.error}`);
        if (call.change !== 'created' && call.change !== 'updated') continue;
        writeLine(io.stdout, `${call.provider}:${call.callId} ${verb(call.change)}`);
        for (const f of call.fields)
          writeLine(io.stdout, `  ${f.field}: ${showValue(f.before)} → ${showValue(f.after)}`);
      }
      const { created, updated, unchanged, pending, failed } = result.counts;
      writeLine(
        io.stdout,
        `${result.calls.length} call(s): ${created} ${verb('created')}, ${updated} ${verb('updated')}, ` +
          `${unchanged} unchanged, ${pending} pending (no ended event), ${failed} failed` +
          (dryRun ? ' — dry run, nothing written' : ''),
      );
    }
    return result.counts.failed > 0 ? 1 : 0;
  } catch (error) {
    writeLine(io.stderr, `error: ${describeOpsFailure('replay', target, 'DynamoDB', error)}`);
    return 1;
  } finally {
    dynamo.destroy();
  }
}

/** `npm run calls -- …` as a function: arguments and environment in, text and an exit status out. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { usageLine } from '../cli/args';
import { npmHeaderNote } from '../cli/npm';
import { printable } from '../printable';
import { PROVIDER_NAMES } from '../providers/list';
import { normalizers } from '../providers/registry';
import { buildCallStore } from '../store';
import { type CallsCommand, parseCallsArgs, USAGE, UsageError } from './args';
import { listJson, listTable, rawJson, rawText, recordJson, recordText } from './format';
import { type CallReader, DEFAULT_LOOKBACK_DAYS, getCall, getRawDeliveries, listCalls } from './query';
import { type CallsTarget, resolveTarget } from './target';

export interface CallsIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** How the docs run this CLI: `-s`, so npm adds nothing to stdout. */
const CALLS_COMMAND = 'npm run -s calls --';

const codeOf = (error: unknown): string | undefined => {
  const e = error as { code?: string; cause?: unknown; errors?: unknown[] };
  return e?.code ?? (e?.cause ? codeOf(e.cause) : undefined) ?? e?.errors?.map(codeOf).find(Boolean);
};

/** One line that says what went wrong and what to do about it. */
export function describeFailure(error: unknown, target: CallsTarget): string {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  if (name === 'ResourceNotFoundException') {
    return `table ${target.tableName} not found at ${target.where}${
      target.local ? ' (is npm start running with this DYNAMODB_PORT?)' : ' (check --stage, AWS_REGION)'
    }`;
  }
  const code = codeOf(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET') {
    return `cannot reach DynamoDB at ${target.where} (${code})${
      target.local
        ? ': is npm start running? Set DYNAMODB_PORT, AWS_ENDPOINT_URL_DYNAMODB, or use --stage'
        : ''
    }`;
  }
  if (name === 'CredentialsProviderError')
    return `no AWS credentials (${message}): set AWS_PROFILE or log in`;
  if (message?.includes('Region is missing'))
    return 'no AWS region: set AWS_REGION or use a profile that has one';
  return message ?? String(error);
}

const E164 = 'E.164 is + and the country code, then the number: +1… for the US and Canada, +91… for India';

/** Why a number typed without `+` may have found nothing (stderr, with the empty result). */
export const numberHint = (typed: string, searched: string): string =>
  searched.startsWith('+')
    ? `(--number ${typed} has no +: searched for ${searched}; ${E164})`
    : `(--number ${typed} is not an E.164 number: searched for exactly that text; ${E164})`;

async function execute(
  command: Exclude<CallsCommand, { command: 'help' }>,
  reader: CallReader,
  target: CallsTarget,
  io: CallsIo,
): Promise<number> {
  switch (command.command) {
    case 'get': {
      const record = await getCall(reader, command.provider, command.callId);
      if (record === null) {
        io.err(
          `${printable(`no ${command.provider} call ${command.callId} in ${target.tableName} at ${target.where}`)}\n`,
        );
        return EXIT.failed;
      }
      io.out(command.json ? recordJson(record) : recordText(record));
      return EXIT.ok;
    }
    case 'raw': {
      const deliveries = await getRawDeliveries(reader, command.provider, command.callId);
      if (deliveries.length === 0) {
        io.err(
          `${printable(`no deliveries stored for ${command.provider} call ${command.callId} in ${target.tableName}`)}\n`,
        );
        return EXIT.failed;
      }
      io.out(command.json ? rawJson(deliveries) : rawText(deliveries));
      return EXIT.ok;
    }
    case 'list': {
      const { filters } = command;
      // One unreadable item (corrupt compressed details) is skipped with a warning, not a failed list.
      const records = await listCalls(reader, filters, {
        onUnreadable: (pk, error) =>
          io.err(`warning: skipped ${printable(pk)}: ${printable(error.message)}\n`),
      });
      io.out(command.json ? listJson(records) : listTable(records));
      if (records.length === 0 && command.numberWithoutPlus !== undefined) {
        io.err(`${printable(numberHint(command.numberWithoutPlus, filters.number ?? ''))}\n`);
      }
      const walkedDays = !filters.number && !filters.agent && !filters.batch;
      if (records.length === 0 && walkedDays && !filters.since && !command.json) {
        io.err(
          `(list looks back ${DEFAULT_LOOKBACK_DAYS} days from --until by default; use --since for older calls)\n`,
        );
      }
      return EXIT.ok;
    }
  }
}

export async function runCalls(argv: readonly string[], io: CallsIo): Promise<number> {
  let command: CallsCommand;
  let target: CallsTarget;
  try {
    command = parseCallsArgs(argv, PROVIDER_NAMES);
    if (command.command === 'help') {
      io.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    target = resolveTarget(io.env, command.target);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(usageLine(CALLS_COMMAND, error.message));
    return EXIT.usage;
  }
  if (command.json) {
    const note = npmHeaderNote(io.env, 'calls');
    if (note) io.err(note);
  }
  const client = new DynamoDBClient(target.client);
  try {
    return await execute(
      command,
      { store: buildCallStore(client, target.tableName), normalizers },
      target,
      io,
    );
  } catch (error) {
    io.err(`error: ${printable(describeFailure(error, target))}\n`);
    return EXIT.failed;
  } finally {
    client.destroy();
  }
}

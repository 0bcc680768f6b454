/** `npm run calls -- …` arguments → a command, or a UsageError (exit 2) saying what is wrong. */
import { didYouMean, parseCommandLine, UsageError, wantsHelp } from '../cli/args';
import { normalizeAddress } from '../normalize/phone';
import { PROVIDER_NAMES } from '../providers/list';
import { OUTCOMES, type Outcome, RECORD_SOURCES, type RecordSource } from '../record';

export { UsageError };

export const USAGE = `usage: npm run -s calls -- <command> [options]

commands:
  get <provider> <callId>   one call record
  raw <provider> <callId>   every delivery stored for the call, with its exact raw body
  list [filters]            call records, newest arrival first

list filters (combine freely):
  --number <e164>      calls from or to this number: + and country code (+919876543210;
                       919876543210 works too)
  --agent <id>         CallKaro agent id
  --batch <id>         CallKaro batch id
  --provider <name>    ${PROVIDER_NAMES.join(' | ')}
  --outcome <outcome>  ${OUTCOMES.join(' | ')}
  --source <source>    ${RECORD_SOURCES.join(' | ')}: calls known from the list API (the webhooks missed
                       them, or they came late: npm run -s backfill) or from webhooks
  --since <time>       calls that arrived at or after: ISO date (2025-12-19) or date-time
                       (2025-12-19T10:30Z); UTC unless an offset is given
  --until <time>       calls that arrived at or before; default: now. Without --number/--agent/--batch,
                       --since defaults to 30 days before it
  --limit <n>          at most n calls (default 100)

target (default: the running npm start's table, its port read from .local/stack.json;
        DYNAMODB_PORT or AWS_ENDPOINT_URL_DYNAMODB name another; port 8000 when none runs):
  --stage <stage>      the deployed table call-intake-<stage>-calls on AWS (AWS_REGION, AWS_PROFILE)
  --table <name>       another table name
  AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION, AWS_PROFILE are honoured as by every AWS SDK tool

output:
  --json               JSON: get → one record, list → an array of records,
                       raw → an array of { deliveryId, receivedAt, body }
  -h, --help           this text

exit status: 0 ok, 1 no such call or the table is unreachable, 2 bad arguments`;

/** A bound on a record's sort key (`<ISO time>#provider#callId`): a date or an ISO instant. */
export interface TimeBound {
  /** Compared with the sort key as a prefix: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.mmmZ. */
  key: string;
  /** Epoch ms: a date's first instant for --since, its last for --until. */
  instant: number;
}

export interface ListFilters {
  number?: string;
  agent?: string;
  batch?: string;
  provider?: string;
  outcome?: Outcome;
  /** Records whose `sources` include it (records from before reconciliation count as webhook). */
  source?: RecordSource;
  since?: TimeBound;
  until?: TimeBound;
  limit: number;
}

export interface TargetOptions {
  stage?: string;
  table?: string;
}

export type CallsCommand =
  | { command: 'help' }
  | { command: 'get' | 'raw'; provider: string; callId: string; json: boolean; target: TargetOptions }
  | {
      command: 'list';
      filters: ListFilters;
      json: boolean;
      target: TargetOptions;
      /** `--number` as typed when it had no `+` (read as E.164 digits anyway): worth a hint if nothing matches. */
      numberWithoutPlus?: string;
    };

export const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 100_000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$/i;

const realDate = (y: string, m: string, d: string) => {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return (
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() + 1 === Number(m) &&
    date.getUTCDate() === Number(d)
  );
};

export function parseTimeBound(option: 'since' | 'until', text: string): TimeBound {
  const invalid = () =>
    new UsageError(
      `--${option} ${text}: expected an ISO date (2025-12-19) or date-time (2025-12-19T10:30:00Z)`,
    );
  const date = DATE.exec(text);
  if (date) {
    const [, y = '', m = '', d = ''] = date;
    if (!realDate(y, m, d)) throw invalid();
    const start = Date.UTC(Number(y), Number(m) - 1, Number(d));
    return { key: text, instant: option === 'since' ? start : start + 86_400_000 - 1 };
  }
  const time = DATE_TIME.exec(text);
  if (!time) throw invalid();
  const [, y = '', m = '', d = '', hh, mm, ss = '00', fraction = '', zone = 'Z'] = time;
  if (!realDate(y, m, d)) throw invalid();
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
  const instant = Date.parse(`${y}-${m}-${d}T${hh}:${mm}:${ss}${fraction.slice(0, 4)}${offset}`);
  if (Number.isNaN(instant)) throw invalid();
  return { key: new Date(instant).toISOString(), instant };
}

const LIST_OPTIONS = [
  'number',
  'agent',
  'batch',
  'provider',
  'outcome',
  'source',
  'since',
  'until',
  'limit',
] as const;

export function parseCallsArgs(argv: readonly string[], providers: readonly string[]): CallsCommand {
  if (wantsHelp(argv)) return { command: 'help' };
  const { values, positionals } = parse(argv);
  const [command, ...operands] = positionals;
  if (command === undefined) throw new UsageError(`no command given: one of ${COMMANDS.join(', ')}`);

  const target: TargetOptions = {};
  if (values.stage !== undefined) {
    if (!/^[A-Za-z0-9-]+$/.test(values.stage))
      throw new UsageError(`--stage ${values.stage}: not a stage name`);
    target.stage = values.stage;
  }
  if (values.table !== undefined) {
    if (values.table.length < 3) throw new UsageError(`--table ${values.table}: not a table name`);
    target.table = values.table;
  }
  const checkProvider = (provider: string) => {
    if (!providers.includes(provider)) {
      throw new UsageError(
        `unknown provider ${provider}${didYouMean(provider, providers)}; known: ${providers.join(', ')}`,
      );
    }
    return provider;
  };

  if (command === 'get' || command === 'raw') {
    const misplaced = LIST_OPTIONS.find((name) => values[name] !== undefined);
    if (misplaced) throw new UsageError(`--${misplaced} is a list option`);
    const [provider, callId, ...rest] = operands;
    if (provider === undefined || callId === undefined || callId === '' || rest.length > 0) {
      throw new UsageError(`${command} takes <provider> <callId>`);
    }
    return { command, provider: checkProvider(provider), callId, json: values.json === true, target };
  }

  if (command === 'list') {
    if (operands.length > 0) throw new UsageError(`list takes no operands (got ${operands.join(' ')})`);
    const filters: ListFilters = { limit: DEFAULT_LIMIT };
    if (values.number !== undefined) {
      const number = normalizeAddress(values.number);
      if (number === null) throw new UsageError('--number is empty');
      filters.number = number;
    }
    for (const name of ['agent', 'batch'] as const) {
      const value = values[name];
      if (value === '') throw new UsageError(`--${name} is empty`);
      if (value !== undefined) filters[name] = value;
    }
    if (values.provider !== undefined) filters.provider = checkProvider(values.provider);
    if (values.outcome !== undefined) {
      if (!(OUTCOMES as readonly string[]).includes(values.outcome)) {
        throw new UsageError(
          `--outcome ${values.outcome}${didYouMean(values.outcome, OUTCOMES)}: one of ${OUTCOMES.join(', ')}`,
        );
      }
      filters.outcome = values.outcome as Outcome;
    }
    if (values.source !== undefined) {
      if (!(RECORD_SOURCES as readonly string[]).includes(values.source))
        throw new UsageError(`--source ${values.source}: one of ${RECORD_SOURCES.join(', ')}`);
      filters.source = values.source as RecordSource;
    }
    if (values.since !== undefined) filters.since = parseTimeBound('since', values.since);
    if (values.until !== undefined) filters.until = parseTimeBound('until', values.until);
    if (filters.since && filters.until && filters.since.instant > filters.until.instant) {
      throw new UsageError('--since is after --until');
    }
    if (values.limit !== undefined) {
      const limit = Number(values.limit);
      if (!/^\d+$/.test(values.limit) || limit < 1 || limit > MAX_LIMIT) {
        throw new UsageError(`--limit ${values.limit}: a whole number from 1 to ${MAX_LIMIT}`);
      }
      filters.limit = limit;
    }
    const numberWithoutPlus =
      values.number !== undefined && /^\s*\d/.test(values.number) ? values.number.trim() : undefined;
    return {
      command,
      filters,
      json: values.json === true,
      target,
      ...(numberWithoutPlus !== undefined && { numberWithoutPlus }),
    };
  }

  throw new UsageError(
    `unknown command ${command}${didYouMean(command, COMMANDS)}; commands: ${COMMANDS.join(', ')}`,
  );
}

const COMMANDS = ['get', 'raw', 'list'];

function parse(argv: readonly string[]) {
  return parseCommandLine(
    argv,
    {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      number: { type: 'string' },
      agent: { type: 'string' },
      batch: { type: 'string' },
      provider: { type: 'string' },
      outcome: { type: 'string' },
      source: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      stage: { type: 'string' },
      table: { type: 'string' },
    },
    { allowPositionals: true },
  );
}

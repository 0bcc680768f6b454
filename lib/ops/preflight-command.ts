/**
 * `npm run preflight -- --stage <stage>`: what would hurt a stage on its first real day that a
 * template cannot show. Today: the account's Lambda concurrency against the consumer's cap and the
 * API's burst (lib/ops/preflight.ts). Exit 0 when nothing was found, 1 when something was, 2 when it
 * could not check. Stage settings come from serverless.yml's params, `--param name=value` on top,
 * as `serverless deploy` reads them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { parse } from 'yaml';
import { printable } from '../printable';
import { concurrencyWarnings } from './preflight';

export interface PreflightIo {
  stdout: Pick<NodeJS.WriteStream, 'write'>;
  stderr: Pick<NodeJS.WriteStream, 'write'>;
}

const USAGE = `Usage: npm run preflight -- --stage <stage> [--region <region>] [--param name=value ...]

Checks the account before a deploy: Lambda concurrency against the stage's consumerConcurrency and
throttleBurst (read from serverless.yml's params; --param overrides them as for serverless deploy).
Exit 0: nothing found; 1: a warning; 2: could not check.
`;

const SERVERLESS_YML = fileURLToPath(new URL('../../serverless.yml', import.meta.url));

/** The stage's params as osls merges them: `default`, then the stage's own, then `--param`s. */
export function stageParams(
  stage: string,
  overrides: readonly string[],
  yaml = readFileSync(SERVERLESS_YML, 'utf8'),
): Record<string, unknown> {
  const params = (parse(yaml) as { params?: Record<string, Record<string, unknown>> }).params ?? {};
  const given = Object.fromEntries(
    overrides.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--param wants name=value, not ${JSON.stringify(pair)}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  return { ...params.default, ...params[stage], ...given };
}

const wholeNumber = (params: Record<string, unknown>, name: string): number => {
  const value = Number(params[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
};

export async function preflightCommand(
  argv: readonly string[],
  io: PreflightIo = process,
  lambda: (region?: string) => LambdaClient = (region) => new LambdaClient(region ? { region } : {}),
): Promise<number> {
  const line = (stream: Pick<NodeJS.WriteStream, 'write'>, text: string) =>
    stream.write(`${printable(text)}\n`);
  let facts: { stage: string; region?: string; consumerCap: number; apiBurst: number };
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        stage: { type: 'string' },
        region: { type: 'string' },
        param: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (!values.stage) throw new Error('--stage is required');
    const params = stageParams(values.stage, values.param);
    facts = {
      stage: values.stage,
      region: values.region,
      consumerCap: wholeNumber(params, 'consumerConcurrency'),
      apiBurst: wholeNumber(params, 'throttleBurst'),
    };
  } catch (error) {
    line(io.stderr, `error: ${(error as Error).message}`);
    io.stderr.write(USAGE);
    return 2;
  }
  let accountLimit: number;
  let unreserved: number;
  try {
    const { AccountLimit } = await lambda(facts.region).send(new GetAccountSettingsCommand({}));
    accountLimit = Number(AccountLimit?.ConcurrentExecutions);
    unreserved = Number(AccountLimit?.UnreservedConcurrentExecutions ?? accountLimit);
    if (!Number.isFinite(accountLimit))
      throw new Error('GetAccountSettings returned no ConcurrentExecutions');
  } catch (error) {
    line(io.stderr, `error: could not read the account's Lambda settings: ${(error as Error).message}`);
    return 2;
  }
  line(
    io.stdout,
    `Lambda concurrency: account limit ${accountLimit}, unreserved ${unreserved}; stage ${facts.stage}: consumer cap ${facts.consumerCap}, API burst ${facts.apiBurst}`,
  );
  const warnings = concurrencyWarnings({ accountLimit, unreserved, ...facts });
  for (const warning of warnings) line(io.stdout, `warning: ${warning}`);
  if (warnings.length === 0)
    line(io.stdout, 'ok: the pool holds the consumer at its cap and a full API burst');
  return warnings.length === 0 ? 0 : 1;
}
